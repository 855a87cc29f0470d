"""DP accounting: our numbers are dp_accounting's, calibration hits the target, delta is checked."""

from __future__ import annotations

import math

import dp_accounting
import pytest

from analysis.privacy.dp import (
    MICROBATCHING, DPConfig, calibrate_noise_multiplier, compute_epsilon, default_delta,
    sampling_rate_and_steps,
)

Q, STEPS, DELTA = 256 / 16_000, 630, 1e-5


def _event(sigma, q=Q, steps=STEPS):
    return dp_accounting.SelfComposedDpEvent(
        dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps)


@pytest.mark.parametrize("sigma", [0.6, 1.1, 2.5])
def test_epsilon_equals_dp_accounting_rdp_and_pld(sigma):
    ours = compute_epsilon(noise_multiplier=sigma, sampling_rate=Q, steps=STEPS, delta=DELTA)
    rdp = dp_accounting.rdp.RdpAccountant().compose(_event(sigma)).get_epsilon(DELTA)
    pld = dp_accounting.pld.PLDAccountant().compose(_event(sigma)).get_epsilon(DELTA)
    assert ours.rdp_epsilon == pytest.approx(rdp, rel=1e-12)
    assert ours.pld_epsilon == pytest.approx(pld, rel=1e-12)
    assert ours.pld_epsilon <= ours.rdp_epsilon  # PLD is the tighter accountant
    assert (ours.delta, ours.noise_multiplier, ours.sampling_rate, ours.steps) == (DELTA, sigma, Q, STEPS)
    assert ours.microbatching == MICROBATCHING
    assert "Poisson" in ours.sampling_assumption and "batch sizes vary" in ours.sampling_assumption


def test_one_example_per_microbatch_matches_tf_privacy_without_the_microbatching_halving():
    from tensorflow_privacy.privacy.analysis import compute_dp_sgd_privacy_lib as lib

    sigma, n, batch, epochs = 1.1, 16_000, 250, 10
    q, steps = sampling_rate_and_steps(n, batch_size=batch, epochs=epochs)
    ours = compute_epsilon(noise_multiplier=sigma, sampling_rate=q, steps=steps, delta=DELTA)
    tfp = lib._compute_dp_sgd_example_privacy(epochs, sigma, DELTA, used_microbatching=False,
                                              poisson_subsampling_probability=q)
    overstated = lib._compute_dp_sgd_example_privacy(epochs, sigma, DELTA, used_microbatching=True,
                                                     poisson_subsampling_probability=q)
    assert ours.rdp_epsilon == pytest.approx(tfp, rel=1e-9)
    assert overstated > 2 * ours.rdp_epsilon  # tf-privacy's default halves sigma for microbatches


@pytest.mark.parametrize("target", [0.5, 2.0, 8.0])
def test_calibration_reaches_the_target_from_below(target):
    sigma = calibrate_noise_multiplier(target, delta=DELTA, sampling_rate=Q, steps=STEPS)
    eps = compute_epsilon(noise_multiplier=sigma, sampling_rate=Q, steps=STEPS, delta=DELTA,
                          include_pld=False).rdp_epsilon
    assert eps <= target + 1e-6
    assert eps == pytest.approx(target, abs=0.02 * target)


def test_smaller_budget_needs_more_noise():
    sigmas = [calibrate_noise_multiplier(e, delta=DELTA, sampling_rate=Q, steps=STEPS) for e in (0.5, 1, 4)]
    assert sigmas[0] > sigmas[1] > sigmas[2] > 0


def test_delta_defaults_and_warning():
    assert default_delta(1000) == pytest.approx(1e-5)  # capped at 1e-5
    assert default_delta(10**7) == pytest.approx(1e-8)
    assert DPConfig(target_epsilon=1).resolved_delta(50_000) == pytest.approx(2e-6)
    ok = compute_epsilon(noise_multiplier=1.0, sampling_rate=0.1, steps=100, delta=1e-4, n_examples=1000)
    assert ok.warnings == []
    bad = compute_epsilon(noise_multiplier=1.0, sampling_rate=0.1, steps=100, delta=1e-3, n_examples=1000)
    assert any("1/n" in w for w in bad.warnings)


def test_zero_noise_is_infinite_epsilon_with_a_warning():
    acc = compute_epsilon(noise_multiplier=0.0, sampling_rate=0.1, steps=10, delta=1e-5)
    assert math.isinf(acc.rdp_epsilon) and math.isinf(acc.pld_epsilon)
    assert any("no differential privacy" in w for w in acc.warnings)


def test_sampling_rate_and_steps_count_the_short_last_batch():
    assert sampling_rate_and_steps(1000, batch_size=300, epochs=2) == (0.3, 8)
    assert sampling_rate_and_steps(100, batch_size=256, epochs=3) == (1.0, 3)


@pytest.mark.parametrize("kwargs, word", [
    ({}, "target_epsilon"), ({"target_epsilon": 0}, "target_epsilon"),
    ({"target_epsilon": math.inf}, "target_epsilon"), ({"target_epsilon": 1, "delta": 1.5}, "delta"),
    ({"target_epsilon": 1, "clip_norm": 0}, "clip_norm"), ({"noise_multiplier": -1}, "noise_multiplier"),
])
def test_dpconfig_rejects_bad_values(kwargs, word):
    with pytest.raises(ValueError, match=word):
        DPConfig(**kwargs)


def test_bad_accounting_inputs_name_the_value():
    with pytest.raises(ValueError, match="sampling_rate"):
        compute_epsilon(noise_multiplier=1, sampling_rate=0, steps=1, delta=1e-5)
    with pytest.raises(ValueError, match="target_epsilon"):
        calibrate_noise_multiplier(-1, delta=1e-5, sampling_rate=0.1, steps=10)
