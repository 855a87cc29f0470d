"""`privacy-audit risk` with a population size or a population table: the JSON keeps its keys and says
which model and assumptions produced the figures."""

from __future__ import annotations

import json

import pandas as pd

from analysis.cli import main


def test_population_size_json_keeps_its_keys_and_states_the_model(tmp_path, capsys):
    data = tmp_path / "sample.csv"
    pd.DataFrame({"q": list(range(990)) + [990 + i // 2 for i in range(10)]}).to_csv(data, index=False)
    assert main(["risk", str(data), "-q", "q", "--population-size", "100000", "--json", "-"]) == 0
    report = json.loads(capsys.readouterr().out)
    pu = report["population_uniqueness"]
    assert {"sample_unique_is_population_unique", "model", "decision", "estimates", "assumptions"} <= set(pu)
    assert report["sample_uniques_share"] == 0.99
    assert report["journalist"]["records_at_risk_share"] > 0.9   # was 0% with F = f N/n
    assert report["journalist"]["assumptions"] and report["marketer"]["average_risk"] > 0.9
    assert pu["model"] in report["journalist"]["population"]


def test_population_table_with_or_without_the_sample(tmp_path, capsys):
    data, population = tmp_path / "sample.csv", tmp_path / "population.csv"
    pd.DataFrame({"q": ["a", "a", "b"]}).to_csv(data, index=False)
    pd.DataFrame({"q": ["a", "b", "c"]}).to_csv(population, index=False)
    assert main(["risk", str(data), "-q", "q", "--population", str(population), "--json", "-"]) == 0
    within = json.loads(capsys.readouterr().out)["journalist"]
    assert main(["risk", str(data), "-q", "q", "--population", str(population), "--population-without-sample",
                 "--json", "-"]) == 0
    without = json.loads(capsys.readouterr().out)["journalist"]
    assert within["highest_risk"] == 1.0          # F = max(1, f) for b: 1
    assert without["highest_risk"] == 0.5         # F = 1 + 1 for b
    assert main(["risk", str(data), "-q", "q", "--population-without-sample"]) == 2
