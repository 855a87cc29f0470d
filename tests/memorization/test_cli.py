"""`privacy-audit memorization`: JSON shape, tabular mode, and bad input -> exit 2."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main


def test_text_mode_writes_the_issue_json_shape(customers_path, tmp_path, capsys):
    out = tmp_path / "memorization.json"
    code = main(["memorization", str(customers_path), "--text-column", "notes", "--repeats", "1,64",
                 "--epsilon", "none", "--secret-space", "1000", "--max-rows", "60", "--epochs", "1",
                 "--canaries-per-repeat", "1", "--json", str(out), "--quiet"])
    assert code == 0
    payload = json.loads(out.read_text())
    assert payload["secret_space_bits"] == pytest.approx(9.9658, abs=1e-3)
    [model] = payload["models"]
    assert model["name"] == "non-private" and model["epsilon"] is None
    assert {c["repeats"] for c in model["canaries"]} == {0, 1, 64}
    assert all({"repeats", "exposure", "extracted"} <= set(c) for c in model["canaries"])
    printed = capsys.readouterr().out
    assert "secret space: 1,000 values" in printed and "recoverable" in printed


def test_tabular_mode_with_label(customers_path, tmp_path):
    out = tmp_path / "tab.json"
    code = main(["memorization", str(customers_path), "--label", "plan", "--repeats", "1,16",
                 "--epsilon", "2", "--max-rows", "200", "--epochs", "1", "--json", str(out), "--quiet"])
    assert code == 0
    payload = json.loads(out.read_text())
    assert payload["kind"] == "tabular" and payload["secret_space_size"] == 3
    assert [m["epsilon"] for m in payload["models"]] == [None, 2.0]


@pytest.mark.parametrize("extra, message", [
    (["--text-column", "nope"], "nope"),
    (["--text-column", "notes", "--epsilon", "-1"], "--epsilon"),
    (["--text-column", "notes", "--repeats", "1,x"], "--repeats"),
    (["--text-column", "notes", "--repeats", "0,4"], "repeats"),
    (["--text-column", "notes", "--secret-space", "5"], "secret_space_size"),
])
def test_bad_input_exits_2_with_a_message(customers_path, capsys, extra, message):
    assert main(["memorization", str(customers_path), *extra, "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["memorization", str(tmp_path / "none.csv"), "--text-column", "notes"]) == 2
    assert "No file" in capsys.readouterr().err
