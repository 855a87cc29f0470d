"""DP-FedAvg's client-level epsilon under both adjacencies: add/remove one client (Flower's
denominator, the headline) and replace one client with a fixed denominator (sensitivity 2C/m)."""

from __future__ import annotations

import math

import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from analysis.privacy.federated_accounting import (calibrate_client_noise, client_level_epsilon,
                                                   replace_one_epsilon)


def _gaussian_epsilon(mu: float, delta: float) -> float:
    """Exact epsilon of a Gaussian mechanism with sensitivity / sigma = mu (Balle & Wang 2018)."""
    return brentq(lambda e: norm.cdf(-e / mu + mu / 2) - math.exp(e) * norm.cdf(-e / mu - mu / 2) - delta, 0, 200)


def test_replace_one_with_fixed_denominator_is_a_gaussian_with_half_the_noise():
    # 5 rounds of Gaussian noise sigma C / m on an average of sensitivity 2C/m compose to one Gaussian
    # with mu = sqrt(5) * 2 / sigma.
    rdp, pld = replace_one_epsilon(1.43, clients_per_round=10, total_clients=10, rounds=5, delta=1e-5)
    assert pld == pytest.approx(_gaussian_epsilon(math.sqrt(5) * 2 / 1.43, 1e-5), abs=0.01)   # 17.60
    assert rdp >= pld                                   # RDP is an upper bound on the exact value
    add_remove = client_level_epsilon(noise_multiplier=1.43, clients_per_round=10, total_clients=10, rounds=5)
    assert add_remove.pld_epsilon == pytest.approx(_gaussian_epsilon(math.sqrt(5) / 1.43, 1e-5), abs=0.01)


def test_the_issues_numbers_8_and_17_7():
    # The README's DP-FedAvg row: 10 clients, 5 rounds, target client-level epsilon 8 (RDP) -> sigma 1.43.
    sigma = calibrate_client_noise(8.0, clients_per_round=10, total_clients=10, rounds=5)
    accounting = client_level_epsilon(noise_multiplier=sigma, clients_per_round=10, total_clients=10, rounds=5)
    assert sigma == pytest.approx(1.43, abs=0.005)
    assert accounting.rdp_epsilon == pytest.approx(8.0, abs=0.01)
    assert accounting.replace_one_pld_epsilon == pytest.approx(17.7, abs=0.1)
    assert "add-or-remove-one-client" in accounting.adjacency and "Flower's denominator" in accounting.adjacency
    assert any("replace-one" in w and "17.7" in w for w in accounting.warnings)
    assert accounting.to_dict()["replace_one_pld_epsilon"] == pytest.approx(17.7, abs=0.1)


def test_subsampled_clients_get_a_replace_one_rdp_figure_only():
    accounting = client_level_epsilon(noise_multiplier=1.0, clients_per_round=5, total_clients=50, rounds=10)
    assert accounting.replace_one_pld_epsilon is None
    assert accounting.replace_one_rdp_epsilon > accounting.rdp_epsilon
