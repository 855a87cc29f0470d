"""The one loader: bytes or a path in, a validated `Table` out, or one clear `DataError`.

Formats: CSV/TSV/TXT (delimiter and encoding sniffed), Parquet, JSON, JSONL, Excel (.xlsx).
Nothing here logs or prints cell values.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np
import pandas as pd

from analysis.results import Result
from analysis.settings import SAMPLE_DATA_DIR, get_settings

TEXT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".json": "json", ".jsonl": "jsonl",
                ".ndjson": "jsonl"}
BINARY_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel"}
SUPPORTED_EXTENSIONS = tuple(sorted({**TEXT_FORMATS, **BINARY_FORMATS}))
_SNIFF_BYTES = 64 * 1024
_LABEL_NAME_HINTS = ("target", "label", "class", "outcome", "income", "churn", "default", "y")


class DataError(ValueError):
    """A file or table that cannot be used, with a message meant for the user."""


@dataclass(frozen=True)
class Table:
    """A loaded dataset: the frame plus where it came from. `fingerprint` is the SHA-256 of the file."""

    name: str
    frame: pd.DataFrame = field(repr=False, compare=False)
    fingerprint: str
    format: str
    encoding: Optional[str] = None
    delimiter: Optional[str] = None
    size_bytes: int = 0

    @property
    def rows(self) -> int:
        return int(len(self.frame))

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


@dataclass(frozen=True)
class ColumnProfile(Result):
    name: str
    inferred_type: str  # integer, float, boolean, datetime, categorical, text, string
    missing_share: float
    distinct_count: int


@dataclass(frozen=True)
class TableProfile(Result):
    name: str
    fingerprint: str
    format: str
    rows: int
    columns: int
    encoding: Optional[str]
    delimiter: Optional[str]
    column_profiles: list[ColumnProfile]
    label_candidates: list[str]


# --------------------------------------------------------------------------------------------
# Loading


def load_table(source: Union[bytes, str, Path], *, name: Optional[str] = None,
               max_bytes: Optional[int] = None) -> Table:
    """Load a table from raw bytes (with `name` giving the file name) or from a path.

    Raises DataError with a user-facing message for anything unusable: unknown extension, file over
    the size limit, empty or binary content, ragged rows, duplicate or blank headers, zero rows.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if not path.is_file():
            raise DataError(f"No file at {path}.")
        limit = _limit(max_bytes)
        if path.stat().st_size > limit:
            raise DataError(_too_big(path.stat().st_size, limit))
        data = path.read_bytes()
    else:
        data = bytes(source)
        if not name:
            raise ValueError("name is required when loading from bytes (it carries the extension)")
    limit = _limit(max_bytes)
    if len(data) > limit:
        raise DataError(_too_big(len(data), limit))
    ext = Path(name).suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        shown = ext or "no extension"
        raise DataError(f"'{name}' has {shown}; supported files are "
                        f"{', '.join(SUPPORTED_EXTENSIONS)}.")
    if not data.strip():
        raise DataError(f"'{name}' is empty.")

    fingerprint = hashlib.sha256(data).hexdigest()
    encoding = delimiter = None
    fmt = TEXT_FORMATS.get(ext) or BINARY_FORMATS[ext]
    if fmt in ("csv", "tsv"):
        text, encoding = _decode(data, name)
        frame, delimiter = _read_delimited(text, name, tab=(fmt == "tsv"))
    elif fmt in ("json", "jsonl"):
        text, encoding = _decode(data, name)
        frame = _read_json(text, name, lines=(fmt == "jsonl"))
    elif fmt == "parquet":
        frame = _read_parquet(data, name)
    else:
        frame = _read_excel(data, name)

    _check_frame(frame, name)
    return Table(name=name, frame=frame, fingerprint=fingerprint, format=fmt, encoding=encoding,
                 delimiter=delimiter, size_bytes=len(data))


def list_samples() -> dict[str, str]:
    """Bundled datasets: file name -> one-line description (from sample_data/README.md order)."""
    descriptions = {
        "customers.csv": "Synthetic customers (Faker, seed 42): identifiers, quasi-identifiers, notes, target",
        "adult.csv": "UCI Adult census table (CC BY 4.0): quasi-identifiers and income class",
    }
    return {n: d for n, d in descriptions.items() if (SAMPLE_DATA_DIR / n).is_file()}


def load_sample(file_name: str) -> Table:
    """Load a bundled dataset from sample_data/ by file name."""
    if file_name not in list_samples():
        raise DataError(f"No bundled dataset named '{file_name}'; choose one of {sorted(list_samples())}.")
    return load_table(SAMPLE_DATA_DIR / file_name, max_bytes=10**10)


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """Content hash of a DataFrame (values, column names and order), for caching derived tables."""
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in frame.columns]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
    return digest.hexdigest()


def _limit(max_bytes: Optional[int]) -> int:
    return int(max_bytes if max_bytes is not None else get_settings().max_upload_mb * 1024 * 1024)


def _too_big(size: int, limit: int) -> str:
    return (f"The file is {size / 2**20:.1f} MB, over the {limit / 2**20:.0f} MB limit "
            f"(setting PRIVACY_AUDIT_MAX_UPLOAD_MB).")


def _decode(data: bytes, name: str) -> tuple[str, str]:
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head:
        raise DataError(f"'{name}' looks like a binary file, not text (it contains NUL bytes).")
    try:
        return data.decode("utf-8-sig"), ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("latin-1")
    sample = text[:_SNIFF_BYTES]
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\r\n\t") or 0x7F <= ord(ch) < 0xA0)
    if controls > 0.01 * max(1, len(sample)):
        raise DataError(f"'{name}' is not readable text in UTF-8 or Latin-1 (binary content?).")
    return text, "latin-1"


def _read_delimited(text: str, name: str, *, tab: bool) -> tuple[pd.DataFrame, str]:
    delimiter = "\t" if tab else _sniff_delimiter(text)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(rows)
    except StopIteration:
        raise DataError(f"'{name}' is empty.") from None
    _check_header([h.strip() for h in header], name)
    width = len(header)
    for line_no, row in enumerate(rows, start=2):
        if row and len(row) != width:
            raise DataError(f"'{name}' has ragged rows: line {line_no} has {len(row)} fields, the header "
                            f"has {width}. Check the delimiter and quoting.")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, skipinitialspace=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"'{name}' could not be parsed as delimited text: {str(exc).splitlines()[0]}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = _strip_text(frame)
    return frame, delimiter


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text[:_SNIFF_BYTES].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _read_json(text: str, name: str, *, lines: bool) -> pd.DataFrame:
    try:
        if lines:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"'{name}' is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    if isinstance(records, dict):
        # {"data": [...]} or a column-oriented {"col": [...], ...}
        lists = [v for v in records.values() if isinstance(v, list)]
        if len(records) == 1 and lists and all(isinstance(r, dict) for r in lists[0]):
            records = lists[0]
        elif lists and len(lists) == len(records):
            lengths = {len(v) for v in lists}
            if len(lengths) != 1:
                raise DataError(f"'{name}' holds columns of different lengths {sorted(lengths)}.")
            return pd.DataFrame(records)
        else:
            raise DataError(f"'{name}' is a JSON object, not a table (expected a list of records).")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataError(f"'{name}' must hold a list of records (JSON objects), one per row.")
    keys = [list(r.keys()) for r in records]
    for key_list in keys[:1]:
        _check_header([str(k).strip() for k in key_list], name)
    return pd.json_normalize(records)


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    if not (data[:4] == b"PAR1" and data[-4:] == b"PAR1"):
        raise DataError(f"'{name}' is not a Parquet file (its content does not match the extension).")
    try:
        return pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise DataError(f"'{name}' is a damaged Parquet file: {type(exc).__name__}.") from None


def _read_excel(data: bytes, name: str) -> pd.DataFrame:
    if data[:2] != b"PK":
        raise DataError(f"'{name}' is not an Excel .xlsx workbook (its content does not match the extension).")
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, engine="openpyxl")
    except Exception as exc:
        raise DataError(f"'{name}' could not be read as an Excel workbook: {type(exc).__name__}.") from None
    sheets = sheets.dropna(how="all").dropna(axis=1, how="all")
    if sheets.empty:
        raise DataError(f"'{name}' has an empty first sheet.")
    header = ["" if pd.isna(h) else str(h).strip() for h in sheets.iloc[0].tolist()]
    _check_header(header, name)
    frame = sheets.iloc[1:].reset_index(drop=True)
    frame.columns = header
    return frame.infer_objects()


def _check_header(header: list[str], name: str) -> None:
    blanks = [i + 1 for i, h in enumerate(header) if not h]
    if blanks:
        raise DataError(f"'{name}' has blank column names at position(s) {blanks}; every column needs a name.")
    seen, dups = set(), []
    for h in header:
        if h in seen and h not in dups:
            dups.append(h)
        seen.add(h)
    if dups:
        raise DataError(f"'{name}' has duplicate column names: {', '.join(dups)}.")


def _check_frame(frame: pd.DataFrame, name: str) -> None:
    if frame.shape[1] == 0:
        raise DataError(f"'{name}' has no columns.")
    _check_header([str(c).strip() for c in frame.columns], name)
    if len(frame) == 0:
        raise DataError(f"'{name}' has a header but no rows.")


def _strip_text(frame: pd.DataFrame) -> pd.DataFrame:
    # Adult-style files pad values with a space after the comma; trim so categories match.
    for col in frame.columns:
        if pd.api.types.is_object_dtype(frame[col]):
            frame[col] = frame[col].map(lambda v: v.strip() if isinstance(v, str) else v)
        elif pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].str.strip()
    return frame


# --------------------------------------------------------------------------------------------
# Profiling


def profile_table(table: Table) -> TableProfile:
    """Per-column inferred type, missing share and distinct count, plus label candidates."""
    frame = table.frame
    profiles = [
        ColumnProfile(name=str(col), inferred_type=infer_column_type(frame[col]),
                      missing_share=float(frame[col].isna().mean()),
                      distinct_count=int(frame[col].nunique(dropna=True)))
        for col in frame.columns
    ]
    return TableProfile(name=table.name, fingerprint=table.fingerprint, format=table.format,
                        rows=table.rows, columns=len(table.columns), encoding=table.encoding,
                        delimiter=table.delimiter, column_profiles=profiles,
                        label_candidates=suggest_label_columns(frame))


def infer_column_type(series: pd.Series) -> str:
    """One of integer, float, boolean, datetime, categorical, text, string."""
    values = series.dropna()
    if pd.api.types.is_bool_dtype(series) or (len(values) and set(values.unique()) <= {True, False}):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "integer" if len(values) and np.all(np.mod(values, 1) == 0) else "float"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if len(values) == 0:
        return "string"
    strings = values.astype(str)
    sample = strings.sample(min(len(strings), 500), random_state=0)
    if sample.str.match(r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$").mean() > 0.9:
        return "datetime"
    distinct = strings.nunique()
    mean_words = sample.str.split().str.len().mean()
    if mean_words >= 4:
        return "text"
    if distinct <= max(20, 0.05 * len(strings)):
        return "categorical"
    return "string"


def suggest_label_columns(frame: pd.DataFrame) -> list[str]:
    """Columns that can serve as a classification target: 2 to 20 distinct values, likely names first."""
    candidates = [str(c) for c in frame.columns if 2 <= frame[c].nunique(dropna=True) <= 20]
    return sorted(candidates, key=lambda c: (not any(h == c.lower() or c.lower().startswith(h)
                                                     for h in _LABEL_NAME_HINTS), candidates.index(c)))
