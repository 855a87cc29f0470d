"""DP-FedAvg's aggregate moves by at most C/m when one client's update is removed (fixed denominator,
McMahan et al. 2018), the sensitivity its noise sigma C/m and the client-level accountant assume."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.privacy.federated import FederatedSettings, compose_strategy

CLIP, CLIENTS = 1.0, 10


def _aggregate(strategy, current, updates):
    from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays

    strategy.current_round_params = [a.copy() for a in current]
    results = [(None, FitRes(status=Status(code=Code.OK, message=""),
                             parameters=ndarrays_to_parameters([c + u for c, u in zip(current, update)]),
                             num_examples=1, metrics={})) for update in updates]
    parameters, _ = strategy.aggregate_fit(1, results, [])
    return parameters_to_ndarrays(parameters)


def _distance(a, b) -> float:
    return float(np.sqrt(sum(float(np.sum((x - y) ** 2)) for x, y in zip(a, b))))


@pytest.mark.parametrize("per_round", [CLIENTS, 5])
def test_removing_one_client_moves_the_aggregate_by_at_most_c_over_m(per_round):
    rng = np.random.default_rng(0)
    current = [rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)]
    direction = [np.ones((4, 3)), np.ones(3)]
    unit = [d / np.sqrt(15.0) for d in direction]
    # the worst case for an average over results: every other client pushes one way, the removed one the
    # other way, all at (or beyond) the clip norm
    others = [[3 * CLIP * u for u in unit] for _ in range(per_round - 1)]
    removed = [-5 * CLIP * u for u in unit]
    settings = FederatedSettings(strategy="dp-fedavg", clients=CLIENTS, clients_per_round=per_round,
                                 clip_norm=CLIP, noise_multiplier=0.0)
    strategy = compose_strategy(settings, init=current, client_noise=0.0)
    with_it = _aggregate(strategy, current, others + [removed])
    without_it = _aggregate(strategy, current, others)
    assert _distance(with_it, without_it) <= CLIP / per_round * (1 + 1e-5)
    assert _distance(with_it, without_it) == pytest.approx(CLIP / per_round, rel=1e-4)   # the bound is tight
    # the others' clipped updates are summed and divided by m, not by the number received
    assert _distance(without_it, current) == pytest.approx((per_round - 1) * CLIP / per_round, rel=1e-4)


def test_the_noise_is_sigma_c_over_m():
    settings = FederatedSettings(strategy="dp-fedavg", clients=CLIENTS, clip_norm=CLIP, noise_multiplier=2.0)
    current = [np.zeros(20_000, dtype=np.float32)]
    strategy = compose_strategy(settings, init=current, client_noise=2.0)
    np.random.seed(0)  # Flower draws the noise with np.random (the simulation seeds it per run)
    noised = _aggregate(strategy, current, [[np.zeros(20_000)] for _ in range(CLIENTS)])
    assert float(np.std(noised[0])) == pytest.approx(2.0 * CLIP / CLIENTS, rel=0.02)
