"""`privacy-audit compare`: the JSON a CI job reads, and clear exit codes for bad input."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main


def test_compare_writes_runs_and_prints_the_table(adult_path, tmp_path, capsys):
    out = tmp_path / "tradeoff.json"
    code = main(["compare", str(adult_path), "--label", "class", "--epsilons", "1,inf", "--seeds", "1",
                 "--epochs", "1", "--max-rows", "800", "--no-baseline", "--quiet", "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    # without --strategies: the DP-SGD grid, every run in `runs` with the strategy row schema
    assert [(r["strategy"], r["epsilon_target"]) for r in data["runs"]] == [("none", None), ("dp", 1.0)]
    first = data["runs"][1]
    assert first["epsilon"] <= 1.0 + 1e-6 and first["delta"] == pytest.approx(1e-5) and first["unit"] == "record"
    assert first["noise_multiplier"] > 0 and first["accountant"].startswith("RDP")
    assert 0 <= first["accuracy"] <= 1 and first["attacks"] and first["train_seconds"] > 0
    assert data["skipped"] == [] and data["recommended"] == "DP-SGD ε = 1"
    printed = capsys.readouterr().out
    assert "| DP-SGD ε = 1 |" in printed and "| non-private |" in printed and "epsilon 1" in printed


@pytest.mark.parametrize("args, message", [
    (["--epsilons", "1,abc"], "not a number"),
    (["--epsilons", "-1"], "must be > 0"),
    (["--label", "nope"], "nope"),
])
def test_bad_input_exits_2(adult_path, capsys, args, message):
    argv = ["compare", str(adult_path), "--label", "class", *args]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "none.csv"), "--label", "y"]) == 2
