"""The quick audit's steps that could not run on this table, in page words, each beside the control that
fixes it (choose quasi-identifiers, choose another label). The rest of the report is shown as usual."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import streamlit as st

from analysis.audit import StepFailure, quick_audit_config
from analysis.settings import get_settings
from analysis.tables import Table
from analysis.text_safety import markdown_text
from dashboard import state

TITLES = {"scan": "PII scan", "risk": "Re-identification risk", "attack": "Membership inference",
          "memorization": "Memorization", "compare": "Privacy-utility comparison", "consent": "Consent"}


def render_not_computed(failures: Sequence[StepFailure], table: Table) -> Optional[dict[str, Any]]:
    """Draw each step that could not run; returns a new quick-audit config when the user fixes one and asks
    to run again (the caller starts it), else None."""
    request = None
    for failure in failures:
        title = TITLES.get(failure.step, failure.step)
        with st.container(border=True, key=f"report_not_computed_{failure.step}"):
            if failure.fix == "quasi_identifiers":
                st.warning(f"**{title} not computed.** The scan recognised no quasi-identifier in this table "
                           "(columns such as age, postcode or job that, together, can single a person out), so "
                           "there is nothing to measure the risk on yet. Choose them here:")
                chosen = st.multiselect("Quasi-identifiers", table.columns,
                                        key=f"report_fix_qis_{table.fingerprint[:12]}")
                if st.button("Run the quick audit with these", key="report_fix_qis_run", disabled=not chosen):
                    request = _config(state.label_column(), chosen)
            elif failure.fix == "label":
                st.warning(f"**{title} not computed.** The attack trains a model to predict the label column, "
                           f"and here it could not: {markdown_text(failure.reason)}. Choose a label column with "
                           "at least two values:")
                columns = table.columns
                current = state.label_column()
                label = st.selectbox("Label column", columns, key=f"report_fix_label_{table.fingerprint[:12]}",
                                     index=columns.index(current) if current in columns else 0)
                if st.button("Run the quick audit with this label", key="report_fix_label_run"):
                    state.set_label_column(label)
                    request = _config(label, None)
            else:
                st.warning(f"**{title} not computed:** {markdown_text(failure.reason)}.")  # reasons name columns
    return request


def _config(label: Optional[str], quasi_identifiers: Optional[list[str]]) -> dict[str, Any]:
    backend = get_settings().app_scan_backend  # the app's worker pool by default
    return quick_audit_config(label=label, consent=state.consent_config(),
                              quasi_identifiers=quasi_identifiers, scan_backend=backend)
