"""Hostile tables are refused before pandas expands them, each with a DataError naming the limit and
its setting; list-valued cells load as text; the CLI exits 2 on a refusal and never shows a traceback.

Time and memory targets for the full-size files are measured in benchmarks/hostile_inputs.py.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from analysis.settings import PROJECT_ROOT, get_settings
from analysis.tables import DataError, load_table
from tests.security import hostile_tables as hostile


@pytest.fixture
def limits(monkeypatch):
    """Set table limits (field name -> value) through their PRIVACY_AUDIT_* variables."""
    def apply(**values):
        for field, value in values.items():
            monkeypatch.setenv(f"PRIVACY_AUDIT_{field.upper()}", str(value))
        get_settings.cache_clear()
    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


def _refusal(data: bytes, name: str) -> str:
    with pytest.raises(DataError) as info:
        load_table(data, name=name)
    return str(info.value)


@pytest.mark.parametrize("dimension", ["declared", "lying", "missing", "unreferenced"])
def test_far_cell_workbook_is_refused_by_its_cell_extent(dimension):
    data = hostile.far_cell_xlsx(dimension)
    assert len(data) < 8_000
    message = _refusal(data, "far.xlsx")
    # Cells without references count by position; the scan stops as soon as the extent is over the limit.
    assert ("span at least 1,048,576 rows x " if dimension == "unreferenced"
            else "1,048,576 rows x 16,384 columns") in message
    assert "PRIVACY_AUDIT_TABLE_MAX_CELLS" in message


def test_inflating_workbook_is_refused_by_its_uncompressed_size(limits):
    limits(table_max_uncompressed_mb=8)
    message = _refusal(hostile.inflating_xlsx(inflated_mb=16), "bomb.xlsx")
    assert "inflates to 16 MB" in message and "PRIVACY_AUDIT_TABLE_MAX_UNCOMPRESSED_MB" in message


def test_inflating_workbook_is_refused_by_its_compression_ratio():
    message = _refusal(hostile.inflating_xlsx(inflated_mb=4), "bomb.xlsx")
    assert "compression ratio limit of 200" in message
    assert "PRIVACY_AUDIT_TABLE_MAX_COMPRESSION_RATIO" in message


def test_workbook_with_too_many_entries_is_refused(limits):
    limits(table_max_archive_members=3)
    message = _refusal(hostile.far_cell_xlsx(), "many.xlsx")
    assert "entries" in message and "PRIVACY_AUDIT_TABLE_MAX_ARCHIVE_MEMBERS" in message


def test_row_heavy_parquet_is_refused_from_its_footer():
    data = hostile.row_heavy_parquet()
    assert len(data) < 256 * 1024
    message = _refusal(data, "rows.parquet")
    assert "30,000,000 rows (from its footer)" in message and "PRIVACY_AUDIT_TABLE_MAX_ROWS" in message


def test_parquet_list_column_is_refused_by_its_item_count(limits):
    limits(table_max_cells=1_000_000)
    message = _refusal(hostile.nested_list_parquet(values=2_000_000), "items.parquet")
    assert "2,000,002 values" in message and "PRIVACY_AUDIT_TABLE_MAX_CELLS" in message


def test_parquet_decoding_past_the_uncompressed_limit_is_refused(limits):
    limits(table_max_uncompressed_mb=1)  # 2,000 rows of a 1 KB string: 2 MB once decoded
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"note": ["x" * 1024] * 2000}), buffer)
    message = _refusal(buffer.getvalue(), "notes.parquet")
    assert "decodes to more than 1 MB" in message and "PRIVACY_AUDIT_TABLE_MAX_UNCOMPRESSED_MB" in message


def test_parquet_over_the_cell_limit_is_refused(limits):
    limits(table_max_cells=1_000)
    message = _refusal(hostile.row_heavy_parquet(rows=2_000), "rows.parquet")
    assert "2,000 rows x 2 columns = 4,000 cells" in message and "PRIVACY_AUDIT_TABLE_MAX_CELLS" in message


@pytest.mark.parametrize("lines", [False, True], ids=["json", "jsonl"])
def test_deeply_nested_json_is_refused_before_parsing(lines):
    message = _refusal(hostile.deeply_nested_json(lines=lines), "deep.jsonl" if lines else "deep.json")
    assert "more than 32 levels deep" in message and "PRIVACY_AUDIT_TABLE_MAX_JSON_DEPTH" in message


def test_json_nesting_within_the_limit_loads_and_brackets_in_strings_do_not_count():
    records = [{"id": 1, "value": [[[1]]], "note": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]
    frame = load_table(json.dumps(records).encode(), name="ok.json").frame
    assert frame["value"].tolist() == ["[[[1]]]"]


def test_unterminated_string_of_escaped_quotes_is_refused_as_invalid_json():
    # 2 MB: the string scan before json.loads must be linear here (it was quadratic: minutes).
    message = _refusal(hostile.escaped_quotes_json(), "quotes.json")
    assert "not valid JSON" in message and "Unterminated string" in message


def test_json_fanning_out_into_columns_is_refused():
    message = _refusal(hostile.wide_json(), "wide.json")
    assert "20,000 rows x 20,000 columns" in message and "PRIVACY_AUDIT_TABLE_MAX_CELLS" in message


def test_csv_field_over_the_limit_is_a_data_error_and_the_limit_is_a_setting(limits):
    data = hostile.long_field_csv(chars=200_000)
    message = _refusal(data, "long.csv")
    assert "longer than 131,072 characters" in message and "PRIVACY_AUDIT_TABLE_MAX_FIELD_CHARS" in message
    limits(table_max_field_chars=300_000)
    assert len(load_table(data, name="long.csv").frame.loc[0, "notes"]) == 200_000


def test_csv_that_stalled_the_delimiter_sniffer_gets_its_message():
    # 64 KB: csv.Sniffer on the whole 64 KB sample took over a minute; the sniffer now sees 8 KB.
    assert "ragged rows: line 2" in _refusal(hostile.sniffer_stall_csv(), "sniff.csv")


def test_wide_csv_is_refused_by_its_column_count():
    message = _refusal(hostile.wide_csv(), "wide.csv")
    assert "100,000 columns" in message and "PRIVACY_AUDIT_TABLE_MAX_COLUMNS" in message


def test_csv_over_the_cell_limit_is_refused(limits):
    limits(table_max_cells=10)
    message = _refusal(b"a,b\n" + b"1,2\n" * 6, "cells.csv")
    assert "6 rows x 2 columns = 12 cells" in message


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=300)


def test_cli_risk_on_list_valued_quasi_identifiers_runs(tmp_path):
    path = tmp_path / "lists.json"
    path.write_bytes(hostile.list_valued_json())
    proc = _cli("risk", str(path), "--quasi-identifiers", "age,zip,visits", "--sensitive", "sex")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "300 rows" in proc.stdout


@pytest.mark.parametrize("file_name,build,limit", [
    ("far.xlsx", hostile.far_cell_xlsx, "PRIVACY_AUDIT_TABLE_MAX_CELLS"),
    ("rows.parquet", hostile.row_heavy_parquet, "PRIVACY_AUDIT_TABLE_MAX_ROWS"),
    ("deep.json", hostile.deeply_nested_json, "PRIVACY_AUDIT_TABLE_MAX_JSON_DEPTH"),
    ("long.csv", hostile.long_field_csv, "PRIVACY_AUDIT_TABLE_MAX_FIELD_CHARS"),
], ids=["xlsx", "parquet", "json", "csv"])
def test_cli_refuses_hostile_tables_with_exit_2(tmp_path, file_name, build, limit):
    path = tmp_path / file_name
    path.write_bytes(build())
    proc = _cli("risk", str(path), "--quasi-identifiers", "age")
    assert proc.returncode == 2, proc.stderr
    assert limit in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_notes_renamed_columns_on_stderr(tmp_path):
    path = tmp_path / "compas.csv"
    path.write_text("age,priors_count,priors_count\n30,1,2\n40,3,4\n", encoding="utf-8")
    proc = _cli("risk", str(path), "--quasi-identifiers", "age,priors_count.1")
    assert proc.returncode == 0, proc.stderr
    assert "'priors_count' -> 'priors_count.1'" in proc.stderr
