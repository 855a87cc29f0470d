"""DP-FedAvg's client-level epsilon: add/remove one client with the fixed denominator m, so each round is a
Gaussian of noise multiplier sigma (sensitivity C/m, tests/federated/test_fixed_denominator.py)."""

from __future__ import annotations

import math

import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from analysis.privacy.federated_accounting import calibrate_client_noise, client_level_epsilon


def _gaussian_epsilon(mu: float, delta: float) -> float:
    """Exact epsilon of a Gaussian mechanism with sensitivity / sigma = mu (Balle & Wang 2018)."""
    return brentq(lambda e: norm.cdf(-e / mu + mu / 2) - math.exp(e) * norm.cdf(-e / mu - mu / 2) - delta, 0, 200)


def test_all_clients_every_round_is_a_composition_of_gaussians_with_noise_sigma():
    # 5 rounds of Gaussian noise sigma C / m on an aggregate of sensitivity C/m compose to one Gaussian
    # with mu = sqrt(5) / sigma.
    add_remove = client_level_epsilon(noise_multiplier=1.43, clients_per_round=10, total_clients=10, rounds=5)
    assert add_remove.pld_epsilon == pytest.approx(_gaussian_epsilon(math.sqrt(5) / 1.43, 1e-5), abs=0.01)
    assert add_remove.rdp_epsilon >= add_remove.pld_epsilon      # RDP is an upper bound on the exact value


def test_the_readme_run_states_8_and_its_adjacency():
    # The README's DP-FedAvg row: 10 clients, 5 rounds, target client-level epsilon 8 (RDP) -> sigma 1.43.
    sigma = calibrate_client_noise(8.0, clients_per_round=10, total_clients=10, rounds=5)
    accounting = client_level_epsilon(noise_multiplier=sigma, clients_per_round=10, total_clients=10, rounds=5)
    assert sigma == pytest.approx(1.43, abs=0.005)
    assert accounting.rdp_epsilon == pytest.approx(8.0, abs=0.01)
    assert "add-or-remove-one-client" in accounting.adjacency and "fixed" in accounting.adjacency
    assert not any("replace-one" in w for w in accounting.warnings)   # no second epsilon to choose from
    assert "replace_one_pld_epsilon" not in accounting.to_dict()
