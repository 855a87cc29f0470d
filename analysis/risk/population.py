"""How many records are unique in the population, estimated from the sample's class-size counts.

The input is the sample's frequency-of-frequencies: c_i = number of equivalence classes of size i,
n = sum i c_i records, u = sum c_i classes, and the population size N (sampling fraction f = n/N).
Three models, as ARX implements them (`ModelPitman`, `ModelZayatz`, `ModelSNB`), and the decision rule
of Dankar, El Emam, Neisa & Roffey (2012, "Estimating the re-identification risk of clinical data
sets", BMC Medical Informatics and Decision Making 12:66), ARX's `RiskModelPopulationUniqueness`:

- f <= 0.1: the Pitman model (Hoshino 2001) when its maximum-likelihood fit converges, else Zayatz;
- f > 0.1: the smaller of Zayatz and SNB (Chen & McNulty 1998), Zayatz alone when SNB fails.

Pitman. The sample partition follows the Pitman sampling formula with parameters (theta, alpha); its
log-likelihood is sum_{i<u} log(theta + i alpha) - sum_{i<n} log(theta + i)
+ sum_classes sum_{j<size} log(j - alpha). The score equations (ARX's closed forms with digamma
functions) are solved from ARX's moment-based starting point; the number of population uniques is
Gamma(theta + 1) / Gamma(theta + alpha) * N^alpha (valid only in (0, N]).

Zayatz (1991): see `metrics.zayatz_population_uniques`; population uniques = c_1 P / f.

SNB (slide negative binomial, Chen & McNulty 1998): population class sizes are 1 + NegBin(a, b), so a
class is unique with probability b^a; K, the number of non-empty population classes, is Shlosser's
estimator in Haas & Stokes' (1998) form. Sampling each record with probability f gives
E c_1 = K f (b/(1-d))^a (1 + a d/(1-d)) and E c_2 = K a b^a f^2 (1-b) (2 - (1-a) d) / (2 (1-d)^(a+2)),
d = (1-f)(1-b) (binomial thinning of the size's generating function). (a, b) solve E c_1 = c_1,
E c_2 = c_2; population uniques = K b^a. ARX multiplies by (1-d)^(a+2) in the second equation and
writes Shlosser's denominator as sum c_i (1-f^2)^i - 1 per term; both differ from the derivation above,
which a test checks against simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional, Sequence

import numpy as np

PITMAN, ZAYATZ, SNB, NONE = "Pitman", "Zayatz", "SNB", "none (no sample uniques)"
DANKAR_FRACTION = 0.1


@dataclass(frozen=True)
class UniquesEstimate:
    """Estimated population uniques by one model (None when the model did not give a valid value)."""

    model: str
    population_uniques: Optional[float]
    note: str = ""


def frequency_counts(sizes: np.ndarray) -> dict[int, int]:
    """Class sizes -> {size i: number of classes of that size}."""
    counts = np.bincount(np.asarray(sizes, dtype=np.int64))   # sizes are at most n: cheaper than sorting
    values = np.flatnonzero(counts)
    return {int(v): int(c) for v, c in zip(values, counts[values])}


def _valid(value: Optional[float], big_n: float) -> bool:
    return value is not None and math.isfinite(value) and 0 < value <= big_n


def pitman_fit(counts: dict[int, int]) -> Optional[tuple[float, float]]:
    """Maximum-likelihood (theta, alpha) of the Pitman model, or None when the fit does not converge.

    Solves the score equations (ARX's closed forms with digamma functions) from ARX's moment-based
    starting point.
    """
    from scipy.optimize import root
    from scipy.special import digamma

    n = float(sum(i * c for i, c in counts.items()))
    u = float(sum(counts.values()))
    c1 = float(counts.get(1, 0))
    c2 = float(counts.get(2, 0)) or 1.0  # ARX: overestimate when there is no class of size 2
    sizes = np.array([i for i in counts if i > 1], dtype=float)
    weights = np.array([counts[int(i)] for i in sizes], dtype=float)
    c = c1 * (c1 - 1) / c2
    denominator = 2 * c1 * u + c1 * c - n * c
    theta0 = (n * u * c - c1 * (n - 1) * (2 * u + c)) / denominator if denominator else 1.0
    alpha0 = (theta0 * (c1 - n) + (n - 1) * c1) / (n * u)

    def score(x: np.ndarray) -> np.ndarray:
        theta, alpha = x
        if not (0 < alpha < 1 and theta > -alpha):
            return np.array([1e6, 1e6])
        r = theta / alpha
        s_theta = (digamma(r + u) - digamma(r + 1)) / alpha       # sum_{i<u} 1/(theta + i alpha)
        d_theta = s_theta - (digamma(theta + n) - digamma(theta + 1))
        s_alpha = ((u - 1) - theta * s_theta) / alpha              # sum_{i<u} i/(theta + i alpha)
        d_alpha = s_alpha - float((weights * (digamma(sizes - alpha) - digamma(1 - alpha))).sum())
        return np.array([d_theta, d_alpha])

    if not (math.isfinite(theta0) and math.isfinite(alpha0) and 0 < alpha0 < 1 and theta0 > -alpha0):
        theta0, alpha0 = max(u / 2, 1.0), 0.5  # ARX's start lies outside the domain: a neutral one
    solution = root(score, np.array([theta0, alpha0]), method="hybr")
    theta, alpha = (float(v) for v in solution.x)
    if not solution.success or not (0 < alpha < 1 and theta > -alpha) or \
            np.max(np.abs(score(solution.x))) > 1e-6 * max(1.0, n):
        return None
    return theta, alpha


def pitman_uniques(counts: dict[int, int], population_size: int) -> UniquesEstimate:
    """Population uniques under the Pitman model: Gamma(theta + 1) / Gamma(theta + alpha) N^alpha."""
    from scipy.special import gammaln

    fit = pitman_fit(counts)
    if fit is None:
        return UniquesEstimate(PITMAN, None, "the maximum-likelihood fit did not converge")
    theta, alpha = fit
    uniques = math.exp(gammaln(theta + 1) - gammaln(theta + alpha) + alpha * math.log(float(population_size)))
    if not _valid(uniques, population_size):
        return UniquesEstimate(PITMAN, None, "the fitted model gives no valid count")
    return UniquesEstimate(PITMAN, uniques, f"theta = {theta:.4g}, alpha = {alpha:.4g}")


def zayatz_uniques(counts: dict[int, int], population_size: int) -> UniquesEstimate:
    from analysis.risk.metrics import zayatz_population_uniques

    sizes = np.repeat(np.array(list(counts), dtype=np.int64), list(counts.values()))
    estimate = zayatz_population_uniques(sizes, population_size)["population_uniques"]
    return UniquesEstimate(ZAYATZ, estimate if _valid(estimate, population_size) else None)


def shlosser_classes(counts: dict[int, int], fraction: float) -> float:
    """Shlosser's estimate of the number of non-empty population classes (Haas & Stokes 1998)."""
    q = fraction
    u = sum(counts.values())
    c1 = counts.get(1, 0)
    num1 = sum(i * q * q * (1 - q * q) ** (i - 1) * c for i, c in counts.items())
    den1 = sum(((1 - q * q) ** i - (1 - q) ** i) * c for i, c in counts.items())
    num2 = sum((1 - q) ** i * c for i, c in counts.items())
    den2 = sum(i * q * (1 - q) ** (i - 1) * c for i, c in counts.items())
    if den1 <= 0 or den2 <= 0:
        return float(u)
    return u + c1 * (num1 / den1) * (num2 / den2) ** 2


def snb_expected_counts(k: float, fraction: float, a: float, b: float) -> tuple[float, float]:
    """Expected numbers of sample classes of size 1 and 2 under the SNB model."""
    f = fraction
    d = (1 - f) * (1 - b)
    c1 = k * f * (b / (1 - d)) ** a * (1 + a * d / (1 - d))
    c2 = k * a * b ** a * f * f * (1 - b) * (2 - (1 - a) * d) / (2 * (1 - d) ** (a + 2))
    return c1, c2


def snb_fit(counts: dict[int, int], population_size: int) -> Optional[tuple[float, float, float]]:
    """(K, a, b) of the SNB model fitted to c_1 and c_2, or None when there is no solution."""
    from scipy.optimize import root

    n = sum(i * c for i, c in counts.items())
    fraction = n / float(population_size)
    c1, c2 = float(counts.get(1, 0)), float(counts.get(2, 0))
    if c2 == 0 or c1 == 0 or fraction >= 1:
        return None
    k = shlosser_classes(counts, fraction)

    def equations(x: np.ndarray) -> np.ndarray:
        a, b = x
        if not (a > 0 and 0 < b < 1):
            return np.array([1e6, 1e6])
        e1, e2 = snb_expected_counts(k, fraction, a, b)
        return np.array([e1 / c1 - 1, e2 / c2 - 1])

    for start in ((1.0, 0.5), (0.5, 0.1), (2.0, 0.9), (0.1, 0.01)):
        solution = root(equations, np.array(start), method="hybr")
        if solution.success and np.max(np.abs(equations(solution.x))) < 1e-8:
            return k, float(solution.x[0]), float(solution.x[1])
    return None


def snb_uniques(counts: dict[int, int], population_size: int) -> UniquesEstimate:
    """Population uniques under the SNB model: K b^a with (a, b) fitted to c_1 and c_2."""
    n = sum(i * c for i, c in counts.items())
    if counts.get(2, 0) == 0 or n >= population_size:
        return UniquesEstimate(SNB, None, "needs classes of size 2 and a sampling fraction below 1")
    fit = snb_fit(counts, population_size)
    if fit is None:
        return UniquesEstimate(SNB, None, "the moment equations have no solution")
    k, a, b = fit
    uniques = k * b ** a
    if not _valid(uniques, population_size):
        return UniquesEstimate(SNB, None, "the fitted model gives no valid count")
    return UniquesEstimate(SNB, uniques, f"K = {k:.4g}, a = {a:.4g}, b = {b:.4g}")


@dataclass(frozen=True)
class DankarChoice:
    model: str                              # the model the rule picked (or NONE)
    population_uniques: float
    estimates: dict[str, Optional[float]]   # every model that was run -> its estimate (None: failed)
    reason: str


def dankar_population_uniques(sizes: np.ndarray, population_size: int) -> DankarChoice:
    """Dankar et al.'s (2012) rule over Pitman, Zayatz and SNB, as ARX applies it."""
    counts = frequency_counts(sizes)
    n = int(np.asarray(sizes).sum())
    fraction = n / float(population_size)
    if counts.get(1, 0) == 0:
        return DankarChoice(NONE, 0.0, {}, "the sample has no unique record")
    zayatz = zayatz_uniques(counts, population_size)
    if fraction <= DANKAR_FRACTION:
        pitman = pitman_uniques(counts, population_size)
        estimates = {PITMAN: pitman.population_uniques, ZAYATZ: zayatz.population_uniques}
        if pitman.population_uniques is not None:
            return DankarChoice(PITMAN, pitman.population_uniques, estimates,
                                f"sampling fraction {fraction:.3g} <= 0.1 and the Pitman fit converged "
                                f"({pitman.note})")
        return DankarChoice(ZAYATZ, zayatz.population_uniques or 0.0, estimates,
                            f"sampling fraction {fraction:.3g} <= 0.1 but Pitman failed ({pitman.note}): Zayatz")
    snb = snb_uniques(counts, population_size)
    estimates = {SNB: snb.population_uniques, ZAYATZ: zayatz.population_uniques}
    if snb.population_uniques is not None and (zayatz.population_uniques is None
                                               or snb.population_uniques < zayatz.population_uniques):
        return DankarChoice(SNB, snb.population_uniques, estimates,
                            f"sampling fraction {fraction:.3g} > 0.1: the smaller of SNB and Zayatz ({snb.note})")
    reason = (f"sampling fraction {fraction:.3g} > 0.1: the smaller of SNB and Zayatz" if snb.population_uniques
              is not None else f"sampling fraction {fraction:.3g} > 0.1 and SNB failed ({snb.note}): Zayatz")
    return DankarChoice(ZAYATZ, zayatz.population_uniques or 0.0, estimates, reason)


@dataclass(frozen=True)
class ClassSizeModel:
    """The model of each class's population size F given its sample size f (`metrics.estimated_population_risk`).

    kind "log-linear" (`loglinear.py`, Skinner & Holmes 1998): F - f ~ Poisson((1-p) lambda) with
    log(p lambda) = log m + delta + sigma z, m the class's log-linear fitted count, z ~ N(0, 1) a posteriori
    given f; kind "Pitman": F - f ~ NegBin(f - alpha, p) (Hoshino 2001); kind "SNB": population class sizes are
    1 + NegBin(a, b), so F - f is a size-biased NegBin(f - 1 + a, 1 - (1-b)(1-p)).
    """

    kind: str
    alpha: float = 0.0
    a: float = 0.0
    b: float = 0.0
    delta: float = 0.0
    sigma: float = 0.0
    source: str = ""
    log_linear_rejected: str = ""           # why the log-linear model was not used ("" when it was or not tried)


def class_size_model(sizes: np.ndarray, population_size: int, population_uniques: float,
                     log_expected: Optional[np.ndarray] = None,
                     interactions: Sequence[tuple[str, str]] = (),
                     leverage: Optional[np.ndarray] = None) -> ClassSizeModel:
    """With two or more quasi-identifiers (`log_expected` = each class's log-linear fitted count,
    `interactions` the model's two-way terms and `leverage` each class's share of its own fitted count,
    `loglinear.fitted_log_counts`), the log-linear model with a lognormal class effect when its fit exists
    and is not degenerate (`loglinear.saturated`, `loglinear.fit_at_bound`; the reason is then kept in
    `log_linear_rejected`). Otherwise Dankar et al.'s split by sampling fraction (`_pitman_or_snb`)."""
    from analysis.risk import loglinear

    n = float(np.asarray(sizes).sum())
    p = n / float(population_size)
    if log_expected is not None and p < 1:
        terms = "main effects" + "".join(f" + {a} x {b}" for a, b in interactions)
        reason = loglinear.saturated(sizes, log_expected, leverage)
        fit = None if reason else loglinear.fit(sizes, log_expected)
        reason = reason or loglinear.fit_at_bound(fit)
        if not reason:
            return ClassSizeModel(loglinear.LOGLINEAR, delta=fit[0], sigma=fit[1],
                                  source=f"log-linear model ({terms}) with a lognormal class effect "
                                         f"(Skinner & Holmes 1998; delta = {fit[0]:.3g}, sigma = {fit[1]:.3g})")
        model = _pitman_or_snb(sizes, population_size, population_uniques)
        return replace(model, log_linear_rejected=f"The log-linear model ({terms}) was not used: {reason}.",
                       source=f"{model.source}; log-linear model ({terms}) not used: {reason}")
    return _pitman_or_snb(sizes, population_size, population_uniques)


def _pitman_or_snb(sizes: np.ndarray, population_size: int, population_uniques: float) -> ClassSizeModel:
    """Dankar et al.'s split by sampling fraction: above 0.1 the SNB fit when it exists; otherwise the
    Pitman fit's alpha when it converges; otherwise the alpha whose expected sample-unique population
    uniques, c_1 p^(1 - alpha), equal the chosen estimate's U p."""
    n = float(np.asarray(sizes).sum())
    p = n / float(population_size)
    counts = frequency_counts(sizes)
    c1 = float(counts.get(1, 0))
    if p > DANKAR_FRACTION:
        fit = snb_fit(counts, population_size)
        if fit is not None:
            return ClassSizeModel(SNB, a=fit[1], b=fit[2], source=f"SNB fit (a = {fit[1]:.3g}, b = {fit[2]:.3g})")
    fit = pitman_fit(counts) if c1 else None
    if fit is not None:
        return ClassSizeModel(PITMAN, alpha=fit[1], source=f"Pitman fit (alpha = {fit[1]:.3g})")
    if c1 == 0 or p >= 1 or population_uniques <= 0:
        return ClassSizeModel(PITMAN, source="Pitman, alpha = 0 (no sample unique or no uniqueness estimate)")
    alpha = 1.0 - math.log(min(1.0, population_uniques * p / c1)) / math.log(p)
    alpha = min(max(alpha, 0.0), 0.999)
    return ClassSizeModel(PITMAN, alpha=alpha, source=f"Pitman, alpha = {alpha:.3g} matched to the population-"
                                                      "uniques estimate (the Pitman fit did not converge)")
