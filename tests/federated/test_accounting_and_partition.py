"""Client-level accounting against dp_accounting directly, partitioning, validation (no Ray)."""

from __future__ import annotations

import math

import dp_accounting
import numpy as np
import pandas as pd
import pytest

from analysis.privacy.federated import FederatedSettings, partition_rows, protection_statement, run_federated
from analysis.privacy.federated_accounting import calibrate_client_noise, client_level_epsilon

ORDERS = [1 + x / 10.0 for x in range(1, 100)] + list(range(11, 64)) + [128, 256, 512, 1024]


def _direct(noise: float, q: float, rounds: int, delta: float) -> float:
    gaussian = dp_accounting.GaussianDpEvent(noise)
    event = gaussian if q == 1 else dp_accounting.PoissonSampledDpEvent(q, gaussian)
    accountant = dp_accounting.rdp.RdpAccountant(ORDERS)
    return accountant.compose(dp_accounting.SelfComposedDpEvent(event, rounds)).get_epsilon(delta)


@pytest.mark.parametrize("noise, per_round, total, rounds", [(1.0, 10, 10, 5), (0.8, 3, 10, 8)])
def test_client_epsilon_equals_direct_dp_accounting(noise, per_round, total, rounds):
    poisson = per_round < total
    acc = client_level_epsilon(noise_multiplier=noise, clients_per_round=per_round, total_clients=total,
                               rounds=rounds, delta=1e-5, include_pld=not poisson)  # Poisson PLD is slow
    assert acc.epsilon == pytest.approx(_direct(noise, per_round / total, rounds, 1e-5), rel=1e-9)
    assert acc.sampling_rate == pytest.approx(per_round / total)
    if not poisson:
        assert acc.pld_epsilon <= acc.rdp_epsilon + 1e-6  # PLD is the tighter accountant
    assert ("Poisson" in acc.sampling_assumption) == (per_round < total)
    assert "client" in acc.privacy_unit


def test_calibrated_noise_meets_the_target_and_more_noise_means_less_epsilon():
    noise = calibrate_client_noise(2.0, clients_per_round=10, total_clients=10, rounds=5, delta=1e-5)
    eps = client_level_epsilon(noise_multiplier=noise, clients_per_round=10, total_clients=10, rounds=5, delta=1e-5)
    assert eps.epsilon <= 2.0 and eps.epsilon == pytest.approx(2.0, rel=1e-2)
    louder = client_level_epsilon(noise_multiplier=noise * 2, clients_per_round=10, total_clients=10, rounds=5,
                                  delta=1e-5)
    assert louder.epsilon < eps.epsilon
    assert math.isinf(client_level_epsilon(noise_multiplier=0.0, clients_per_round=1, total_clients=1,
                                           rounds=1, delta=1e-5).epsilon)


def test_accounting_rejects_bad_values_by_name():
    with pytest.raises(ValueError, match="clients_per_round"):
        client_level_epsilon(noise_multiplier=1.0, clients_per_round=11, total_clients=10, rounds=1)
    with pytest.raises(ValueError, match="target_epsilon"):
        calibrate_client_noise(0.0, clients_per_round=1, total_clients=10, rounds=1)


def test_iid_partition_covers_every_row_once(random_label_frame):
    parts = partition_rows(random_label_frame, clients=7, seed=1)
    joined = np.concatenate(parts)
    assert sorted(joined.tolist()) == list(range(len(random_label_frame)))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    again = partition_rows(random_label_frame, clients=7, seed=1)
    assert all((a == b).all() for a, b in zip(parts, again))


def test_partition_by_column_gives_each_client_one_value(random_label_frame):
    parts = partition_rows(random_label_frame, clients=5, by="region", seed=0)
    values = [set(random_label_frame["region"].iloc[p]) for p in parts]
    assert all(len(v) == 1 for v in values)  # 3 regions, 5 clients: no client mixes regions
    assert {v for s in values for v in s} == {"north", "south", "east"}
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(random_label_frame)))


def test_partition_by_numeric_column_gives_contiguous_ranges(random_label_frame):
    parts = partition_rows(random_label_frame, clients=4, by="f0", seed=0)
    ranges = [(random_label_frame["f0"].iloc[p].min(), random_label_frame["f0"].iloc[p].max()) for p in parts]
    assert all(ranges[i][1] <= ranges[i + 1][0] for i in range(3))


def test_bad_inputs_fail_before_any_simulation(random_label_frame):
    with pytest.raises(ValueError, match="strategy"):
        run_federated(random_label_frame, "label", strategy="fedprox")
    with pytest.raises(ValueError, match="nope"):
        run_federated(random_label_frame, "label", partition="nope", clients=2, rounds=1)
    with pytest.raises(ValueError, match="'missing'"):
        run_federated(random_label_frame, "missing", clients=2, rounds=1)
    with pytest.raises(ValueError, match="clients"):
        run_federated(random_label_frame, "label", clients=0)
    with pytest.raises(ValueError, match="fewer than 2 rows"):
        partition_rows(pd.DataFrame({"a": ["x"] * 10 + ["y"]}), clients=2, by="a")
    with pytest.raises(ValueError, match="clip_norm"):
        FederatedSettings(strategy="dp-fedavg", clip_norm=0)


def test_protection_statement_says_what_is_and_is_not_protected():
    text = protection_statement("dp-fedavg")
    assert "raw records" in text and "does not" in text and "client-level" in text
    assert "does not" in protection_statement("fedavg")
