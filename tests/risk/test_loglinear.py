"""The log-linear class-size model behind journalist risk from N (Skinner & Holmes 1998), against
independent computations: its fitted counts by hand, its posterior by numerical integration and
Poisson sums, its fit as the maximum of the zero-truncated likelihood."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.stats import norm, poisson

from analysis.risk import assess_risk
from analysis.risk.classes import combine, encode_columns
from analysis.risk.loglinear import LOGLINEAR, fit, fitted_log_counts, posterior
from analysis.risk.metrics import estimated_population_risk
from analysis.risk.population import ClassSizeModel


def _classes(frame: pd.DataFrame) -> tuple[list, np.ndarray, np.ndarray]:
    encoded = encode_columns(frame, list(frame.columns))
    columns = [encoded[c] for c in frame.columns]
    ids, sizes = combine(columns)
    return columns, ids, sizes


def test_independent_columns_get_the_main_effects_counts():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"sex": rng.choice(["f", "m"], 4000), "band": rng.integers(0, 5, 4000)})
    columns, ids, sizes = _classes(frame)
    log_m, terms, _ = fitted_log_counts(columns, ids, sizes)
    assert terms == []                      # no association: BIC adds no interaction
    first = np.array([np.flatnonzero(ids == j)[0] for j in range(len(sizes))])
    share_sex = frame["sex"].value_counts(normalize=True)[frame["sex"].to_numpy()[first]].to_numpy()
    share_band = frame["band"].value_counts(normalize=True)[frame["band"].to_numpy()[first]].to_numpy()
    assert np.exp(log_m) == pytest.approx(4000 * share_sex * share_band)


def test_a_nested_column_gets_its_two_way_term():
    # zip3 is a function of zip5: the (zip5, zip3) table is the zip5 margin, so m = n * share(zip5, rest)
    rng = np.random.default_rng(1)
    zip5 = rng.integers(10000, 10200, 3000)
    frame = pd.DataFrame({"zip5": zip5.astype(str), "zip3": (zip5 // 100).astype(str),
                          "sex": rng.choice(["f", "m"], 3000)})
    columns, ids, sizes = _classes(frame)
    log_m, terms, _ = fitted_log_counts(columns, ids, sizes)
    assert terms == [("zip5", "zip3")]
    first = np.array([np.flatnonzero(ids == j)[0] for j in range(len(sizes))])
    share_zip = frame["zip5"].value_counts(normalize=True)[frame["zip5"].to_numpy()[first]].to_numpy()
    share_sex = frame["sex"].value_counts(normalize=True)[frame["sex"].to_numpy()[first]].to_numpy()
    assert np.exp(log_m) == pytest.approx(3000 * share_zip * share_sex)


def _posterior_by_integration(f: int, log_m: float, p: float, delta: float, sigma: float, limit: int):
    """P(F <= limit), E[1/F], E[F], P(F = 1) given f, integrating over the class effect z ~ N(0, 1)."""
    def mean(z):
        return math.exp(log_m + delta + sigma * z)            # p lambda

    def weight(z):
        return norm.pdf(z) * poisson.pmf(f, mean(z))

    def integral(g):
        return quad(lambda z: weight(z) * g(mean(z) * (1 - p) / p), -12, 12, limit=400, epsabs=0)[0]

    m = np.arange(0, 4000)
    total = integral(lambda rest: 1.0)
    return (integral(lambda rest: poisson.cdf(limit - f, rest)) / total,
            integral(lambda rest: (poisson.pmf(m, rest) / (f + m)).sum()) / total,
            f + integral(lambda rest: rest) / total,
            integral(lambda rest: math.exp(-rest)) / total if f == 1 else 0.0)


def test_figures_are_expectations_over_each_class_posterior():
    sizes = np.array([1, 1, 1, 2, 3, 7])
    log_m = np.array([-1.0, 0.5, -1.0, 0.0, 0.5, 1.5])     # on the 0.02 grid: no rounding
    p, delta, sigma, threshold = 0.05, 0.3, 0.8, 0.2
    n = sizes.sum()
    out = estimated_population_risk(sizes, int(n / p), ClassSizeModel(LOGLINEAR, delta=delta, sigma=sigma),
                                    threshold, log_m)
    # 24-node Gauss-Hermite quadrature against adaptive integration: agreement to 1e-4
    parts = np.array([_posterior_by_integration(f, lm, p, delta, sigma, 4) for f, lm in zip(sizes, log_m)])
    at_risk = (sizes * parts[:, 0]).sum() / n
    assert out["journalist"]["records_at_risk_share"] == pytest.approx(at_risk, rel=1e-4)
    assert out["marketer"] == pytest.approx((sizes * parts[:, 1]).sum() / n, rel=1e-4)
    assert out["journalist"]["average_risk"] == pytest.approx(
        max(len(sizes) / parts[:, 2].sum(), (sizes * parts[:, 1]).sum() / n), rel=1e-4)
    assert out["expected_population_uniques_in_sample"] == pytest.approx(parts[:, 3].sum(), rel=1e-4)


def test_fit_maximizes_the_zero_truncated_poisson_lognormal_likelihood():
    rng = np.random.default_rng(2)
    log_m = rng.choice([-2.0, -1.0, 0.0, 1.0], 4000)          # few distinct cells keep the reference quick
    sizes = rng.poisson(np.exp(log_m + 0.4 + 0.7 * rng.standard_normal(4000)))
    seen = sizes > 0
    sizes, log_m = sizes[seen], log_m[seen]

    cells, counts = np.unique(np.stack([sizes, log_m]), axis=1, return_counts=True)
    z = np.linspace(-12, 12, 4001)                             # a fine trapezoid rule, not Gauss-Hermite

    def log_likelihood(delta: float, sigma: float) -> float:
        mean = np.exp(cells[1][:, None] + delta + sigma * z[None, :])
        pf = np.trapz(norm.pdf(z) * poisson.pmf(cells[0][:, None], mean), z, axis=1)
        p0 = np.trapz(norm.pdf(z) * np.exp(-mean), z, axis=1)
        return float((counts * np.log(pf / (1 - p0))).sum())

    delta, sigma = fit(sizes, log_m)
    found = minimize(lambda x: -log_likelihood(x[0], x[1]), x0=[0.0, 1.0], method="Nelder-Mead",
                     options={"xatol": 1e-4, "fatol": 1e-6})
    assert log_likelihood(delta, sigma) >= -found.fun - 1e-3
    assert (delta, sigma) == pytest.approx(tuple(found.x), abs=0.02)
    assert (delta, sigma) == pytest.approx((0.4, 0.7), abs=0.2)   # and near the simulated values


def test_a_case_number_among_the_quasi_identifiers_puts_every_record_at_risk():
    # BIC pairs the case number with each column (no degrees of freedom left to penalize): the model is
    # saturated, so Pitman gives the figures, and it sees nothing but sample uniques
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"case_no": [f"2024-{i:05d}" for i in range(3000)],
                          "sex": rng.choice(["f", "m"], 3000),
                          "icd10": rng.choice(["E11", "I10", "J45", "F32"], 3000)})
    r = assess_risk(frame, ["case_no", "sex", "icd10"], population_size=300_000, max_combinations=1)
    assert r.journalist.records_at_risk_share > 0.99
    assert r.marketer.average_risk > 0.99
    assert "saturated" in r.journalist.assumptions[-1]


def test_common_classes_in_a_huge_population_give_small_finite_risks():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"sex": rng.choice(["f", "m"], 4000), "band": rng.integers(0, 3, 4000)})
    r = assess_risk(frame, ["sex", "band"], population_size=10**12, max_combinations=1)
    assert r.journalist.records_at_risk_share == 0.0
    # each of the 6 classes has F close to its share of 10^12: 6 / 10^12 on average
    assert r.marketer.average_risk == pytest.approx(6 / 1e12, rel=0.05)


def test_leverage_is_the_poisson_models_hat_value():
    # b depends on a, c and d do not: BIC keeps a x b. The hat value m x' (X'WX)^-1 x of the Poisson
    # log-linear model on the full grid (W = the fitted counts, found here by iterative proportional fitting)
    rng = np.random.default_rng(6)
    a = rng.integers(0, 4, 600)
    frame = pd.DataFrame({"a": a, "b": (a + rng.integers(0, 2, 600)) % 5, "c": rng.integers(0, 3, 600),
                          "d": rng.integers(0, 2, 600)})
    columns, ids, sizes = _classes(frame)
    log_m, terms, leverage = fitted_log_counts(columns, ids, sizes)
    assert terms == [("a", "b")]
    cards = [c.cardinality for c in columns]
    observed = np.zeros(cards)
    np.add.at(observed, tuple(c.codes for c in columns), 1)
    margins = [(0,), (1,), (2,), (3,), (0, 1)]
    fitted = np.ones(cards)
    for _ in range(50):
        for keep in margins:
            axes = tuple(i for i in range(4) if i not in keep)
            target, current = observed.sum(axis=axes, keepdims=True), fitted.sum(axis=axes, keepdims=True)
            fitted *= np.divide(target, current, out=np.zeros_like(target), where=current > 0)
    grid = np.indices(cards).reshape(4, -1).T
    design = np.hstack([np.ones((len(grid), 1))]
                       + [(grid[:, [q]] == np.arange(1, cards[q])).astype(float) for q in range(4)]
                       + [(grid[:, [0]] * cards[1] + grid[:, [1]] == np.arange(cards[0] * cards[1])).astype(float)])
    information = design.T @ (fitted.reshape(-1, 1) * design)
    cell = np.ravel_multi_index(tuple(c.codes for c in columns), cards)[
        np.unique(ids, return_index=True)[1]]
    x = design[cell]
    hat = fitted.reshape(-1)[cell] * np.einsum("ij,jk,ik->i", x, np.linalg.pinv(information), x)
    assert np.exp(log_m) == pytest.approx(fitted.reshape(-1)[cell])
    assert leverage == pytest.approx(hat, rel=1e-9)


@pytest.mark.parametrize("sigma, f, m", [(1.0, 1000, 1000.0), (1.0, 1000, 1300.0), (2.0, 50, 50.0),
                                         (2.0, 50, 5.0), (0.5, 1, 1.0), (1.0, 5, 3.0), (2.0, 1, 0.2)])
def test_posterior_means_match_a_fine_grid_for_large_counts_and_spreads(sigma, f, m):
    # The reference integrates over z ~ N(0, 1) on 400,001 points; E[1/F | f] as
    # integral_0^1 (1 - u)^(f - 1) E[exp(-(1 - p) lambda u) | f] du (E[t^M], M ~ Poisson, at t = 1 - u).
    p = 0.01
    z = np.linspace(-12, 12, 400_001)
    log_mean = math.log(m) + sigma * z
    log_weight = f * log_mean - np.exp(log_mean) + norm.logpdf(z)
    weight = np.exp(log_weight - log_weight.max())
    weight /= weight.sum()
    keep = weight > 1e-300
    weight, rest = weight[keep], np.exp(log_mean[keep]) * (1 - p) / p
    expected_f = f + (weight * rest).sum()
    inverse = quad(lambda u: (1 - u) ** (f - 1) * (weight * np.exp(-rest * u)).sum(), 0, 1,
                   points=[min(1.0, 10.0 / f), 1e-3], limit=400, epsabs=0, epsrel=1e-10)[0]

    _, got_inverse, got_f, _ = posterior(np.array([float(f)]), np.array([math.log(m)]), p, 0.0, sigma, 4.0)
    assert got_f[0] == pytest.approx(expected_f, rel=0.01)
    assert got_inverse[0] == pytest.approx(inverse, rel=0.01)


@pytest.mark.parametrize("delta, sigma", [(0.0, 1.0), (-0.5, 2.0), (0.3, 0.05)])
def test_the_fits_likelihood_matches_a_fine_grid_for_large_counts_and_spreads(delta, sigma):
    from analysis.risk.loglinear import _truncated_log_likelihood

    values = np.array([1.0, 2.0, 5.0, 50.0, 1000.0, 1.0])
    log_m = np.log(np.array([0.3, 1.0, 3.0, 50.0, 1000.0, 20.0]))
    z = np.linspace(-12, 12, 400_001)
    mean = np.exp(log_m[:, None] + delta + sigma * z[None, :])
    pf = np.trapz(norm.pdf(z) * poisson.pmf(values[:, None], mean), z, axis=1)
    p0 = np.trapz(norm.pdf(z) * np.exp(-mean), z, axis=1)
    counts = np.ones(len(values))
    for i in range(len(values)):           # group by group: each group's term
        one = slice(i, i + 1)
        got = _truncated_log_likelihood(values[one], log_m[one], counts[one], delta, sigma)
        assert got == pytest.approx(math.log(pf[i] / (1 - p0[i])), abs=1e-4)
