"""The consent part of the Data page: confirm the consent mapping, the enforcement switch, the coverage.

Widgets and layout only: suggestions come from `analysis.consent.suggest_consent_columns`, counts from
`analysis.consent.consent_report`; the mapping and the switches live in dashboard.state.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.errors import safe_message
from analysis.text_safety import markdown_text
from dashboard import cache, state


def render_consent_section(table) -> None:
    """Consent columns (one per purpose), an optional withdrawal-date column, the switches, the counts."""
    from analysis.consent import (TRAINING, ConsentMapping, consent_report, purpose_of,
                                  suggest_consent_columns)

    st.subheader("Consent")
    st.caption("Which columns record people's consent, one per purpose (consent_training -> training). Values "
               "read as consent: true, yes, 1, granted, opt-in; as refusal: false, no, 0, denied, withdrawn, "
               "opt-out; anything else is unknown. With consent for training mapped, every page that trains "
               "uses only consented rows (docs/consent.md).")
    fp = table.fingerprint[:12]
    suggestions = cache.memo("consent_suggestions", table.fingerprint,
                             lambda: suggest_consent_columns(table.frame))
    mapping = state.get(state.CONSENT_MAPPING)
    current = list(mapping.columns.values()) if mapping is not None and mapping.consent_file is None else []
    suggested = {s.column for s in suggestions}
    c1, c2 = st.columns([3, 2])
    chosen = c1.multiselect(
        "Consent columns", table.columns, default=[c for c in current if c in table.columns],
        key=f"consent_columns_{fp}",
        format_func=lambda c: f"{c} (suggested)" if c in suggested else c,
        help="Suggested: columns named like consent, opt-in or GDPR whose values read as consent or refusal.")
    withdrawn_now = (mapping.withdrawn_columns.get(TRAINING) if mapping is not None else None)
    options = [None] + table.columns
    withdrawn = c2.selectbox("Withdrawal dates (for training)", options,
                             index=options.index(withdrawn_now) if withdrawn_now in options else 0,
                             key=f"consent_withdrawn_{fp}", format_func=lambda c: "(none)" if c is None else c)
    purposes = {}
    for column in chosen:
        purposes.setdefault(purpose_of(column), column)
    new = ConsentMapping(columns=purposes, withdrawn_columns={TRAINING: withdrawn} if withdrawn and
                         TRAINING in purposes else {}) if purposes else None
    if (None if new is None else new.describe()) != (None if mapping is None else mapping.describe()):
        state.set_consent_mapping(new)
        mapping = new
    if mapping is None:
        st.info("No consent column mapped: models train on every row.")
        return
    if TRAINING in mapping.columns:
        enforce = st.toggle("Train only on rows with consent for training", value=bool(state.get(state.CONSENT_ENFORCE)),
                            key=f"consent_enforce_{fp}")
        include_unknown = st.checkbox("Count unknown consent as consent", value=bool(
            state.get(state.CONSENT_INCLUDE_UNKNOWN)), key=f"consent_unknown_{fp}",
            help="Off: blank or unreadable consent counts as no consent. Every result records this choice.")
        state.put(state.CONSENT_ENFORCE, enforce)
        state.put(state.CONSENT_INCLUDE_UNKNOWN, include_unknown)
    else:
        st.caption("No column is mapped to the purpose 'training', so training is not filtered.")
    try:
        report = cache.memo("consent_report", cache.content_key(table.fingerprint, mapping.describe()),
                            lambda: consent_report(table.frame, mapping))
    except ValueError as exc:
        st.error(markdown_text(safe_message(exc)))
        return
    st.dataframe(pd.DataFrame([{"purpose": p.purpose, "column": p.column, "consented": p.consented,
                                "not consented": p.not_consented, "unknown": p.unknown, "withdrawn": p.withdrawn}
                               for p in report.purposes]), hide_index=True, width="stretch", key=f"consent_table_{fp}")
    for p in report.purposes:
        if p.unreadable_values or p.unreadable_hidden:
            shown = ", ".join(f"'{v}' ({n})" for v, n in p.unreadable_values.items())
            hidden = f"{p.unreadable_hidden} other value(s), not shown" if p.unreadable_hidden else ""
            st.caption(markdown_text(f"{p.column}: could not read {', '.join(x for x in (shown, hidden) if x)}; "
                                     "counted as unknown."))
