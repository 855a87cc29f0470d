"""The loader: every supported format, sniffing, and one clear DataError for each malformed case."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from analysis.tables import (DataError, frame_fingerprint, infer_column_type, list_samples, load_sample,
                             load_table, profile_table)

FRAME = pd.DataFrame({"name": ["Zoë", "Ann", "Björn"], "age": [34, 51, 27], "city": ["Köln", "Oslo", "Malmö"]})


def _csv(sep: str = ",") -> str:
    return FRAME.to_csv(index=False, sep=sep)


def _assert_same(frame: pd.DataFrame) -> None:
    assert frame.columns.tolist() == ["name", "age", "city"]
    assert frame["name"].tolist() == ["Zoë", "Ann", "Björn"]
    assert frame["age"].tolist() == [34, 51, 27]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(sep):
    table = load_table(_csv(sep).encode(), name="people.csv")
    _assert_same(table.frame)
    assert table.delimiter == sep


@pytest.mark.parametrize("encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("latin-1", "latin-1")])
def test_csv_encodings(encoding, expected):
    table = load_table(_csv().encode(encoding), name="people.csv")
    _assert_same(table.frame)
    assert table.encoding == expected


def test_tsv():
    _assert_same(load_table(_csv("\t").encode(), name="people.tsv").frame)


def test_json_records_and_jsonl():
    records = FRAME.to_dict(orient="records")
    _assert_same(load_table(json.dumps(records).encode(), name="people.json").frame)
    lines = "\n".join(json.dumps(r) for r in records)
    _assert_same(load_table(lines.encode(), name="people.jsonl").frame)
    columns = {c: FRAME[c].tolist() for c in FRAME.columns}
    _assert_same(load_table(json.dumps(columns).encode(), name="cols.json").frame)


def test_parquet_and_excel():
    buffer = io.BytesIO()
    FRAME.to_parquet(buffer, index=False)
    _assert_same(load_table(buffer.getvalue(), name="people.parquet").frame)
    buffer = io.BytesIO()
    FRAME.to_excel(buffer, index=False, engine="openpyxl")
    table = load_table(buffer.getvalue(), name="people.xlsx")
    _assert_same(table.frame)
    assert table.format == "excel"


def test_fingerprint_is_content_hash():
    a = load_table(_csv().encode(), name="a.csv")
    b = load_table(_csv().encode(), name="b.csv")
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 64
    assert frame_fingerprint(a.frame) == frame_fingerprint(b.frame)
    assert frame_fingerprint(a.frame) != frame_fingerprint(a.frame.iloc[::-1])


@pytest.mark.parametrize("content,name,message", [
    (b"", "empty.csv", "empty"),
    (b"   \n\n", "blank.csv", "empty"),
    (b"\x00\x01\x02binary\x00junk" * 50, "junk.csv", "binary"),
    (b"a,b\n1,2\n3,4,5\n", "ragged.csv", "ragged rows: line 3 has 3 fields"),
    (b"a,b,c\n1,2,3\n4,5\n", "short.csv", "ragged rows: line 3 has 2 fields"),
    (b"a,b,c\n", "header_only.csv", "header but no rows"),
    (b"a,b\n1,2\n", "table.exe", "supported files are"),
    (b"a,b\n1,2\n", "noext", "no extension"),
    (b"not parquet at all", "fake.parquet", "not a Parquet file"),
    (b"not a workbook", "fake.xlsx", "not an Excel .xlsx workbook"),
    (b"{\"a\": 1,", "broken.json", "not valid JSON"),
    (b"[1, 2, 3]", "numbers.json", "list of records"),
    (b"[]", "none.json", "no columns"),
])
def test_malformed_files_get_one_clear_message(content, name, message):
    with pytest.raises(DataError) as info:
        load_table(content, name=name)
    assert message in str(info.value)
    assert "Traceback" not in str(info.value)


def _excel(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _parquet_with_names(names: list[str]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_arrays([pa.array([i]) for i in range(1, len(names) + 1)], names=names), buffer)
    return buffer.getvalue()


RENAMED = ["priors_count", "decile_score", "priors_count.1", "decile_score.1", "column_5"]


@pytest.mark.parametrize("content,name", [
    (b"priors_count,decile_score, priors_count ,decile_score,\n1,2,3,4,5\n", "compas.csv"),
    (b"priors_count\tdecile_score\tpriors_count\tdecile_score \t\n1\t2\t3\t4\t5\n", "compas.tsv"),
    (_excel([["priors_count", "decile_score", "priors_count", " decile_score", None], [1, 2, 3, 4, 5]]),
     "compas.xlsx"),
    (_parquet_with_names(["priors_count", "decile_score", "priors_count", "decile_score", ""]), "compas.parquet"),
    (json.dumps({"priors_count": [1], "decile_score": [2], " priors_count": [3], "decile_score ": [4],
                 "": [5]}).encode(), "compas.json"),
], ids=["csv", "tsv", "xlsx", "parquet", "json"])
def test_duplicate_and_blank_names_are_renamed_like_pandas(content, name):
    table = load_table(content, name=name)
    assert table.columns == RENAMED
    assert table.renamed_columns == (("priors_count", "priors_count.1"), ("decile_score", "decile_score.1"),
                                     ("", "column_5"))
    assert "'priors_count' -> 'priors_count.1'" in table.rename_note()
    assert table.frame.iloc[0].tolist() == [1, 2, 3, 4, 5]  # each column keeps its own values


def test_renaming_skips_names_already_taken():
    table = load_table(b"a,a,a.1,column_2\n1,2,3,4\n", name="taken.csv")
    assert table.columns == ["a", "a.1", "a.1.1", "column_2"]
    assert load_table(_csv().encode(), name="clean.csv").renamed_columns == ()


def test_list_and_dict_cells_become_json_text():
    records = [{"age": [30, 31], "visits": [{"city": "Oslo"}], "zip": "0150"},
               {"age": [40], "visits": [], "zip": "0151"}]
    frame = load_table(json.dumps(records).encode(), name="nested.json").frame
    assert frame["age"].tolist() == ["[30, 31]", "[40]"]
    assert frame["visits"].tolist() == ['[{"city": "Oslo"}]', "[]"]
    assert frame.groupby(["age", "visits"]).size().tolist() == [1, 1]  # hashable: groups like any text


def test_parquet_list_and_struct_cells_become_json_text():
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"tags": [[1, 2], [3]], "home": [{"city": "Oslo"}, {"city": "Lyon"}]}), buffer)
    frame = load_table(buffer.getvalue(), name="nested.parquet").frame
    assert frame["tags"].tolist() == ["[1, 2]", "[3]"]
    assert frame["home"].tolist() == ['{"city": "Oslo"}', '{"city": "Lyon"}']


def test_load_time_and_memory_are_measured():
    table = load_sample("adult.csv")
    assert 0 < table.load_seconds < 60
    assert table.memory_bytes == int(table.frame.memory_usage(deep=True).sum())
    assert table.memory_bytes > 32561 * 15  # at least a byte a cell


def test_size_limit_is_a_setting(monkeypatch):
    from analysis.settings import get_settings

    monkeypatch.setenv("PRIVACY_AUDIT_MAX_UPLOAD_MB", "0.0001")  # about 100 bytes
    get_settings.cache_clear()
    try:
        with pytest.raises(DataError, match="over the 0 MB limit"):
            load_table(("a,b\n" + "1,2\n" * 100).encode(), name="big.csv")
    finally:
        monkeypatch.delenv("PRIVACY_AUDIT_MAX_UPLOAD_MB")
        get_settings.cache_clear()
    assert get_settings().max_upload_mb == 200


def test_bad_setting_value_names_the_variable(monkeypatch):
    from analysis.settings import get_settings

    monkeypatch.setenv("PRIVACY_AUDIT_MAX_UPLOAD_MB", "lots")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="PRIVACY_AUDIT_MAX_UPLOAD_MB='lots'"):
            get_settings()
    finally:
        monkeypatch.delenv("PRIVACY_AUDIT_MAX_UPLOAD_MB")
        get_settings.cache_clear()


def test_bundled_samples_load_and_profile():
    assert set(list_samples()) == {"customers.csv", "adult.csv", "tickets.csv"}
    adult = load_sample("adult.csv")
    assert adult.rows == 32561 and len(adult.columns) == 15
    assert adult.frame["sex"].unique().tolist() == ["Male", "Female"]  # padding spaces trimmed
    customers = profile_table(load_sample("customers.csv"))
    assert customers.rows >= 5000
    assert customers.label_candidates[0] == "churned"
    by_name = {c.name: c for c in customers.column_profiles}
    assert by_name["notes"].inferred_type == "text"
    assert by_name["date_of_birth"].inferred_type == "datetime"
    assert by_name["amount"].inferred_type == "float"
    assert by_name["sex"].distinct_count == 2
    assert by_name["email"].missing_share == 0.0
    with pytest.raises(DataError, match="No bundled dataset"):
        load_sample("../etc/passwd")


def test_missing_share_and_types():
    frame = pd.DataFrame({"x": [1.0, None, 3.0, None], "flag": [True, False, True, False]})
    profile = profile_table(load_table(frame.to_csv(index=False).encode(), name="m.csv"))
    by_name = {c.name: c for c in profile.column_profiles}
    assert by_name["x"].missing_share == 0.5
    assert by_name["x"].inferred_type == "integer"
    assert infer_column_type(frame["flag"]) == "boolean"


def test_sample_generator_is_seeded():
    from scripts.make_sample_data import make_customers

    first, second = make_customers(50), make_customers(50)
    pd.testing.assert_frame_equal(first, second)
    assert first["churned"].nunique() == 2
