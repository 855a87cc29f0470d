"""Hostile tables, built in memory: each function returns the bytes of one file.

Small on disk, huge once read (far-cell and inflating workbooks, a row-heavy Parquet file, JSON
that fans out into columns), or shaped to crash a parser (deep JSON, an over-long CSV field,
list-valued cells). Used by tests/security/test_hostile_tables.py and benchmarks/hostile_inputs.py.
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from typing import Optional

SHEET = "xl/worksheets/sheet1.xml"


def _workbook(cells: dict[str, object]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for ref, value in cells.items():
        sheet[ref] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same zip with some members' content replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
    return out.getvalue()


def far_cell_xlsx(dimension: Optional[str] = "declared") -> bytes:
    """About 5 KB: a header, one row, and one cell at XFD1048576 (pandas pads to 17 billion cells).

    dimension: "declared" keeps the true `<dimension ref="A1:XFD1048576">`; "lying" says A1:B2;
    "missing" removes the element, so only the cells themselves tell the extent; "unreferenced" also
    drops the cells' `r` attributes in the last row (2,000 cells that count only by position).
    """
    data = _workbook({"A1": "name", "B1": "age", "A2": "Ann", "B2": 34, "XFD1048576": 1})
    if dimension == "declared":
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read(SHEET)
    new = b'<dimension ref="A1:B2"/>' if dimension == "lying" else b""
    sheet = re.sub(rb"<dimension[^>]*/>", new, sheet)
    if dimension == "unreferenced":
        sheet = re.sub(rb'<row r="1048576".*?</row>', b'<row r="1048576">' + b"<c><v>1</v></c>" * 2000 + b"</row>",
                       sheet, flags=re.S)
    return _rezip(data, {SHEET: sheet})


def inflating_xlsx(inflated_mb: int = 1024) -> bytes:
    """A valid one-sheet workbook whose sheet XML is padded with whitespace to `inflated_mb` MB.

    Deflate squeezes the padding about 1000:1, so 1 GB of sheet XML is a file of about 1 MB.
    The member is written in 1 MB pieces, so building it never holds the inflated text.
    """
    data = _workbook({"A1": "name", "A2": "Ann"})
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        sheet = source.read(SHEET)
        head, rest = sheet.split(b"<sheetData>", 1)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
            for info in source.infolist():
                if info.filename != SHEET:
                    target.writestr(info.filename, source.read(info.filename))
                    continue
                with target.open(SHEET, "w", force_zip64=True) as member:
                    member.write(head)
                    piece = b" " * 2**20
                    for _ in range(inflated_mb):
                        member.write(piece)
                    member.write(b"<sheetData>" + rest)
    return out.getvalue()


def row_heavy_parquet(rows: int = 30_000_000) -> bytes:
    """`rows` rows of a constant id and a constant city; dictionary + RLE encoding keeps the file near
    200 KB (pd.read_parquet of the full size: about 1 GB). Written in row groups of at most 5 million
    rows, so building it stays small too."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("id", pa.int64()), ("city", pa.string())])
    buffer = io.BytesIO()
    with pq.ParquetWriter(buffer, schema, use_dictionary=True, compression="zstd") as writer:
        for start in range(0, rows, 5_000_000):
            size = min(5_000_000, rows - start)
            city = pa.DictionaryArray.from_arrays(pa.array(np.zeros(size, dtype=np.int8)), pa.array(["Oslo"]))
            writer.write_table(pa.table({"id": np.zeros(size, dtype=np.int64), "city": city.cast(pa.string())},
                                        schema=schema))
    return buffer.getvalue()


def nested_list_parquet(values: int = 100_000_000) -> bytes:
    """Two rows, one list column holding `values` zeros: RLE keeps the file small, pandas would hold
    every item and the loader's JSON text of it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    items = pa.ListArray.from_arrays(pa.array([0, values // 2, values], type=pa.int32()),
                                     pa.array(np.zeros(values, dtype=np.int8)))
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2], "items": items}), buffer, use_dictionary=True, compression="zstd")
    return buffer.getvalue()


def deeply_nested_json(depth: int = 100_000, lines: bool = False) -> bytes:
    """Records whose one value is an array nested `depth` levels (json.loads: RecursionError)."""
    record = '{"id": 1, "value": ' + "[" * depth + "]" * depth + "}"
    return (record + "\n" if lines else "[" + record + "]").encode()


def escaped_quotes_json(count: int = 1_000_000) -> bytes:
    """An unterminated string of escaped quotes: a string pattern that can fail is quadratic on it."""
    return ('["' + '\\"' * count).encode()


def long_field_csv(chars: int = 200_000) -> bytes:
    """A CSV whose one quoted field is longer than the csv module's default 131,072-character limit."""
    return ("id,notes\n1,\"" + "x" * chars + "\"\n2,short\n").encode()


def sniffer_stall_csv(repeats: int = 32_768) -> bytes:
    """A header, then 64 KB of ',"': csv.Sniffer's regexes are quadratic on it (over a minute)."""
    return ("a,b\n" + ',"' * repeats + "\n").encode()


def wide_csv(columns: int = 100_000) -> bytes:
    """A header of `columns` names and one row (about 1.2 MB): pandas pays per column, even with no rows."""
    return (",".join(f"c{i}" for i in range(columns)) + "\n" + ",".join("1" * columns) + "\n").encode()


def wide_json(rows: int = 20_000) -> bytes:
    """Each record has its own key: json_normalize would build rows x rows cells, nearly all empty."""
    return json.dumps([{f"k{i}": i} for i in range(rows)]).encode()


def list_valued_json(rows: int = 300, seed: int = 0) -> bytes:
    """Records whose quasi-identifiers are lists and objects (a crash in `risk` before: unhashable)."""
    rng = random.Random(seed)
    records = [{"age": [rng.randint(20, 70), rng.randint(20, 70)], "zip": [f"{rng.randint(100, 105)}"],
                "visits": [{"city": rng.choice(["Oslo", "Köln", "Lyon"])}],
                "sex": rng.choice(["F", "M"])} for _ in range(rows)]
    return json.dumps(records).encode()


# name -> (file name, builder with its default, full-size arguments): what the benchmark runs.
HOSTILE_TABLES = {
    "far-cell xlsx (dimension declared)": ("far.xlsx", lambda: far_cell_xlsx("declared")),
    "far-cell xlsx (dimension lying)": ("far.xlsx", lambda: far_cell_xlsx("lying")),
    "far-cell xlsx (dimension missing)": ("far.xlsx", lambda: far_cell_xlsx("missing")),
    "far-cell xlsx (no cell references)": ("far.xlsx", lambda: far_cell_xlsx("unreferenced")),
    "inflating xlsx (1 GB sheet)": ("bomb.xlsx", lambda: inflating_xlsx(1024)),
    "inflating xlsx (100 MB sheet, ratio)": ("bomb.xlsx", lambda: inflating_xlsx(100)),
    "row-heavy parquet (30M rows)": ("rows.parquet", row_heavy_parquet),
    "list-column parquet (100M items, 2 rows)": ("items.parquet", nested_list_parquet),
    "deeply nested json": ("deep.json", deeply_nested_json),
    "deeply nested jsonl": ("deep.jsonl", lambda: deeply_nested_json(lines=True)),
    "wide json (20k distinct keys)": ("wide.json", wide_json),
    "json of 1M escaped quotes": ("quotes.json", escaped_quotes_json),
    "csv field over the limit": ("long.csv", long_field_csv),
    "csv that stalls the delimiter sniffer": ("sniff.csv", sniffer_stall_csv),
    "wide csv (100k columns)": ("wide.csv", wide_csv),
    "list-valued json": ("lists.json", list_valued_json),
}
