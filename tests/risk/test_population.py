"""Population uniqueness (Pitman, Zayatz, SNB, Dankar et al.'s rule) and the journalist / marketer
figures derived from it, against independent computations and hand cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from analysis.risk import assess_risk
from analysis.risk.metrics import estimated_population_risk
from analysis.risk.population import (PITMAN, SNB, ZAYATZ, ClassSizeModel, dankar_population_uniques, frequency_counts,
                                      pitman_fit, pitman_uniques, snb_expected_counts, snb_uniques,
                                      zayatz_uniques)

COUNTS = {1: 300, 2: 80, 3: 30, 5: 10, 10: 5}   # c_i: classes of size i


def _pitman_log_likelihood(theta: float, alpha: float, counts: dict[int, int]) -> float:
    """The Pitman sampling formula's log-likelihood written out as plain sums."""
    n = sum(i * c for i, c in counts.items())
    u = sum(counts.values())
    value = sum(math.log(theta + i * alpha) for i in range(1, u))
    value -= sum(math.log(theta + i) for i in range(1, n))
    value += sum(c * sum(math.log(j - alpha) for j in range(1, i)) for i, c in counts.items())
    return value


def test_pitman_fit_is_the_maximum_of_the_likelihood():
    theta, alpha = pitman_fit(COUNTS)
    found = minimize(lambda x: -_pitman_log_likelihood(x[0], x[1], COUNTS), x0=[50.0, 0.5],
                     bounds=[(1e-6, 1e5), (1e-6, 1 - 1e-6)], method="Nelder-Mead",
                     options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 20_000})
    # The likelihood is flat along theta: compare likelihoods, and the parameters loosely.
    assert _pitman_log_likelihood(theta, alpha, COUNTS) >= -found.fun - 1e-9
    assert theta == pytest.approx(found.x[0], rel=1e-2)
    assert alpha == pytest.approx(found.x[1], rel=1e-2)
    estimate = pitman_uniques(COUNTS, 100_000)
    want = math.exp(math.lgamma(theta + 1) - math.lgamma(theta + alpha)) * 100_000 ** alpha
    assert estimate.population_uniques == pytest.approx(want)


def test_snb_expected_counts_match_simulation_and_the_fit_recovers_the_uniques():
    rng = np.random.default_rng(0)
    k, a, b, f = 40_000, 0.6, 0.2, 0.3
    population = 1 + rng.negative_binomial(a, b, size=k)          # class sizes F >= 1
    sample = rng.binomial(population, f)
    sample = sample[sample > 0]
    e1, e2 = snb_expected_counts(k, f, a, b)
    assert np.sum(sample == 1) == pytest.approx(e1, rel=0.03)
    assert np.sum(sample == 2) == pytest.approx(e2, rel=0.04)
    true_uniques = int(np.sum(population == 1))
    estimate = snb_uniques(frequency_counts(sample), int(population.sum()))
    assert estimate.population_uniques == pytest.approx(true_uniques, rel=0.15)


def test_dankar_rule_picks_pitman_at_low_fractions_and_the_smaller_of_snb_and_zayatz_above():
    sizes = np.repeat(list(COUNTS), list(COUNTS.values()))
    n = int(sizes.sum())
    low = dankar_population_uniques(sizes, 20 * n)
    assert low.model == PITMAN and low.population_uniques == pitman_uniques(COUNTS, 20 * n).population_uniques
    high = dankar_population_uniques(sizes, 3 * n)
    snb = snb_uniques(COUNTS, 3 * n).population_uniques
    zayatz = zayatz_uniques(COUNTS, 3 * n).population_uniques
    assert high.model in (SNB, ZAYATZ) and high.population_uniques == pytest.approx(min(snb, zayatz))
    assert dankar_population_uniques(np.array([2, 3]), 100).population_uniques == 0.0


def test_mostly_unique_sample_of_a_large_population_is_at_risk():
    # The case: 1,000 rows, 99% sample-unique, N = 100,000 used to report 0% at risk.
    frame = pd.DataFrame({"q": list(range(990)) + [990 + i // 2 for i in range(10)]})
    r = assess_risk(frame, ["q"], population_size=100_000)
    pu = r.population_uniqueness
    assert pu.sample_unique_is_population_unique > 0.95
    assert r.journalist.records_at_risk_share >= pu.population_uniques_share > 0.9
    assert r.journalist.highest_risk == 1.0
    assert r.marketer.average_risk > 0.9
    assert any("simple random sample" in a for a in r.journalist.assumptions)
    assert pu.model in r.journalist.population


def test_estimated_risk_hand_cases():
    # alpha = 0 is Benedetti & Franconi's individual risk: a sample unique has E[1/F] = -p ln p / (1 - p).
    p = 0.05
    out = estimated_population_risk(np.array([1] * 10 + [2] * 5), 400, ClassSizeModel(PITMAN, alpha=0.0), 0.4)
    big_f = -p * math.log(p) / (1 - p)
    two = sum((p ** 2) * (m + 1) * (1 - p) ** m / (2 + m) for m in range(5000))  # NegBin(2, p) term by term
    assert out["marketer"] == pytest.approx((10 * big_f + 10 * two) / 20)
    # at risk above 0.4: F <= 2, i.e. P(M <= 1) for a unique (p + p(1-p)) and P(M = 0) = p^2 for a pair
    assert out["journalist"]["records_at_risk_share"] == pytest.approx((10 * (p + p * (1 - p)) + 10 * p * p) / 20)
    assert out["expected_population_uniques_in_sample"] == pytest.approx(10 * p)    # P(F = 1 | f = 1) = p
    assert out["journalist"]["highest_risk"] == 1.0                                  # 0.5 expected uniques
    # with alpha, a unique is population-unique with probability p^(1 - alpha)
    out = estimated_population_risk(np.array([1, 3]), 80, ClassSizeModel(PITMAN, alpha=0.5), 0.2)
    assert out["expected_population_uniques_in_sample"] == pytest.approx(0.05 ** 0.5)
    # a census (N = n): F = f
    out = estimated_population_risk(np.array([3, 2, 1]), 6, ClassSizeModel(PITMAN, alpha=0.5), 0.4)
    assert out["journalist"]["records_at_risk_share"] == pytest.approx(3 / 6)


def test_snb_posterior_is_bayes_rule_over_population_sizes():
    # prior: population class sizes 1 + NegBin(a, b); likelihood: Binomial(F, p) at f; summed over F
    from scipy.stats import binom, nbinom

    a, b, p, threshold = 0.7, 0.05, 0.1, 0.2
    sizes = np.array([1] * 30 + [2] * 6 + [3] * 2 + [7])
    out = estimated_population_risk(sizes, int(sizes.sum() / p), ClassSizeModel(SNB, a=a, b=b), threshold)
    big_f = np.arange(1, 20_000)
    n = sizes.sum()
    at_risk = success = uniques = 0.0
    for f in sizes:
        post = nbinom.pmf(big_f - 1, a, b) * binom.pmf(f, big_f, p)
        post /= post.sum()
        at_risk += f * post[1 / big_f > threshold].sum() / n
        success += f * (post / big_f).sum() / n
        uniques += post[0] if f == 1 else 0.0
    assert out["journalist"]["records_at_risk_share"] == pytest.approx(at_risk, rel=1e-6)
    assert out["marketer"] == pytest.approx(success, rel=1e-6)
    assert out["expected_population_uniques_in_sample"] == pytest.approx(uniques, rel=1e-6)


def test_population_table_with_or_without_the_sample():
    small = pd.DataFrame({"zip": ["A", "A", "A", "B", "B", "C"], "age": [30, 30, 30, 40, 40, 50]})
    other = pd.DataFrame({"zip": ["A", "A", "C", "C", "C", "D"], "age": [30, 30, 50, 50, 50, 60]})
    # Table without the sample: F = count + f = 2+3, 0+2, 3+1 = 5, 2, 4 (same as the sample appended).
    without = assess_risk(small, ["zip", "age"], risk_threshold=0.4, population=other,
                          population_contains_sample=False)
    appended = assess_risk(small, ["zip", "age"], risk_threshold=0.4, population=pd.concat([small, other]))
    assert without.journalist.to_dict() | {"population": "", "assumptions": ()} == \
        appended.journalist.to_dict() | {"population": "", "assumptions": ()}
    assert without.journalist.highest_risk == pytest.approx(1 / 2)
    # Same table read as containing the sample: F = max(count, f) = 3, 2, 3.
    within = assess_risk(small, ["zip", "age"], risk_threshold=0.4, population=other)
    assert within.journalist.average_risk == pytest.approx(max(3 / 8, (3 / 3 + 2 / 2 + 1 / 3) / 6))
    assert "without the sample" in without.journalist.population
    assert "containing the sample" in within.journalist.population


def test_adult_journalist_agrees_with_the_estimate():
    from analysis.tables import load_sample

    adult = load_sample("adult.csv").frame
    r = assess_risk(adult, ["age", "sex", "race", "native-country"], population_size=10 * len(adult),
                    max_combinations=1)
    pu = r.population_uniqueness
    assert pu.model == PITMAN
    assert 0.01 < pu.population_uniques_share < 0.03      # about 1.5% of records are population-unique
    assert r.journalist.records_at_risk_share >= pu.population_uniques_share
    assert r.journalist.highest_risk == 1.0
