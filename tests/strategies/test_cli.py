"""`privacy-audit compare --strategies`: every run in `runs` with one schema, a strategy that cannot run is
skipped with its reason (exit 0), bad names exit 2."""

from __future__ import annotations

import json

from analysis.cli import main


def test_strategies_that_cannot_run_are_skipped_with_a_reason(adult_path, tmp_path, capsys):
    out = tmp_path / "strategies.json"
    code = main(["compare", str(adult_path), "--label", "class", "--strategies", "none,anonymized,dp,federated",
                 "--epsilons", "2", "--clients", "500", "--seeds", "1", "--epochs", "1", "--max-rows", "300",
                 "--quiet", "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert [r["strategy"] for r in data["runs"]] == ["none", "dp"]
    assert "federated_runs" not in data
    keys = set(data["runs"][0])
    assert all(set(r) == keys for r in data["runs"]) and {"accuracy", "unit", "k", "protects"} <= keys
    reasons = {s["strategy"]: s["reason"] for s in data["skipped"]}
    assert set(reasons) == {"anonymized", "federated"}
    assert "no anonymization plan" in reasons["anonymized"] and "500 clients" in reasons["federated"]
    printed = capsys.readouterr().out
    assert "skipped anonymized: no anonymization plan" in printed and "| DP-SGD ε = 2 | ε = 2 per record (preprocessing outside ε) |" in printed


def test_plan_gives_the_anonymized_rows_their_k(adult_path, tmp_path):
    out = tmp_path / "anonymized.json"
    plan = adult_path.parent.parent / "examples" / "plans" / "adult_k5.yaml"
    code = main(["compare", str(adult_path), "--label", "class", "--strategies", "anonymized", "--plan", str(plan),
                 "--seeds", "1", "--epochs", "1", "--max-rows", "400", "--quiet", "--json", str(out)])
    assert code == 0
    run = json.loads(out.read_text())["runs"][0]
    assert run["strategy"] == "anonymized" and run["k"] >= 5 and run["unit"] == "none" and run["epsilon"] is None
    assert run["n_members"] == 200 and run["n_train"] < 200  # attacked on every raw member


def test_bad_strategy_or_plan_exits_2(adult_path, tmp_path, capsys):
    assert main(["compare", str(adult_path), "--label", "class", "--strategies", "none,fedprox"]) == 2
    assert "fedprox" in capsys.readouterr().err
    assert main(["compare", str(adult_path), "--label", "class", "--strategies", "anonymized",
                 "--plan", str(tmp_path / "missing.yaml")]) == 2
    assert "no plan file" in capsys.readouterr().err
