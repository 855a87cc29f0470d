"""One masking rule wherever records are shown (Model audit's most exposed members, report examples,
exports): every column that identifies a person is masked, never only the one in focus.

`columns_to_mask(frame, scan=..., overrides=...)` is the union of
- the PII scan's direct identifiers and free-text columns, with the user's kind corrections applied;
- what can be told without a scan: identifier-like column names (name, email, phone, ssn, id, ...),
  text columns unique for more than 90% of rows, free text, and the table-level rules of `refine.py`
  (one-word first names or surnames such as `first` / `last`, record keys such as case numbers).
So a `name` column masked as 'c*** l***' never sits beside `first` = 'christopher' and `last` = 'lewis'.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Optional

import pandas as pd

IDENTIFIER_NAME = re.compile(
    r"(^|_|\b)(name|first_?name|last_?name|full_?name|email|e_?mail|phone|mobile|ssn|social|passport|"
    r"card|card_number|iban|account|address|street|ip|ip_address|user_?id|customer_?id|patient_?id|id)($|_|\b)",
    re.IGNORECASE)


def _by_rules(frame: pd.DataFrame) -> list[str]:
    from analysis.pii.findings import ColumnFinding
    from analysis.pii.refine import refine_finding
    from analysis.tables import infer_column_type

    found = []
    for col in frame.columns:
        series = frame[col]
        nonnull = int(series.notna().sum())
        if IDENTIFIER_NAME.search(str(col)) or infer_column_type(series) == "text":
            found.append(col)
        elif not pd.api.types.is_numeric_dtype(series) and nonnull >= 20 and \
                series.nunique(dropna=True) > 0.9 * nonnull:
            found.append(col)
        elif refine_finding(series, ColumnFinding(str(col), "other", [], [], [])).kind == "direct_identifier":
            found.append(col)
    return found


SAMPLE_ROWS = 5000  # the rules read the first rows (a page calls this on a whole upload)


def columns_to_mask(frame: pd.DataFrame, *, scan: Any = None, overrides: Optional[dict] = None,
                    extra: Optional[Iterable[str]] = None) -> list[str]:
    """The columns of `frame` to mask when its records are shown, in table order (see the module doc)."""
    wanted = set(_by_rules(frame.head(SAMPLE_ROWS))) | {str(c) for c in (extra or [])}
    if scan is not None:
        kinds = {str(f.name): str(f.kind) for f in getattr(scan, "columns", [])}
        kinds.update({str(k): str(v) for k, v in (overrides or {}).items()})
        wanted |= {c for c, kind in kinds.items() if kind in ("direct_identifier", "free_text")}
    return [c for c in frame.columns if str(c) in wanted]
