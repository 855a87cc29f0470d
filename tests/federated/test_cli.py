"""`privacy-audit federated`: options reach the engine, JSON shape, bad input exits 2.

The simulation itself is tested in test_simulation.py; here a stub stands in for it so the CLI test
stays fast, and it returns real result objects built from a tiny real centralized run.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from analysis.cli import main


@pytest.fixture(scope="module")
def tiny_runs(tiny_central):
    from analysis.privacy.federated import client_level_epsilon

    central = tiny_central
    acc = client_level_epsilon(noise_multiplier=2.0, clients_per_round=3, total_clients=3, rounds=2)
    fed = dataclasses.replace(central, mode="federated", strategy="dp-fedavg", clients=3, rounds=2,
                              partition="iid", client_epsilon=acc.epsilon, client_privacy=acc)
    return central, fed


def test_federated_json_has_mode_clients_rounds_and_client_epsilon(tmp_path, monkeypatch, tiny_runs, capsys):
    import analysis.privacy.federated as federated

    seen = {}

    def fake_compare(frame, label, **kwargs):
        seen.update(kwargs, label=label, rows=len(frame))
        return federated.FederatedComparison(runs=list(tiny_runs), label=label, seed=kwargs["seed"])

    monkeypatch.setattr(federated, "compare_federated", fake_compare)
    data = tmp_path / "t.csv"
    import pandas as pd

    pd.DataFrame({"a": [1, 2, 3, 4] * 5, "label": ["x", "y"] * 10}).to_csv(data, index=False)
    out = tmp_path / "out.json"
    code = main(["federated", str(data), "--label", "label", "--clients", "3", "--rounds", "2",
                 "--client-epsilon", "4", "--clip-norm", "0.5", "--quiet", "--json", str(out)])
    assert code == 0
    assert seen["clients"] == 3 and seen["rounds"] == 2 and seen["target_epsilon"] == 4.0
    assert seen["clip_norm"] == 0.5 and seen["strategies"] == ("fedavg", "dp-fedavg")
    payload = json.loads(out.read_text())
    runs = payload["runs"]
    assert [r["mode"] for r in runs] == ["centralized", "federated"]
    fed = runs[1]
    assert fed["clients"] == 3 and fed["rounds"] == 2 and fed["client_epsilon"] == pytest.approx(tiny_runs[1].client_epsilon)
    assert fed["sample_epsilon"] is None and "history" in fed and "attacks" in fed
    assert "| DP-FedAvg | federated | 3 | 2 |" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    (["--strategies", "fedprox"], "--strategies"),
    (["--rounds", "0"], "--rounds"),
    (["--partition", "nope"], "nope"),
])
def test_bad_options_exit_2_with_a_reason(tmp_path, capsys, extra, message):
    data = tmp_path / "t.csv"
    data.write_text("a,label\n1,x\n2,y\n3,x\n4,y\n")
    assert main(["federated", str(data), "--label", "label", "--quiet", *extra]) == 2
    assert message in capsys.readouterr().err


def test_compare_federated_adds_federated_runs_to_the_json(tmp_path, monkeypatch, tiny_runs, adult_path, capsys):
    import analysis.privacy.federated as federated

    seen = {}

    def fake_compare(frame, label, **kwargs):
        seen.update(kwargs)
        return federated.FederatedComparison(runs=list(tiny_runs), label=label, seed=kwargs["seed"])

    monkeypatch.setattr(federated, "compare_federated", fake_compare)
    out = tmp_path / "compare.json"
    code = main(["compare", str(adult_path), "--label", "class", "--epsilons", "inf", "--seeds", "1", "--epochs", "1",
                 "--max-rows", "300", "--no-baseline", "--quiet", "--json", str(out),
                 "--federated", "--clients", "3", "--rounds", "2", "--fl-clip-norm", "0.5"])
    assert code == 0
    assert seen["clients"] == 3 and seen["rounds"] == 2 and seen["clip_norm"] == 0.5
    assert seen["max_rows"] == 300 and seen["hidden"] == [64, 32]
    payload = json.loads(out.read_text())
    assert payload["runs"] and all("mode" not in r for r in payload["runs"])  # the DP-SGD runs, untouched
    fed = [r for r in payload["federated_runs"] if r["mode"] == "federated"]
    assert fed and fed[0]["clients"] == 3 and fed[0]["rounds"] == 2 and fed[0]["client_epsilon"] > 0
    assert "Federated (client ε is client-level" in capsys.readouterr().out


def test_compare_rejects_bad_federated_options_before_training(adult_path, capsys):
    assert main(["compare", str(adult_path), "--label", "class", "--federated", "--strategies", "fedsgd"]) == 2
    assert "--strategies" in capsys.readouterr().err
