"""The one CSV writer: every CSV the tool writes goes through `to_safe_csv` (CSV-injection escaping).

A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return as a formula
(`=HYPERLINK(...)`, `@SUM(...)`). Following OWASP, such text cells (and column names) get a leading
`'`, which spreadsheets show as text. Columns of a numeric, boolean or datetime dtype are written as
they are, so a number stays a number (-5 stays -5); only text cells change.
"""

from __future__ import annotations

from typing import IO, Optional, Union

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value):
    """`'` + value for a text value a spreadsheet would run as a formula; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escaped_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names are escaped; numeric columns untouched."""
    out = frame.copy(deep=False)
    out.columns = [escape_cell(c) for c in frame.columns]
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
                or pd.api.types.is_datetime64_any_dtype(column) or pd.api.types.is_timedelta64_dtype(column)):
            continue
        if isinstance(column.dtype, pd.StringDtype):  # pandas text columns: vectorized
            risky = column.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
            if risky.any():
                out.isetitem(i, column.where(~risky, "'" + column))
            continue
        values = column.astype(object)  # object (mixed) and categorical columns: cell by cell
        escaped = values.map(escape_cell)
        if not escaped.equals(values):
            out.isetitem(i, escaped)
    return out


def to_safe_csv(frame: pd.DataFrame, path_or_buffer: Union[str, "IO[str]", None] = None) -> Optional[str]:
    """Write `frame` as CSV (no index) with formula cells escaped; with no target, return the text."""
    return escaped_frame(frame).to_csv(path_or_buffer, index=False)


def safe_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The escaped CSV as UTF-8 bytes (for a download button)."""
    return to_safe_csv(frame).encode("utf-8")
