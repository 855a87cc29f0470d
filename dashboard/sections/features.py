"""The feature chooser shared by Model audit and Privacy-utility: every column but the label, minus the
ones that leak it (`analysis.labels.leakage_check`, with a warning naming them)."""

from __future__ import annotations

import streamlit as st

from analysis.labels import leakage_check
from dashboard import cache


def choose_features(table, label: str, *, key: str) -> list[str]:
    """A multiselect of feature columns (leaking ones unticked) after a leakage warning; returns the choice."""
    leak = cache.memo("label_leakage", cache.content_key(table.fingerprint, label),
                      lambda: leakage_check(table.frame, label))
    if leak.leaking:
        st.warning(leak.message())
    options = [c for c in table.columns if c != label]
    return st.multiselect("Features", options, default=[c for c in options if c not in leak.leaking],
                          key=f"{key}_{table.fingerprint[:12]}_{label}",
                          help="The columns the model reads. Columns that predict the label almost perfectly on "
                               "their own are left out by default.")
