"""Which columns to treat as quasi-identifiers and sensitive attributes.

With a PII scan (`analysis.pii.ScanResult`, optionally corrected by the user's kind overrides) its
column kinds decide. Without one, column names and cardinality decide: a column named like a
demographic or location attribute with a modest number of values is a quasi-identifier; a column
named like a health, income or belief attribute is sensitive; near-unique columns (identifiers)
and free text are neither.
"""

from __future__ import annotations

import re
from typing import Any, Optional

import pandas as pd

_QI_HINTS = re.compile(
    r"(^|[_\- ])(age|sex|gender|race|ethnic\w*|zip\w*|post(al)?[_\- ]?code|postcode|birth\w*|dob|city|"
    r"state|county|country|native|region|marital\w*|occupation|job|education|nationality|"
    r"religion|language|height|weight)([_\- ]|$)", re.IGNORECASE)
_SENSITIVE_HINTS = re.compile(
    r"(health|diagnos|condition|disease|illness|medical|treatment|drug|medication|hiv|income|"
    r"salary|wage|religio|belief|sexual|orientation|political|criminal|disabilit)", re.IGNORECASE)


def _scan_kinds(scan: Any, overrides: Optional[dict] = None) -> Optional[dict[str, str]]:
    """Column -> kind from the scan, with the user's corrections on top."""
    if scan is None:
        return None
    kinds = {str(f.name): str(f.kind) for f in getattr(scan, "columns", [])}
    kinds.update({str(k): str(v) for k, v in (overrides or {}).items()})
    return kinds


def suggest_quasi_identifiers(frame: pd.DataFrame, scan: Any = None, *,
                              overrides: Optional[dict] = None) -> list[str]:
    """Quasi-identifier columns, in table order: from the scan's kinds, else by name and cardinality."""
    kinds = _scan_kinds(scan, overrides)
    if kinds is not None:
        return [str(c) for c in frame.columns if kinds.get(str(c)) == "quasi_identifier"]
    out = []
    for col in frame.columns:
        name = str(col)
        if not _QI_HINTS.search(name) or _SENSITIVE_HINTS.search(name):
            continue
        values = frame[col].dropna()
        if values.nunique() <= 1:
            continue
        if not pd.api.types.is_numeric_dtype(values) and \
                values.astype("str").head(500).str.split().str.len().mean() >= 4:
            continue  # free text, not a quasi-identifier
        out.append(name)
    return out


def suggest_sensitive(frame: pd.DataFrame, scan: Any = None, *,
                      overrides: Optional[dict] = None) -> list[str]:
    """Sensitive-attribute columns: from the scan's kinds, else by name (with few distinct values)."""
    kinds = _scan_kinds(scan, overrides)
    if kinds is not None:
        return [str(c) for c in frame.columns if kinds.get(str(c)) == "sensitive"]
    n = max(1, len(frame))
    return [str(c) for c in frame.columns
            if _SENSITIVE_HINTS.search(str(c)) and 1 < frame[c].nunique(dropna=True) <= max(2, 0.5 * n)]


def columns_of_kind(frame: pd.DataFrame, scan: Any, kind: str, *, overrides: Optional[dict] = None) -> list[str]:
    """Columns the scan (with the user's corrections) classifies as `kind`; [] without a scan."""
    kinds = _scan_kinds(scan, overrides)
    return [] if kinds is None else [str(c) for c in frame.columns if kinds.get(str(c)) == kind]
