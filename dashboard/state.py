"""Typed access to st.session_state: the one place that knows the keys.

Everything a session loads or computes lives here, in that session's memory only. Loading a new
table clears every result derived from the previous one.
"""

from __future__ import annotations

from typing import Any, Optional

import streamlit as st

from analysis.tables import Table

# Keys, one per thing a session holds. Pages use these names, never string literals.
TABLE = "table"                      # analysis.tables.Table
LABEL_COLUMN = "label_column"        # str | None
LOAD_MESSAGE = "load_message"        # (level, text) shown once on the Data page
SCAN = "scan_result"                 # PII scan result
KIND_OVERRIDES = "kind_overrides"    # dict[column, kind] corrected by the user on the PII page
RISK = "risk_report"
PLAN = "anonymization_plan"
ANONYMIZED = "anonymized"
RISK_AFTER = "anonymize_risk_after"  # RiskReport of the anonymized table
UTILITY = "anonymize_utility"        # UtilityReport, original vs anonymized
MODEL = "model_bundle"
ATTACKS = "attack_results"
MEMORIZATION = "memorization_result"
TRADEOFF = "tradeoff_result"
FEDERATED = "federated_result"
REPORT = "report"

# Results that describe the current table; dropped when another table is loaded.
# The anonymization secret is kept on purpose: the same secret gives the same pseudonyms across files.
DERIVED_FROM_TABLE = (LABEL_COLUMN, SCAN, KIND_OVERRIDES, RISK, PLAN, ANONYMIZED, RISK_AFTER, UTILITY,
                      "anonymize_pending_plan", MODEL, ATTACKS, MEMORIZATION, TRADEOFF, FEDERATED, REPORT)


def get(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)


def put(key: str, value: Any) -> None:
    st.session_state[key] = value


def table() -> Optional[Table]:
    return st.session_state.get(TABLE)


def require_table() -> Table:
    """The current table; without one, tell the user where to load it and stop the page."""
    current = table()
    if current is None:
        st.info("Load a dataset on the Data page first.")
        st.stop()
    return current


def set_table(new_table: Table) -> None:
    """Make `new_table` current; results derived from the old table are dropped."""
    old = st.session_state.get(TABLE)
    if old is not None and old.fingerprint == new_table.fingerprint:
        return
    for key in DERIVED_FROM_TABLE:
        st.session_state.pop(key, None)
    st.session_state[TABLE] = new_table
    candidates = _label_candidates(new_table)
    st.session_state[LABEL_COLUMN] = candidates[0] if candidates else None


def label_column() -> Optional[str]:
    return st.session_state.get(LABEL_COLUMN)


def _label_candidates(new_table: Table) -> list[str]:
    from analysis.tables import suggest_label_columns

    return suggest_label_columns(new_table.frame)
