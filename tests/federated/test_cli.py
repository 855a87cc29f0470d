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


def test_compare_federated_puts_federated_rows_in_runs(tmp_path, monkeypatch, tiny_runs, random_label_frame,
                                                       capsys):
    """`compare --federated`: FedAvg and DP-FedAvg rows go into `runs` with the same keys as the DP-SGD ones
    (`accuracy`, not `accuracy_score`); no separate `federated_runs` list."""
    import analysis.privacy.federated as federated

    seen = []

    def fake_run(frame, label, **kwargs):  # the tiny real run stands in for the Flower simulation
        seen.append(kwargs)
        central, fed = tiny_runs
        run = fed if kwargs["strategy"] == "dp-fedavg" else dataclasses.replace(central, mode="federated")
        n = len(frame) - int(round(kwargs["test_size"] * len(frame)))
        return dataclasses.replace(run, n_train=n).with_model(central.model)

    monkeypatch.setattr(federated, "run_federated", fake_run)
    out = tmp_path / "compare.json"
    data = tmp_path / "random.csv"
    random_label_frame.to_csv(data, index=False)
    code = main(["compare", str(data), "--label", "label", "--epsilons", "inf", "--seeds", "1", "--epochs", "1",
                 "--no-baseline", "--quiet", "--json", str(out),
                 "--federated", "--clients", "3", "--rounds", "2", "--fl-clip-norm", "0.5", "--client-epsilon", "4"])
    assert code == 0, capsys.readouterr().err
    assert [k["strategy"] for k in seen] == ["fedavg", "dp-fedavg"]
    assert all(k["clients"] == 3 and k["rounds"] == 2 and k["clip_norm"] == 0.5 for k in seen)
    assert seen[1]["target_epsilon"] == 4.0 and seen[0]["hidden"] == (64, 32)
    payload = json.loads(out.read_text())
    assert "federated_runs" not in payload
    runs = payload["runs"]
    assert [r["strategy"] for r in runs] == ["none", "federated", "dp-federated"]
    assert all(set(r) == set(runs[0]) for r in runs) and "accuracy_score" not in runs[1]
    assert runs[2]["unit"] == "client" and runs[2]["epsilon"] == pytest.approx(tiny_runs[1].client_epsilon)
    assert runs[1]["unit"] == "none" and runs[2]["details"]["clients"] == 3
    assert "| DP-FedAvg ε = 4 per client |" in capsys.readouterr().out


def test_compare_rejects_bad_federated_options_before_training(adult_path, capsys):
    assert main(["compare", str(adult_path), "--label", "class", "--federated", "--rounds", "0"]) == 2
    assert "--rounds" in capsys.readouterr().err
    assert main(["compare", str(adult_path), "--label", "class", "--federated", "--sample-epsilon", "2"]) == 2
    assert "federated+dp" in capsys.readouterr().err
