"""Typed access to st.session_state: the one place that knows the keys.

Everything a session loads or computes lives here, in that session's memory only. Loading a new
table clears every result derived from the previous one.
"""

from __future__ import annotations

from typing import Any, Optional

import streamlit as st

from analysis.text_safety import markdown_text

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
CONSENT_MAPPING = "consent_mapping"            # analysis.consent.ConsentMapping | None (suggested on load)
CONSENT_ENFORCE = "consent_enforce"            # bool: train only on consented rows (on once training is mapped)
CONSENT_INCLUDE_UNKNOWN = "consent_include_unknown"  # bool: unknown consent counts as consent
CONSENT_FILTER = "consent_filter"              # the last ConsentFilter a training path applied
WITHDRAWAL = "withdrawal_check"                # analysis.attacks.withdrawal.WithdrawalCheck
LANGUAGE_MODEL = "language_model_audit"        # analysis.text_lm.result.TextAuditResult
THRESHOLDS = "report_thresholds"               # {metric: {"green"/"amber": value}} set on the Report page (kept
                                               # across datasets: a team's thresholds, not a table's result)

# Results that describe the current table; dropped when another table is loaded.
# The anonymization secret is kept on purpose: the same secret gives the same pseudonyms across files.
DERIVED_FROM_TABLE = (LABEL_COLUMN, SCAN, KIND_OVERRIDES, RISK, PLAN, ANONYMIZED, RISK_AFTER, UTILITY,
                      "anonymize_pending_plan", MODEL, ATTACKS, MEMORIZATION, TRADEOFF, FEDERATED, REPORT,
                      CONSENT_MAPPING, CONSENT_ENFORCE, CONSENT_INCLUDE_UNKNOWN, CONSENT_FILTER, WITHDRAWAL,
                      LANGUAGE_MODEL)
# What pages keep across reruns for the current table: pending requests (a page must never start one made
# for the previous table), the Report's quick audit and "Saved as run" notice, and every memoized result
# (dashboard/cache.py). Dropped with the table; so is every key with a prefix or suffix below (a page's
# pending request is named "..._request", e.g. tradeoff_request).
PAGE_KEYS_FROM_TABLE = ("report_quick_audit", "report_saved_run", "_memo_store")
PAGE_KEY_PREFIXES_FROM_TABLE = ("_auto_request_", "_auto_seen_")
PAGE_KEY_SUFFIXES_FROM_TABLE = ("_request",)
DATASET_CAPTION_SLOT = "_dataset_caption_slot"  # this run's sidebar slot naming the dataset


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
    forget_table()
    st.session_state[TABLE] = new_table
    candidates = _label_candidates(new_table)
    st.session_state[LABEL_COLUMN] = candidates[0] if candidates else None
    set_consent_mapping(_suggested_consent(new_table))
    draw_dataset_caption()


def forget_table() -> None:
    """Drop every result, request and notice that belonged to the current table (the table stays)."""
    stale = [key for key in list(st.session_state.keys())
             if key in DERIVED_FROM_TABLE or key in PAGE_KEYS_FROM_TABLE
             or str(key).startswith(PAGE_KEY_PREFIXES_FROM_TABLE) or str(key).endswith(PAGE_KEY_SUFFIXES_FROM_TABLE)]
    for key in stale:
        st.session_state.pop(key, None)


def bind_dataset_caption(slot) -> None:
    """Use `slot` (an st.empty in the sidebar, drawn by the app on every run) for the dataset's name, and draw
    it; `set_table` redraws it, so the sidebar names a new table in the run that loaded it."""
    st.session_state[DATASET_CAPTION_SLOT] = slot
    draw_dataset_caption()


def draw_dataset_caption() -> None:
    slot = st.session_state.get(DATASET_CAPTION_SLOT)
    current = table()
    if slot is None:
        return
    if current is None:
        slot.empty()
    else:
        slot.caption(f"Dataset: **{markdown_text(current.name)}** · {current.rows:,} rows · "
                     f"{len(current.columns)} columns")


def _suggested_consent(new_table: Table):
    from analysis.consent import mapping_from_suggestions, suggest_consent_columns

    return mapping_from_suggestions(suggest_consent_columns(new_table.frame))


def set_consent_mapping(mapping) -> None:
    """Use `mapping` (or None); enforcement switches on when it maps consent for training."""
    from analysis.consent import TRAINING

    st.session_state[CONSENT_MAPPING] = mapping
    st.session_state[CONSENT_ENFORCE] = mapping is not None and TRAINING in mapping.columns
    st.session_state.pop(CONSENT_FILTER, None)


def consent_key() -> tuple:
    """What the consent filter depends on, for the cache keys of results trained on its rows."""
    mapping = st.session_state.get(CONSENT_MAPPING)
    return (None if mapping is None else repr(mapping.describe()), bool(st.session_state.get(CONSENT_ENFORCE)),
            bool(st.session_state.get(CONSENT_INCLUDE_UNKNOWN)))


def training_frame(frame, *, keep_index: bool = False):
    """The rows of `frame` a model may train on under this session's consent mapping and switch, without the
    consent columns, and the ConsentFilter saying what was left out (None when consent for training is not
    mapped). Every page that trains calls this; ValueError when no row is left or a column is missing."""
    from analysis.consent import TRAINING, drop_consent_columns, training_rows

    mapping = st.session_state.get(CONSENT_MAPPING)
    if mapping is None or TRAINING not in mapping.columns:
        return drop_consent_columns(frame, mapping), None
    kept, result = training_rows(frame, mapping, unknown_as_consented=bool(get(CONSENT_INCLUDE_UNKNOWN)),
                                 enforce=bool(get(CONSENT_ENFORCE)), keep_index=keep_index)
    st.session_state[CONSENT_FILTER] = result
    return kept, result


def label_column() -> Optional[str]:
    return st.session_state.get(LABEL_COLUMN)


def label_widget_key(current: Table) -> str:
    """The Data page's label selectbox: one per dataset, so a new table resets it."""
    return f"label_select_{current.fingerprint[:12]}"


def set_label_column(label: Optional[str]) -> None:
    """Choose the label from another page; the Data page's selectbox then shows it too."""
    st.session_state[LABEL_COLUMN] = label
    current = table()
    if current is not None:
        st.session_state.pop(label_widget_key(current), None)


def consent_config() -> Optional[dict]:
    """The session's consent choice as an audit config's `consent:` block (None unless training consent is a
    column of the table), so the Report page's quick audit trains on the same rows as the other pages."""
    from analysis.consent import TRAINING

    mapping = st.session_state.get(CONSENT_MAPPING)
    if mapping is None or TRAINING not in mapping.columns or mapping.consent_file is not None:
        return None
    return {"column": mapping.columns[TRAINING], "enforce": bool(get(CONSENT_ENFORCE)),
            "include_unknown": bool(get(CONSENT_INCLUDE_UNKNOWN))}


def training_pair(original, transformed):
    """`training_frame` of a table and the same rows of a transformed copy that keeps its index labels (the
    anonymization utility model trains on both)."""
    from analysis.consent import drop_consent_columns

    kept, _ = training_frame(original, keep_index=True)
    rows = transformed.loc[transformed.index.intersection(kept.index)]
    return kept, drop_consent_columns(rows, st.session_state.get(CONSENT_MAPPING))


def _label_candidates(new_table: Table) -> list[str]:
    from analysis.tables import suggest_label_columns

    return suggest_label_columns(new_table.frame)
