"""Exit codes everywhere: 0 ok, 1 a policy failed, 2 bad input, 3 an internal error.

A crash is one line naming the exception's type (never its text, which may quote a cell value);
`--debug` adds the traceback. Bad input is one line of our own, naming the problem.
"""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from analysis.settings import SAMPLE_DATA_DIR

CUSTOMERS = str(SAMPLE_DATA_DIR / "customers.csv")
SECRET = "ann.secret@example.com"


def _crash(args):
    raise RuntimeError(f"boom while reading {SECRET}")


def _library_value_error(*args, **kwargs):
    return float(SECRET)  # ValueError: could not convert string to float: 'ann.secret@example.com'


@pytest.mark.parametrize("argv", [["scan", CUSTOMERS], ["--debug", "scan", CUSTOMERS],
                                  ["scan", CUSTOMERS, "--debug"]])
def test_internal_error_exits_3_with_one_line_and_traceback_only_with_debug(argv, monkeypatch, capsys):
    import analysis.cli.scan

    monkeypatch.setattr(analysis.cli.scan, "run", _crash)
    assert main(argv) == 3
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last == "privacy-audit scan: internal error: RuntimeError; rerun with --debug for the traceback"
    if "--debug" in argv:
        assert "Traceback (most recent call last)" in err and "_crash" in err
    else:
        assert err.strip() == last  # one line, no traceback, no exception text
        assert SECRET not in err


def test_uncaught_library_value_error_is_internal_and_quotes_no_value(monkeypatch, capsys):
    import analysis.cli.scan

    monkeypatch.setattr(analysis.cli.scan, "run", _library_value_error)
    assert main(["scan", CUSTOMERS]) == 3
    err = capsys.readouterr().err
    assert "internal error: ValueError" in err and SECRET not in err


def test_library_error_on_bad_input_exits_2_without_the_value(monkeypatch, capsys):
    import analysis.risk

    monkeypatch.setattr(analysis.risk, "assess_risk", _library_value_error)
    assert main(["risk", CUSTOMERS, "--quasi-identifiers", "zip,age"]) == 2
    err = capsys.readouterr().err
    assert SECRET not in err and "ValueError" in err and "--debug" in err
    assert main(["--debug", "risk", CUSTOMERS, "--quasi-identifiers", "zip,age"]) == 2
    assert SECRET in capsys.readouterr().err  # the user asked for the traceback


def test_audit_step_error_from_a_library_exits_2_without_the_value(monkeypatch, tmp_path, capsys):
    import analysis.risk

    def assess_risk(frame, quasi_identifiers, *, k=5, progress=None):
        return _library_value_error()

    monkeypatch.setattr(analysis.risk, "assess_risk", assess_risk)
    config = tmp_path / "audit.yaml"
    config.write_text(json.dumps({"data": CUSTOMERS, "steps": {"risk": {"quasi_identifiers": ["zip", "age"]}},
                                  "history": {"enabled": False}}), encoding="utf-8")
    assert main(["audit", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "steps.risk" in err and "ValueError" in err and SECRET not in err


@pytest.mark.parametrize("flag", ["--text-column", "--label"])
def test_memorization_with_an_empty_column_name_exits_2(flag, capsys):
    assert main(["memorization", CUSTOMERS, flag, ""]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"privacy-audit memorization: {flag} is empty: name a column of DATA"


def test_bad_input_exits_2_naming_the_problem(tmp_path, capsys):
    assert main(["scan", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv" in capsys.readouterr().err
    assert main(["memorization", CUSTOMERS, "--text-column", "no_such_column"]) == 2
    assert "no_such_column" in capsys.readouterr().err


def _deep_json(path):
    path.write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")


def _huge_field_csv(path):
    path.write_text("a,b\n" + "x" * 200_000 + ",1\n", encoding="utf-8")


@pytest.mark.parametrize("name,write", [("deep.json", _deep_json), ("huge_field.csv", _huge_field_csv)])
def test_known_loader_crashes_exit_2_with_one_line(name, write, tmp_path, capsys):
    """Issue 12's crashes (RecursionError, csv field limit) are refused by the loader's limits."""
    path = tmp_path / name
    write(path)
    assert main(["scan", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "limit" in err


def test_list_valued_quasi_identifiers_do_not_crash(tmp_path, capsys):
    path = tmp_path / "lists.json"
    rows = [{"tags": [1, i % 2], "zip": "12345", "x": i} for i in range(20)]
    path.write_text(json.dumps(rows), encoding="utf-8")
    assert main(["risk", str(path), "--quasi-identifiers", "tags,zip"]) == 0
    assert "k = 10" in capsys.readouterr().out
