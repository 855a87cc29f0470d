"""Exposure arithmetic: exact rank, the random-rank baseline, and the skew-normal estimate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis.memorization.exposure import (EXACT, SKEW_NORMAL, exact_exposure, exact_rank,
                                            exposure_from_rank, random_rank_exposure, skew_normal_exposure)


def test_rank_one_is_full_exposure_and_last_rank_is_zero():
    assert exposure_from_rank(1, 1024) == pytest.approx(10.0)
    assert exposure_from_rank(1024, 1024) == pytest.approx(0.0)
    assert exposure_from_rank(32, 1024) == pytest.approx(5.0)


def test_exact_rank_counts_ties_ahead_of_the_secret():
    # Hand case: rank = |{r : score(r) <= score(secret)}|, the secret itself included.
    scores = np.array([1.0, 3.0, 3.0, 5.0, 9.0])
    assert exact_rank(scores, 1.0) == 1
    assert exact_rank(scores, 3.0) == 3  # the tied candidate counts ahead of the secret
    assert exact_rank(scores, 9.0) == 5
    estimate = exact_exposure(scores, 1.0)
    assert estimate.method == EXACT and estimate.exposure == pytest.approx(math.log2(5))
    assert exact_exposure(scores, 3.0).exposure == pytest.approx(math.log2(5 / 3))


def test_a_model_that_scores_every_candidate_alike_has_no_exposure():
    scores = np.full(10_000, 13.29)
    assert exact_exposure(scores, 13.29).exposure == pytest.approx(0.0)
    estimate = skew_normal_exposure(np.full(500, 13.29), 13.29, 10_000)
    assert estimate.exposure == pytest.approx(0.0)


def test_rounded_scores_give_the_secret_the_bottom_of_its_tie_group(rng):
    # Scores rounded to one decimal: the secret's rank is the last position of its group of equal
    # scores, computed independently by sorting.
    scores = np.round(rng.normal(20.0, 1.0, size=2000), 1)
    for secret in rng.integers(0, len(scores), size=20):
        ordered = np.sort(scores)
        expected_rank = int(np.searchsorted(ordered, scores[secret], side="right"))
        estimate = exact_exposure(scores, scores[secret])
        assert estimate.rank == expected_rank
        assert estimate.exposure == pytest.approx(math.log2(2000) - math.log2(expected_rank))
    # Strictly-lower counting would have given the top of the group, a larger exposure.
    lowest = scores.min()
    ties = int(np.count_nonzero(scores == lowest))
    assert exact_exposure(scores, lowest).exposure == pytest.approx(math.log2(2000 / ties))


def test_random_rank_exposure_is_about_log2_e():
    assert random_rank_exposure(10**4) == pytest.approx(1 / math.log(2), abs=0.01)
    assert random_rank_exposure(10**8) == pytest.approx(1 / math.log(2), abs=0.01)


def test_secrets_the_model_knows_nothing_about_average_one_to_two_bits(rng):
    # A model that learned nothing scores the secret like any other candidate: its rank is uniform.
    size = 5000
    exposures = []
    for _ in range(300):
        scores = rng.normal(20.0, 2.0, size=size)
        secret = int(rng.integers(size))
        exposures.append(exact_exposure(scores, scores[secret]).exposure)
    assert 1.0 <= float(np.mean(exposures)) <= 2.0


@pytest.mark.parametrize("quantile", [0.5, 0.05, 0.002])
def test_skew_normal_estimate_agrees_with_exact_rank(rng, quantile):
    size = 10**5
    shape, loc, scale = -3.0, 30.0, 4.0  # log-perplexities are skewed towards low values
    scores = stats.skewnorm.rvs(shape, loc=loc, scale=scale, size=size, random_state=rng)
    secret_score = float(np.quantile(scores, quantile))
    exact = exact_exposure(scores, secret_score)
    sample = rng.choice(scores, size=2000, replace=False)
    estimate = skew_normal_exposure(sample, secret_score, size)
    assert estimate.method == SKEW_NORMAL
    assert estimate.exposure == pytest.approx(exact.exposure, abs=0.5)


def test_skew_normal_refuses_a_tiny_sample():
    with pytest.raises(ValueError, match="at least 20"):
        skew_normal_exposure(np.arange(5.0), 1.0, 100)


def test_exposure_rejects_an_empty_space():
    with pytest.raises(ValueError, match="space_size"):
        exposure_from_rank(1, 0)
