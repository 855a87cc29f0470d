"""The withdrawal check of the Model audit page: are records whose consent was withdrawn still in the model?

Widgets and layout only. The withdrawn rows come from the table's withdrawal dates (the Data page's consent
mapping) or from an uploaded file; the test is `analysis.attacks.withdrawal.check_withdrawal`, run through
dashboard.cache with a progress bar.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analysis.errors import safe_message
from analysis.text_safety import markdown_text
from dashboard import cache, state

MODEL_KEY = "withdrawal_model_key"  # the model bundle the stored check belongs to


def _table_withdrawn(table, mapping, columns: list[str]):
    """The rows withdrawn after a date the user picks (None when no withdrawal dates are mapped)."""
    from analysis.consent import TRAINING, parse_timestamps, withdrawn_rows

    column = mapping.withdrawn_columns.get(TRAINING) if mapping is not None else None
    if column is None:
        st.caption("No withdrawal-date column is mapped on the Data page; upload the withdrawn rows instead.")
        return None, None
    dates = parse_timestamps(table.frame[column]).dropna() if column in table.frame.columns else pd.Series([])
    first = (dates.min().date() - dt.timedelta(days=1)) if len(dates) else dt.date.today()
    after = st.date_input("Model trained on (rows withdrawn after this date are tested)", value=first,
                          key="withdrawal_after",
                          help=f"From {markdown_text(column)}. The default tests every withdrawal.")
    rows = withdrawn_rows(table.frame, mapping, after=after.isoformat())
    return rows[[c for c in columns if c in rows.columns]], after.isoformat()


def render_withdrawal_section(table, bundle) -> None:
    """Test the audited model for the withdrawn rows; show p-value, verdict and the power note."""
    from analysis.attacks.withdrawal import check_withdrawal
    from analysis.tables import DataError, load_table

    st.subheader("Withdrawal check")
    st.caption("Is the model still trained on the records whose consent was withdrawn? Each withdrawn record is "
               "compared with models retrained on the members without it (per record; without a recipe, a "
               "group test against the non-members) (docs/consent.md).")
    label, columns = bundle["label"], list(bundle["members"].columns)
    if state.get(MODEL_KEY) != bundle["key"]:  # a check of another model is not shown or reported
        state.put(state.WITHDRAWAL, None)
        state.put(MODEL_KEY, bundle["key"])
    source = st.radio("Withdrawn rows", ["From the table's withdrawal dates", "Upload a file"], horizontal=True,
                      key="withdrawal_source")
    withdrawn, origin = None, None
    if source.startswith("From"):
        withdrawn, origin = _table_withdrawn(table, state.get(state.CONSENT_MAPPING), columns)
    else:
        upload = st.file_uploader("Withdrawn rows (same columns as the training rows)", key="withdrawal_upload")
        if upload is not None:
            try:
                withdrawn, origin = load_table(upload.getvalue(), name=upload.name).frame, upload.name
            except DataError as exc:
                st.error(markdown_text(safe_message(exc)))
    if withdrawn is None:
        return
    st.caption(f"{len(withdrawn):,} withdrawn rows")
    if not st.button("Run withdrawal check", key="withdrawal_run", disabled=len(withdrawn) < 2):
        check = state.get(state.WITHDRAWAL)
    else:
        key = cache.content_key(bundle["key"], table.fingerprint, origin, cache.content_key(list(withdrawn.columns),
                                                                                            len(withdrawn)))
        try:
            check = cache.memo("withdrawal", key, lambda: check_withdrawal(
                bundle["model"], bundle["members"], bundle["non_members"], withdrawn[columns], label,
                recipe=bundle["recipe"], progress=cache.progress_bar("Withdrawal check")))
        except (ValueError, KeyError) as exc:
            st.error(f"The withdrawal check could not run: {markdown_text(safe_message(exc))}")
            return
        state.put(state.WITHDRAWAL, check)
    if check is None:
        return
    m1, m2, m3 = st.columns(3)
    m1.metric("Verdict", check.verdict)
    m2.metric("p-value (one-sided)", f"{check.p_value:.3g}")
    m3.metric("Above the 1%-FPR threshold", f"{check.share_above_threshold:.1%}",
              help=f"Members: {check.members_share_above_threshold:.1%}; attack: {check.attack}")
    (st.error if check.still_in_training else st.info)(markdown_text(check.power_note))
    st.caption(markdown_text(f"Test: {getattr(check, 'test', '')}. "
                             f"Assumes: {' '.join(getattr(check, 'assumptions', ()))}"))
