"""Flower simulations, kept tiny: 1-2 clients, 1-2 rounds, a few hundred rows.

Each run starts its own small Ray and must leave nothing behind.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.figures.federated import attack_figure, rounds_figure
from analysis.privacy.dp import DPConfig
from analysis.privacy.federated import (
    RAY_DIRS_STARTED, FederatedCancelled, ray_processes, run_centralized, run_federated)


def assert_no_ray_left() -> None:
    import ray

    assert not ray.is_initialized()
    assert RAY_DIRS_STARTED, "the check needs at least one simulation in this process"
    for temp_dir in RAY_DIRS_STARTED:  # raylet, gcs_server, workers of this process's runs
        assert ray_processes(temp_dir) == [], temp_dir
    children = []
    for pid in _children(__import__("os").getpid()):
        try:
            name = open(f"/proc/{pid}/comm").read().strip()
        except OSError:
            continue
        children.append(name)
    assert not [c for c in children if c.startswith(("raylet", "gcs_server", "ray::"))], children


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = open(f"/proc/{pid}/task/{pid}/children").read().split()
    except OSError:
        return found
    for child in map(int, tasks):
        found.append(child)
        found.extend(_children(child))
    return found


def test_fedavg_with_one_client_and_one_round_equals_centralized(adult_small):
    settings = dict(rounds=1, local_epochs=1, batch_size=64, seed=5, audit_rows=200)
    central = run_centralized(adult_small, "class", **settings)
    fed = run_federated(adult_small, "class", clients=1, strategy="fedavg", **settings)
    features = adult_small.drop(columns=["class"]).head(200)
    np.testing.assert_allclose(fed.model.predict_proba(features), central.model.predict_proba(features),
                               atol=1e-5)
    assert fed.history[0].accuracy_score == central.history[0].accuracy_score  # same initial model
    assert fed.accuracy_score == pytest.approx(central.accuracy_score, abs=1e-9)
    assert (fed.mode, central.mode) == ("federated", "centralized")
    assert fed.client_epsilon is None and fed.sample_epsilon is None
    assert_no_ray_left()


@pytest.fixture(scope="module")
def fedavg_and_dp(random_label_frame):
    """FedAvg and DP-FedAvg (client epsilon 1) on random labels: 2 clients, 2 rounds, many local epochs."""
    settings = dict(clients=2, rounds=2, local_epochs=20, batch_size=16, seed=0, audit_rows=200)
    messages: list[tuple[float, str]] = []
    fed = run_federated(random_label_frame, "label", strategy="fedavg",
                        progress=lambda f, m: messages.append((f, m)), **settings)
    dp = run_federated(random_label_frame, "label", strategy="dp-fedavg", target_epsilon=1.0, clip_norm=1.0,
                       **settings)
    return fed, dp, messages


def test_dp_fedavg_at_small_epsilon_lowers_attack_success(fedavg_and_dp):
    fed, dp, _ = fedavg_and_dp
    fed_auc = max(a.auc for a in fed.attacks)
    dp_auc = max(a.auc for a in dp.attacks)
    assert fed_auc > 0.6, "FedAvg should memorize random labels enough to be attackable"
    assert dp_auc < fed_auc - 0.1
    assert dp_auc < 0.58
    assert fed.train_accuracy_score - fed.accuracy_score > dp.train_accuracy_score - dp.accuracy_score
    assert dp.client_epsilon == pytest.approx(1.0, abs=1e-2) and dp.client_epsilon <= 1.0 + 1e-6
    assert dp.client_privacy.noise_multiplier > 1 and dp.client_privacy.rounds == 2
    assert fed.client_epsilon is None


def test_simulation_leaves_no_ray_process_and_sends_no_telemetry(fedavg_and_dp):
    import flwr.common.telemetry as telemetry

    assert_no_ray_left()
    assert telemetry.FLWR_TELEMETRY_ENABLED == "0"  # Flower would otherwise post events over the network
    assert fedavg_and_dp[0].log_tail, "Flower's log lines are captured into the result"


def test_result_json_and_progress_per_round(fedavg_and_dp):
    fed, dp, messages = fedavg_and_dp
    data = json.loads(dp.to_json())
    assert data["mode"] == "federated" and data["clients"] == 2 and data["rounds"] == 2
    assert data["strategy"] == "dp-fedavg" and data["client_epsilon"] == pytest.approx(dp.client_epsilon)
    assert "model" not in data and data["settings"]["seed"] == 0
    assert "does not" in data["protects"]
    assert [h["round"] for h in data["history"]] == [0, 1, 2]
    assert sum(fed.partition_sizes) == fed.n_train
    texts = [m for _, m in messages]
    assert any("round 1/2" in t for t in texts) and any("round 2/2" in t for t in texts)
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_figures_show_every_run(fedavg_and_dp):
    fed, dp, _ = fedavg_and_dp
    fig = rounds_figure([fed, dp])
    assert len(fig.data) == 2
    assert list(fig.data[0].x) == [0, 1, 2]
    assert "client ε=1" in fig.data[1].name and "ε" not in fig.data[0].name
    assert len(attack_figure([fed, dp]).data) == 2


def test_cancel_before_start_raises_and_starts_nothing(random_label_frame):
    before = len(RAY_DIRS_STARTED)
    with pytest.raises(FederatedCancelled):
        run_federated(random_label_frame, "label", clients=2, rounds=1, cancel=lambda: True)
    assert len(RAY_DIRS_STARTED) == before


@pytest.mark.slow
def test_dp_sgd_inside_clients_reports_sample_level_epsilon_separately(random_label_frame):
    run = run_federated(random_label_frame, "label", clients=2, rounds=1, local_epochs=1, batch_size=16,
                        strategy="fedavg", client_dp=DPConfig(target_epsilon=2.0), seed=1, audit_rows=100)
    assert run.client_epsilon is None  # FedAvg gives no client-level guarantee
    assert run.sample_epsilon == pytest.approx(2.0, rel=0.02) and run.sample_epsilon <= 2.0 + 1e-6
    assert run.sample_privacy.n_examples in run.partition_sizes
    row = run.summary_row()
    assert row["sample_epsilon"] == run.sample_epsilon and row["client_epsilon"] is None
    assert_no_ray_left()


@pytest.mark.slow
def test_cancel_during_the_run_stops_after_the_round_and_shuts_ray_down(random_label_frame):
    messages: list[str] = []
    with pytest.raises(FederatedCancelled, match="after 1 of 3 rounds"):
        run_federated(random_label_frame, "label", clients=2, rounds=3, local_epochs=1, seed=2, audit_rows=50,
                      progress=lambda f, m: messages.append(m),
                      cancel=lambda: any(m.startswith("round 1/3") for m in messages))
    assert not any(m.startswith("round 2/3") for m in messages)
    assert_no_ray_left()
