"""Each sample class's population size from a log-linear model of the cross-classified quasi-identifiers.

Skinner & Holmes (1998, "Estimating the re-identification risk per record in microdata", Journal of
Official Statistics 14:361-372): the population count of each combination of quasi-identifier values
is Poisson with mean lambda_k, log lambda_k = (a log-linear model of the quasi-identifiers) + e_k, e_k
normal. Simple random sampling with fraction p thins it: f_k ~ Poisson(p lambda_k) and, independently
given lambda_k, F_k - f_k ~ Poisson((1 - p) lambda_k). The log-linear part is fitted to the sample and
chosen by a goodness-of-fit criterion, as Skinner & Shlomo (2008, "Assessing identification risk in
survey microdata using log-linear models", JASA 103:989-1001) recommend: main effects plus the forest
of two-way interactions that BIC selects (`fitted_log_counts`), whose fitted sample count m_k has a
closed form; the cell effect log(p lambda_k / m_k) ~ Normal(delta, sigma^2) absorbs what the model misses.
(delta, sigma) maximize the zero-truncated Poisson-lognormal likelihood of the sample's classes
(the classes seen at least once, each with its m_k). Each class's figures are expectations over the
posterior of lambda_k given f_k (adaptive Gauss-Hermite quadrature over e_k, 24 nodes centred at each
group's posterior mode, `_adaptive_nodes`):
E[1/F | lambda] = 1F1(1; f + 1; -(1-p) lambda) / f, the Poisson mean of 1/(f + M) (`_inverse_mean`).

Classes are grouped by (f, log m_k rounded to 0.02), so the cost grows with the number of distinct
pairs, not of classes. With a single quasi-identifier the model is saturated (m = f) and says
nothing about the population: `population.class_size_model` then uses Pitman / SNB, as it does when
the chosen terms (nearly) reproduce the sample's cells (`saturated`) or the fit stops at a bound
(`fit_at_bound`).
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from analysis.risk.classes import ColumnCodes

LOGLINEAR = "log-linear"
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(24)   # probabilists' Hermite: weight exp(-z^2/2)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
_LOG_WEIGHTS = np.log(_WEIGHTS)
_BIN = 0.02
_DELTA_BOUNDS = (-30.0, 30.0)
_LOG_SIGMA_BOUNDS = (math.log(1e-3), 1.5)
# Sample uniques whose fitted counts are on average at least this much their own record: the model
# has (nearly) no other evidence about those cells. Measured: 0.003-0.010 on the independent and
# adult-like simulations (tests/risk/test_journalist_simulation.py), 0.33 with a sparse dependent pair
# plus an independent column, 1 when saturated.
_NEARLY_SATURATED = 0.1


def fitted_log_counts(columns: list[ColumnCodes], ids: np.ndarray,
                      sizes: np.ndarray) -> tuple[np.ndarray, list[tuple[str, str]], np.ndarray]:
    """log m_j per class, the log-linear model's fitted sample count of the class's cell; the model's
    two-way interactions; and each class's leverage h_j, the share of m_j its own records make.

    The model is the maximum-likelihood forest of two-way interactions (Chow & Liu 1968): pairs ranked by
    n * (their sample mutual information) - (d / 2) log n, d the pair's degrees of freedom adjusted for
    empty cells (non-empty cells - r_a - r_b + 1, Edwards 2000, "Introduction to Graphical Modelling",
    sect. 2.2.2), joined greedily (Kruskal) while the gain is positive and no cycle forms: BIC's choice among
    decomposable models of that form. Its fitted counts are closed form (Darroch, Lauritzen & Speed 1980):
    m = n prod_q share_q(v_q) prod_(a,b) share_ab(v_a, v_b) / (share_a(v_a) share_b(v_b)). With no pair
    chosen it is the main-effects (independence) model.

    Leverage (the Poisson model's hat value) is m Var(log m-hat), and for a decomposable model
    Var(log m-hat) = sum over cliques 1/n_C - sum over separators 1/n_S (Bishop, Fienberg & Holland 1975,
    ch. 14): here sum_pairs 1/n_ab + sum_q (1 - degree_q)/n_q - (trees - 1)/n. It is 1 for a saturated
    model (m = f) and near 0 when m rests on large margins.
    """
    n = len(ids)
    log_n = math.log(n)
    margin_counts = [np.bincount(c.codes, minlength=c.cardinality) for c in columns]
    log_share = [np.log(counts / n) for counts in margin_counts]
    per_record = np.full(n, log_n)
    inverse_counts = np.full(n, -(len(columns) - 1) / n)        # Var(log m-hat) per record
    for column, shares, counts in zip(columns, log_share, margin_counts):
        per_record += shares[column.codes]
        inverse_counts += 1.0 / counts[column.codes]

    def cells(a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The pair's joint code per record, its non-empty cells' codes, counts and log lifts
        log(share_ab / (share_a share_b))."""
        card_b = columns[b].cardinality
        joint = columns[a].codes * card_b + columns[b].codes
        space = columns[a].cardinality * card_b
        if space <= max(1 << 16, 4 * n):
            counts = np.bincount(joint, minlength=space)
            keys = np.flatnonzero(counts)
            counts = counts[keys]
        else:
            keys, counts = np.unique(joint, return_counts=True)
        lifts = np.log(counts / n) - log_share[a][keys // card_b] - log_share[b][keys % card_b]
        return joint, keys, counts, lifts

    gains = []
    for a in range(len(columns)):
        for b in range(a + 1, len(columns)):
            _, keys, counts, lifts = cells(a, b)
            dof = max(0, len(keys) - columns[a].cardinality - columns[b].cardinality + 1)
            gain = float((counts * lifts).sum()) - dof / 2 * log_n      # n * mutual information - BIC penalty
            if gain > 0:
                gains.append((gain, a, b))
    root = list(range(len(columns)))

    def find(x: int) -> int:
        while root[x] != x:
            x = root[x]
        return x

    edges = []
    for _, a, b in sorted(gains, reverse=True):
        if find(a) != find(b):
            root[find(a)] = find(b)
            joint, keys, pair_counts, lifts = cells(a, b)
            cell = np.searchsorted(keys, joint)
            per_record += lifts[cell]
            # the pair becomes a clique, a and b each one more separator, and two trees one
            inverse_counts += (1.0 / pair_counts[cell] - 1.0 / margin_counts[a][columns[a].codes]
                               - 1.0 / margin_counts[b][columns[b].codes] + 1.0 / n)
            edges.append((columns[a].name, columns[b].name))
    # every record of a class has the same cell, hence the same value: the class mean is that value
    log_m = np.bincount(ids, weights=per_record, minlength=len(sizes)) / sizes
    leverage = np.exp(log_m) * np.bincount(ids, weights=inverse_counts, minlength=len(sizes)) / sizes
    return log_m, edges, leverage


def grouped(sizes: np.ndarray, log_expected: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (f, log m rounded to 0.02) pairs: (f, log m, number of classes)."""
    f = np.asarray(sizes, dtype=np.int64)
    bins = np.round(np.asarray(log_expected) / _BIN).astype(np.int64)
    offset = int(bins.min())
    span = int(bins.max()) - offset + 1
    code = f * span + (bins - offset)
    if int(code.max()) < max(1 << 16, 4 * len(code)):       # a bincount beats sorting a million keys
        counts = np.bincount(code)
        keys = np.flatnonzero(counts)
        counts = counts[keys]
    else:
        keys, counts = np.unique(code, return_counts=True)
    return (keys // span).astype(np.float64), (keys % span + offset) * _BIN, counts


def _adaptive_nodes(values: np.ndarray, centre: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive Gauss-Hermite nodes x_i for log(p lambda) and log-weights l_i per group, such that
    integral Poisson-kernel(f; e^x) Normal(x; centre, sigma^2) h(x) dx = sum_i exp(l_i) h(x_i), the kernel
    being exp(f x - e^x) (Poisson's pmf times f!).

    Nodes on the prior (x = centre + sigma z) miss the integrand once f or sigma is large: its mass then
    sits in the prior's tail, between the nodes (E[F | f] was 0.55 of its value at sigma = 2, f = 50).
    They are centred instead at the mode of the log-integrand g(x) = f x - e^x - (x - centre)^2 / (2 sigma^2)
    and scaled by its curvature, s = (e^mode + 1/sigma^2)^(-1/2) (Liu & Pierce 1994).
    """
    f = values[:, None]
    centre = centre[:, None]
    # g' = f - e^x - (x - centre)/sigma^2 falls and is concave in x: Newton from the right of its root
    # (max(centre, log f), where g' <= 0) moves left and never overshoots
    mode = np.maximum(centre, np.log(np.maximum(f, 1e-300)))
    precision = 1.0 / sigma ** 2
    for _ in range(200):
        curvature = np.exp(mode) + precision
        step = (f + precision * (centre - mode) + precision - curvature) / curvature
        mode += step
        if np.all(np.abs(step) < 1e-10):
            break
    scale = 1.0 / np.sqrt(np.exp(mode) + precision)
    x = mode + scale * _NODES[None, :]
    log_weight = (_LOG_WEIGHTS[None, :] + _NODES[None, :] ** 2 / 2 + np.log(scale / sigma)
                  + f * x - np.exp(x) - (x - centre) ** 2 * (precision / 2))
    return x, log_weight


def _truncated_log_likelihood(values: np.ndarray, log_m: np.ndarray, counts: np.ndarray,
                              delta: float, sigma: float) -> float:
    from scipy.special import gammaln, logsumexp

    _, log_weight = _adaptive_nodes(values, log_m + delta, sigma)
    log_pf = logsumexp(log_weight, axis=1) - gammaln(values + 1)
    _, log_weight_0 = _adaptive_nodes(np.zeros_like(values), log_m + delta, sigma)
    p_seen = -np.expm1(np.minimum(logsumexp(log_weight_0, axis=1), 0.0))    # 1 - P(f = 0)
    return float((counts * (log_pf - np.log(np.maximum(p_seen, 1e-300)))).sum())


def fit(sizes: np.ndarray, log_expected: np.ndarray) -> Optional[tuple[float, float]]:
    """(delta, sigma) maximizing the zero-truncated Poisson-lognormal likelihood, or None."""
    from scipy.optimize import minimize

    values, log_m, counts = grouped(sizes, log_expected)

    def loss(x: np.ndarray) -> float:
        return -_truncated_log_likelihood(values, log_m, counts, float(x[0]), math.exp(float(x[1])))

    best = None
    for start in ((0.0, math.log(0.5)), (-0.5, math.log(1.5))):
        # Nelder-Mead: two parameters, and L-BFGS-B's per-step overhead exceeded the likelihood's cost here
        found = minimize(loss, np.array(start), method="Nelder-Mead",
                         bounds=[_DELTA_BOUNDS, _LOG_SIGMA_BOUNDS],
                         options={"xatol": 1e-5, "fatol": 1e-7 * max(1.0, float(counts.sum()))})
        if math.isfinite(found.fun) and (best is None or found.fun < best.fun):
            best = found
    if best is None:
        return None
    return float(best.x[0]), math.exp(float(best.x[1]))


def saturated(sizes: np.ndarray, log_expected: np.ndarray, leverage: Optional[np.ndarray]) -> str:
    """Why the model is (nearly) saturated, or "".

    A saturated model takes each cell's own count for its expectation (m = f), so the fit sees no spread
    (sigma -> 0) and every F comes out near f / p: sample uniques would almost never be population uniques,
    understating the risk. Sigma at its lower bound alone is no defect: it is right when the model is.
    """
    if np.allclose(log_expected, np.log(sizes), rtol=0.0, atol=1e-9):
        return "its terms reproduce every sample class count (saturated)"
    if leverage is not None:
        uniques = np.asarray(sizes) == 1
        own = float(np.mean(leverage[uniques] if uniques.any() else leverage))
        if own >= _NEARLY_SATURATED:
            return (f"nearly saturated: the sample uniques' own records make {own:.0%} of their fitted "
                    "counts on average")
    return ""


def fit_at_bound(fitted: Optional[tuple[float, float]]) -> str:
    """Why the class-effect fit is no maximum (failed, or stopped at delta's bounds or sigma's upper
    bound), or ""."""
    if fitted is None:
        return "the class-effect fit failed"
    delta, sigma = fitted
    if min(abs(delta - bound) for bound in _DELTA_BOUNDS) < 1e-3 or \
            math.log(sigma) > _LOG_SIGMA_BOUNDS[1] - 1e-4:
        return f"the class-effect fit stopped at a bound (delta = {delta:.3g}, sigma = {sigma:.3g})"
    return ""


def _inverse_mean(values: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """E[1/(f + M)], M ~ Poisson(rest): 1F1(1; f + 1; -rest) / f (checked against Poisson sums to 1e-10 for
    f + rest < 1e4); above, where scipy's 1F1 can return NaN, the second-order delta approximation
    1/(f + rest) + rest/(f + rest)^3 (relative error below 1e-8 there)."""
    from scipy.special import hyp1f1

    f = np.broadcast_to(values[:, None], rest.shape)
    out = 1.0 / (f + rest) + rest / (f + rest) ** 3
    exact = f + rest < 1e4
    out[exact] = hyp1f1(1.0, f[exact] + 1.0, -rest[exact]) / f[exact]
    return out


def posterior(values: np.ndarray, log_m: np.ndarray, p: float, delta: float, sigma: float,
              limit: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """P(F <= limit), E[1/F], E[F] and P(F = 1) given f for each (f, log m) group."""
    from scipy.stats import poisson

    log_mu, log_post = _adaptive_nodes(values, log_m + delta, sigma)
    post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    post /= post.sum(axis=1, keepdims=True)
    rest = np.exp(log_mu) * ((1 - p) / p)                  # (1 - p) lambda: mean of F - f at each node
    inverse = (post * _inverse_mean(values, rest)).sum(axis=1)
    expected_f = values + (post * rest).sum(axis=1)
    at_risk = np.zeros(len(values))
    small = values <= limit
    if small.any():
        at_risk[small] = (post[small] * poisson.cdf(limit - values[small, None], rest[small])).sum(axis=1)
    unique = np.where(values == 1, (post * np.exp(-rest)).sum(axis=1), 0.0)
    return at_risk, inverse, expected_f, unique
