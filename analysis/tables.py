"""The one loader: bytes or a path in, a validated `Table` out, or one clear `DataError`.

Formats: CSV/TSV/TXT (delimiter and encoding sniffed), Parquet, JSON, JSONL, Excel (.xlsx).
Nothing here logs or prints cell values.

Every file is hostile until checked: the limits in `analysis.settings` (`table_max_*`) are checked
BEFORE pandas reads - the zip directory and the sheet's cell extent of an .xlsx, the footer of a Parquet
file, the nesting depth and value count of JSON, the field size and row count of CSV - and each refusal
is a DataError naming the limit and its PRIVACY_AUDIT_* variable.

What the loader changes, so every later step sees plain, unique, hashable columns:
- column names are stripped; blank names become `column_N` (N its 1-based position) and duplicates
  (after stripping) become `name.1`, `name.2`, as pandas names them. `Table.renamed_columns` lists each
  change; the Data page and the CLI show them.
- list- and dict-valued cells (JSON arrays, Parquet lists/structs) become their JSON text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Optional, Union
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from analysis.results import Result
from analysis.settings import ENV_PREFIX, SAMPLE_DATA_DIR, get_settings

TEXT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".json": "json", ".jsonl": "jsonl",
                ".ndjson": "jsonl"}
BINARY_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel"}
SUPPORTED_EXTENSIONS = tuple(sorted({**TEXT_FORMATS, **BINARY_FORMATS}))
_SNIFF_BYTES = 64 * 1024
_SNIFF_CHARS = 8 * 1024  # the delimiter sniffer's sample (see _sniff_delimiter)
_LABEL_NAME_HINTS = ("target", "label", "class", "outcome", "income", "churn", "default", "y")


class DataError(ValueError):
    """A file or table that cannot be used, with a message meant for the user."""


@dataclass(frozen=True)
class Table:
    """A loaded dataset: the frame plus where it came from. `fingerprint` is the SHA-256 of the file.

    `renamed_columns` holds (name in the file, name in the frame) for each blank or duplicate column
    name the loader renamed; `load_seconds` and `memory_bytes` (deep size of the frame) are measured
    by `load_table`.
    """

    name: str
    frame: pd.DataFrame = field(repr=False, compare=False)
    fingerprint: str
    format: str
    encoding: Optional[str] = None
    delimiter: Optional[str] = None
    size_bytes: int = 0
    renamed_columns: tuple[tuple[str, str], ...] = ()
    load_seconds: float = field(default=0.0, compare=False)
    memory_bytes: int = field(default=0, compare=False)

    @property
    def rows(self) -> int:
        return int(len(self.frame))

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def rename_note(self) -> str:
        """One line listing the renamed columns, or '' when none was renamed."""
        if not self.renamed_columns:
            return ""
        shown = ", ".join(f"{old!r} -> {new!r}" if old else f"(blank) -> {new!r}"
                          for old, new in self.renamed_columns)
        return f"Column names in '{self.name}' were blank or repeated; renamed: {shown}."


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

    Raises DataError with a user-facing message for anything unusable: unknown extension, a file over
    the size limit or any of the table limits (module docstring), empty or binary content, ragged rows,
    zero rows. Blank and duplicate column names are renamed, not refused.
    """
    started = time.perf_counter()
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

    fingerprint = bytes_fingerprint(data)
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

    frame, renamed = _unique_columns(frame)
    _check_frame(frame, name)
    frame = _cells_to_text(frame)
    table = Table(name=name, frame=frame, fingerprint=fingerprint, format=fmt, encoding=encoding,
                  delimiter=delimiter, size_bytes=len(data), renamed_columns=renamed)
    memory = int(frame.memory_usage(deep=True, index=True).sum())
    return replace(table, load_seconds=time.perf_counter() - started, memory_bytes=memory)


def list_samples() -> dict[str, str]:
    """Bundled datasets: file name -> one-line description (from sample_data/README.md order)."""
    descriptions = {
        "customers.csv": "Synthetic customers (Faker, seed 42): identifiers, quasi-identifiers, notes, target",
        "adult.csv": "UCI Adult census table (CC BY 4.0): quasi-identifiers and income class",
        "tickets.csv": "Synthetic support tickets (Faker, seed 23): names, e-mails, phones in free text",
    }
    return {n: d for n, d in descriptions.items() if (SAMPLE_DATA_DIR / n).is_file()}


def load_sample(file_name: str) -> Table:
    """Load a bundled dataset from sample_data/ by file name."""
    if file_name not in list_samples():
        raise DataError(f"No bundled dataset named '{file_name}'; choose one of {sorted(list_samples())}.")
    return load_table(SAMPLE_DATA_DIR / file_name, max_bytes=10**10)


def bytes_fingerprint(data: bytes) -> str:
    """SHA-256 of a file's bytes: the key of everything derived from an upload (tables, model files)."""
    return hashlib.sha256(data).hexdigest()


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


def _setting(name: str) -> str:
    """'setting PRIVACY_AUDIT_NAME': how a refusal tells the user which knob to turn."""
    return f"setting {ENV_PREFIX}{name.upper()}"


def _check_size(rows: int, columns: int, name: str, *, where: str = "") -> None:
    """Rows, columns and rows x columns against their limits; `where` says how the counts were learned."""
    settings = get_settings()
    if columns > settings.table_max_columns:
        raise DataError(f"'{name}' has {columns:,} columns{where}, over the limit of {settings.table_max_columns:,} "
                        f"({_setting('table_max_columns')}).")
    if rows > settings.table_max_rows:
        raise DataError(f"'{name}' has {rows:,} rows{where}, over the limit of {settings.table_max_rows:,} "
                        f"({_setting('table_max_rows')}).")
    cells = rows * columns
    if cells > settings.table_max_cells:
        raise DataError(f"'{name}' has {rows:,} rows x {columns:,} columns = {cells:,} cells{where}, over the "
                        f"limit of {settings.table_max_cells:,} cells ({_setting('table_max_cells')}).")


def _read_delimited(text: str, name: str, *, tab: bool) -> tuple[pd.DataFrame, str]:
    delimiter = "\t" if tab else _sniff_delimiter(text)
    max_field = get_settings().table_max_field_chars
    # Process-wide, but only ever set to the configured value; pandas' C parser has no such limit,
    # so this pass (which also finds ragged rows and counts them) is where long fields are refused.
    csv.field_size_limit(max_field)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(rows)
        width, count = len(header), 0
        for line_no, row in enumerate(rows, start=2):
            if row:
                if len(row) != width:
                    raise DataError(f"'{name}' has ragged rows: line {line_no} has {len(row)} fields, the header "
                                    f"has {width}. Check the delimiter and quoting.")
                count += 1
    except StopIteration:
        raise DataError(f"'{name}' is empty.") from None
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise DataError(f"'{name}' has a field longer than {max_field:,} characters (line {rows.line_num}), "
                            f"over the field size limit ({_setting('table_max_field_chars')}).") from None
        raise DataError(f"'{name}' could not be parsed as delimited text (line {rows.line_num}: {exc}).") from None
    _check_size(count, width, name)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, skipinitialspace=False, index_col=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"'{name}' could not be parsed as delimited text: {str(exc).splitlines()[0]}") from None
    if frame.shape[1] != width:
        raise DataError(f"'{name}' could not be parsed as delimited text: the header has {width} fields, "
                        f"the parser found {frame.shape[1]} columns.")
    frame = _strip_text(frame)  # while pandas' names are unique: frame[name] of a repeated name is slow
    frame.columns = header  # the names as written: pandas' own 'Unnamed: 2' / 'a.1' are redone in one place
    return frame, delimiter


def _sniff_delimiter(text: str) -> str:
    # csv.Sniffer's quote-guessing regexes are quadratic in the sample: 40 KB of ',"' takes half a
    # minute, 8 KB well under a second. 8 KB still holds the first lines of any table.
    sample = "\n".join(text[:_SNIFF_CHARS].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


# A string, or an unterminated one running to the end: every '"' starts a match, so the scan is linear
# (a pattern that can fail retries from each later quote: quadratic on a quote then many escaped quotes).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*+(?:"|\\?\Z)', re.DOTALL)  # *+ keeps no backtrack stack
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = np.zeros(256, dtype=np.int8)
_BRACKET_STEP[[ord("["), ord("{")]] = 1
_BRACKET_STEP[[ord("]"), ord("}")]] = -1


def _check_json_text(text: str, name: str) -> int:
    """Nesting depth and value count, from the text alone, before json.loads builds anything.
    Returns the number of JSON objects (`{`) in the text.

    Strings are blanked first so brackets inside them do not count. JSONL is checked as one text: each
    valid line is balanced, so the deepest point is the deepest line's.
    """
    settings = get_settings()
    structure = _JSON_STRING.sub('""', text)
    depth = _max_depth(_NOT_BRACKET.sub("", structure), settings.table_max_json_depth)
    if depth > settings.table_max_json_depth:
        raise DataError(f"'{name}' nests JSON arrays/objects more than {settings.table_max_json_depth} levels "
                        f"deep, over the nesting limit ({_setting('table_max_json_depth')}).")
    # Every value but the first follows a ',' or a ':' (an over-estimate of the cells, never under).
    values = structure.count(",") + structure.count(":") + 1
    if values > settings.table_max_cells:
        raise DataError(f"'{name}' holds about {values:,} JSON values, over the limit of "
                        f"{settings.table_max_cells:,} cells ({_setting('table_max_cells')}).")
    return structure.count("{")


def _max_depth(brackets: str, limit: int) -> int:
    """Deepest nesting of a string of brackets; stops early once past `limit`. Chunked to bound memory."""
    depth = deepest = 0
    raw = brackets.encode("ascii")
    for start in range(0, len(raw), 1 << 22):
        steps = _BRACKET_STEP[np.frombuffer(raw, dtype=np.uint8, count=min(1 << 22, len(raw) - start),
                                            offset=start)]
        running = np.cumsum(steps, dtype=np.int64) + depth
        deepest = max(deepest, int(running.max()))
        if deepest > limit:
            break
        depth = int(running[-1])
    return deepest


def _read_json(text: str, name: str, *, lines: bool) -> pd.DataFrame:
    objects = _check_json_text(text, name)
    try:
        if lines:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"'{name}' is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    except RecursionError:  # the depth check above should have caught it first
        raise DataError(f"'{name}' nests JSON too deeply ({_setting('table_max_json_depth')}).") from None
    if isinstance(records, dict):
        # {"data": [...]} or a column-oriented {"col": [...], ...}
        lists = [v for v in records.values() if isinstance(v, list)]
        if len(records) == 1 and lists and all(isinstance(r, dict) for r in lists[0]):
            records = lists[0]
        elif lists and len(lists) == len(records):
            lengths = {len(v) for v in lists}
            if len(lengths) != 1:
                raise DataError(f"'{name}' holds columns of different lengths {sorted(lengths)}.")
            _check_size(lengths.pop(), len(lists), name)
            return pd.DataFrame(records)
        else:
            raise DataError(f"'{name}' is a JSON object, not a table (expected a list of records).")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataError(f"'{name}' must hold a list of records (JSON objects), one per row.")
    # Records with different keys widen the table: rows x (union of flattened keys) is what pandas builds.
    flat = objects <= len(records) + 1  # no object inside a record (the +1: a {"data": [...]} wrapper)
    if flat:
        keys: set[str] = set().union(*records)
    else:
        keys = set()
        for record in records:
            _flat_keys(record, "", keys)
    _check_size(len(records), len(keys), name)
    # Flat records need no json_normalize (the same frame, several times faster).
    return pd.DataFrame(records) if flat else pd.json_normalize(records)


def _flat_keys(record: dict, prefix: str, keys: set[str]) -> None:
    """The column names json_normalize makes of one record (nested objects joined with '.')."""
    for key, value in record.items():
        if isinstance(value, dict) and value:
            _flat_keys(value, f"{prefix}{key}.", keys)
        else:
            keys.add(f"{prefix}{key}")


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not (data[:4] == b"PAR1" and data[-4:] == b"PAR1"):
        raise DataError(f"'{name}' is not a Parquet file (its content does not match the extension).")
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        metadata = parquet.metadata
        _check_size(metadata.num_rows, metadata.num_columns, name, where=" (from its footer)")
        if any(pa.types.is_nested(f.type) for f in parquet.schema_arrow):
            _check_nested_values(metadata, name)
        # The footer could understate: count rows and decoded bytes again while reading, batch by batch.
        batches, rows, decoded = [], 0, 0
        limit = get_settings().table_max_uncompressed_mb
        for batch in parquet.iter_batches(batch_size=65_536):
            rows, decoded = rows + batch.num_rows, decoded + batch.nbytes
            _check_size(rows, batch.num_columns, name)
            if decoded > limit * 2**20:
                raise DataError(f"'{name}' decodes to more than {limit:,.0f} MB, over the uncompressed size limit "
                                f"({_setting('table_max_uncompressed_mb')}).")
            batches.append(batch)
        arrow = pa.Table.from_batches(batches, schema=parquet.schema_arrow)
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise DataError(f"'{name}' is a damaged Parquet file: {type(exc).__name__}.") from None
    # Text as pandas' own `str` dtype, as pd.read_parquet gives it.
    text = pd.StringDtype(na_value=np.nan)
    return arrow.to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get)


def _check_nested_values(metadata, name: str) -> None:
    """List columns hold many values per row: one row can carry 100 million. Their leaf values, from the
    footer, count against the cell limit."""
    limit = get_settings().table_max_cells
    values = sum(metadata.row_group(g).column(c).num_values
                 for g in range(metadata.num_row_groups) for c in range(metadata.num_columns))
    if values > limit:
        raise DataError(f"'{name}' holds {values:,} values (from its footer; list columns count each item), over "
                        f"the limit of {limit:,} cells ({_setting('table_max_cells')}).")


def _read_excel(data: bytes, name: str) -> pd.DataFrame:
    if data[:2] != b"PK":
        raise DataError(f"'{name}' is not an Excel .xlsx workbook (its content does not match the extension).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DataError(f"'{name}' could not be read as an Excel workbook: {type(exc).__name__}.") from None
    with archive:
        _check_archive(archive, name)
        _check_sheet_extent(archive, _first_sheet_path(data, name), name)
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, engine="openpyxl")
    except Exception as exc:
        raise DataError(f"'{name}' could not be read as an Excel workbook: {type(exc).__name__}.") from None
    sheets = sheets.dropna(how="all").dropna(axis=1, how="all")
    if sheets.empty:
        raise DataError(f"'{name}' has an empty first sheet.")
    frame = sheets.iloc[1:].reset_index(drop=True)
    frame.columns = ["" if pd.isna(h) else str(h) for h in sheets.iloc[0].tolist()]
    return frame.infer_objects()


def _check_archive(archive: zipfile.ZipFile, name: str) -> None:
    """The zip's central directory against the member, inflated-size and ratio limits.

    Python's zipfile (and so openpyxl) stops each member at the size its directory entry declares,
    so these figures bound what any later read can inflate to.
    """
    settings = get_settings()
    members = archive.infolist()
    if len(members) > settings.table_max_archive_members:
        raise DataError(f"'{name}' is a zip of {len(members):,} entries, over the limit of "
                        f"{settings.table_max_archive_members:,} ({_setting('table_max_archive_members')}).")
    inflated = sum(m.file_size for m in members)
    limit = settings.table_max_uncompressed_mb * 2**20
    if inflated > limit:
        raise DataError(f"'{name}' inflates to {inflated / 2**20:,.0f} MB, over the uncompressed size limit of "
                        f"{settings.table_max_uncompressed_mb:,.0f} MB ({_setting('table_max_uncompressed_mb')}).")
    ratio = inflated / max(1, sum(m.compress_size for m in members))
    if ratio > settings.table_max_compression_ratio:
        raise DataError(f"'{name}' inflates {ratio:,.0f} times its compressed size, over the compression ratio "
                        f"limit of {settings.table_max_compression_ratio:,.0f} "
                        f"({_setting('table_max_compression_ratio')}).")


def _first_sheet_path(data: bytes, name: str) -> str:
    """The member openpyxl (and so pd.read_excel sheet 0) reads: found the way openpyxl finds it."""
    from openpyxl.reader.excel import ExcelReader, _find_workbook_part
    from openpyxl.reader.workbook import WorkbookParser

    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        reader.read_manifest()
        parser = WorkbookParser(reader.archive, _find_workbook_part(reader.package).PartName[1:], keep_links=False)
        parser.parse()
        for _, rel in parser.find_sheets():
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                return rel.target
    except Exception as exc:
        raise DataError(f"'{name}' could not be read as an Excel workbook: {type(exc).__name__}.") from None
    raise DataError(f"'{name}' has no worksheet.")


# A row, cell or dimension start tag (any namespace prefix), and the cell reference in its attributes.
_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|dimension)(?=[\s/>])([^>]*)")
_CELL_REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']\$?([A-Za-z]{0,3})\$?(\d*)["']""")
_DIMENSION_REF = re.compile(rb"""(?:^|\s)ref\s*=\s*["']([^"']*)["']""")


def _check_sheet_extent(archive: zipfile.ZipFile, member: str, name: str) -> None:
    """Refuse a sheet whose cells span more than the cell limit, reading its XML as a stream.

    pandas pads every row to the widest one and keeps every row up to the last filled one, so one
    cell at XFD1048576 means 17 billion cells. The extent comes from the cells themselves, not the
    `<dimension>` element, which a file can leave out or get wrong.
    """
    limit = get_settings().table_max_cells
    max_row = max_col = row = col = 0
    dimension = ""
    with archive.open(member) as stream:
        for tag, attributes in _sheet_tags(stream, name):
            if tag == b"dimension":
                found = _DIMENSION_REF.search(attributes)
                dimension = found.group(1).decode("ascii", "replace") if found else ""
                continue
            ref = _CELL_REF.search(attributes)
            if tag == b"row":
                row, col = (int(ref.group(2)) if ref and ref.group(2) else row + 1), 0
                continue
            col = _column_number(ref.group(1)) if ref and ref.group(1) else col + 1
            row = int(ref.group(2)) if ref and ref.group(2) else row
            max_row, max_col = max(max_row, row), max(max_col, col)
            if max_row * max_col > limit:
                break
    if max_row * max_col > limit:
        declared = f" (its dimension says {dimension})" if dimension else ""
        raise DataError(f"'{name}' has a first sheet whose cells span at least {max_row:,} rows x {max_col:,} "
                        f"columns{declared}, over the limit of {limit:,} cells ({_setting('table_max_cells')}).")
    _check_size(max(0, max_row - 1), max_col, name)  # the first row is the header


def _sheet_tags(stream, name: str) -> Iterator[tuple[bytes, bytes]]:
    """(tag name, attribute text) of each row/c/dimension start tag, read 4 MB at a time."""
    tail = b""
    while True:
        chunk = stream.read(1 << 22)
        buffer, tail = tail + chunk, b""
        cut = buffer.rfind(b"<")
        if chunk and cut >= 0 and buffer.find(b">", cut) < 0:  # a tag split across two reads
            buffer, tail = buffer[:cut], buffer[cut:]
            if len(tail) > 1 << 20:
                raise DataError(f"'{name}' has a sheet with an XML tag over 1 MB long; it is not a workbook "
                                f"this tool reads.")
        for found in _SHEET_TAG.finditer(buffer):
            yield found.group(1), found.group(2)
        if not chunk:
            return


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + (letter - 64)
    return number


def _unique_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple[tuple[str, str], ...]]:
    """Strip column names, name blank ones `column_N`, and number repeats as pandas does (`a`, `a.1`).

    A blank name is not refused: the column may hold personal data, and refusing would hide it from the
    audit. Returns the frame (renamed in place) and the (name in the file, new name) pairs.
    """
    original = ["" if c is None or (isinstance(c, float) and np.isnan(c)) else str(c).strip()
                for c in frame.columns]
    named = [n or f"column_{position}" for position, n in enumerate(original, start=1)]
    unique, counts = [], {}
    for column in named:  # pandas' dedup_names: a, a.1, a.2, skipping names already taken
        count = counts.get(column, 0)
        while count > 0:
            counts[column] = count + 1
            column = f"{column}.{count}"
            count = counts.get(column, 0)
        unique.append(column)
        counts[column] = count + 1
    frame.columns = unique
    return frame, tuple((old, new) for old, new in zip(original, unique) if old != new)


def _check_frame(frame: pd.DataFrame, name: str) -> None:
    if frame.shape[1] == 0:
        raise DataError(f"'{name}' has no columns.")
    if len(frame) == 0:
        raise DataError(f"'{name}' has a header but no rows.")
    _check_size(len(frame), frame.shape[1], name)


def _cells_to_text(frame: pd.DataFrame) -> pd.DataFrame:
    """List/dict cells (JSON arrays, Parquet lists and structs) become their JSON text, so every
    later step sees hashable values it can group, count and compare."""
    for column in frame.columns:
        series = frame[column]
        if series.dtype != object:
            continue
        nested = series.map(lambda v: isinstance(v, (list, dict, tuple, np.ndarray)))
        if nested.any():
            frame[column] = series.where(~nested, series[nested].map(_json_text))
    return frame


def _json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True,
                      default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v))


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
    """Columns that can serve as a classification target: 2 to 20 distinct values, likely names first,
    protected attributes left out (`analysis.labels`)."""
    from analysis.labels import order_label_candidates

    candidates = [str(c) for c in frame.columns if 2 <= frame[c].nunique(dropna=True) <= 20]
    ordered = sorted(candidates, key=lambda c: (not any(h == c.lower() or c.lower().startswith(h)
                                                        for h in _LABEL_NAME_HINTS), candidates.index(c)))
    return order_label_candidates(ordered)  # never a protected attribute (sex, race, ...); outcomes first
