"""Risk metrics on equivalence classes, each following its published definition.

- Attacker models (El Emam, "Guide to the De-Identification of Personal Health Information", 2013, as
  implemented by ARX's RiskModelSampleSummary): for a record in a sample class of size f_j whose
  class has F_j members in the population,
    prosecutor: record risk 1/f_j; records at risk = share with 1/f_j > threshold;
                highest = 1/min f_j; average (success rate) = J/n.
    journalist: record risk 1/F_j; records at risk = share with 1/F_j > threshold;
                highest = 1/min F_j; average = max(J / sum F_j, (1/n) sum f_j/F_j).
    marketer:   success rate (1/n) sum f_j/F_j only (ARX reports no threshold or maximum for it).
  Without population information F_j = f_j (the sample is the population), as in ARX. With a
  population table, F_j is its count (the table contains the sample, as ARX assumes) or its count +
  f_j (it does not). With only a population size N, `estimated_population_risk` takes each class's F
  from its posterior given f under a log-linear model with a lognormal class effect (Skinner & Holmes
  1998, `loglinear.py`), or with one quasi-identifier under Pitman (Hoshino 2001) / SNB (`population.py`).
- l-diversity (Machanavajjhala et al., 2007): distinct l = min over classes of distinct sensitive
  values; entropy l = exp(min over classes of -sum p log p).
- t-closeness (Li, Li & Venkatasubramanian, 2007): Earth Mover's Distance between each class's
  sensitive distribution and the table's; equal ground distance (= variational distance) for
  categories, ordered distance (1/(m-1)) sum_i |sum_{j<=i} (p_j - q_j)| for numbers; t = max.
- Population uniqueness: Pitman, Zayatz and SNB with Dankar et al.'s rule, `population.py`;
  Zayatz (1991, as in ARX's ModelZayatz) here in `zayatz_population_uniques`.
"""

from __future__ import annotations

import numpy as np

from analysis.risk.classes import ColumnCodes, pair_counts


def attacker_summary(sizes_sample: np.ndarray, sizes_population: np.ndarray, threshold: float) -> dict:
    """rA (records at risk), rB (highest risk), rC (success rate) for one attacker model.

    `sizes_sample[j]` = f_j, `sizes_population[j]` = F_j for every sample class j.
    """
    f = sizes_sample.astype(np.float64)
    big_f = sizes_population.astype(np.float64)
    n = f.sum()
    if n == 0:
        return dict(records_at_risk_share=0.0, highest_risk=0.0, average_risk=0.0)
    at_risk = f[(1.0 / big_f) > threshold].sum() / n
    highest = 1.0 / big_f.min()
    rc2 = float((f / big_f).sum() / n)
    rc1 = float(len(f) / big_f.sum())
    return dict(records_at_risk_share=float(at_risk), highest_risk=float(highest),
                average_risk=max(rc1, rc2))


def marketer_rate(sizes_sample: np.ndarray, sizes_population: np.ndarray) -> float:
    f = sizes_sample.astype(np.float64)
    n = f.sum()
    return float((f / sizes_population.astype(np.float64)).sum() / n) if n else 0.0


def record_risk_distribution(sizes: np.ndarray) -> list[dict]:
    """Share of records per prosecutor-risk band (risk = 1/class size), highest band first."""
    edges = [(0.5, 1.0), (1 / 3, 0.5), (0.25, 1 / 3), (0.2, 0.25), (0.1, 0.2), (0.05, 0.1),
             (0.01, 0.05), (0.0, 0.01)]
    f = sizes.astype(np.float64)
    risk = 1.0 / f
    n = f.sum()
    out = []
    for low, high in edges:
        mask = (risk > low) & (risk <= high)
        out.append({"risk_from": low, "risk_to": high,
                    "records_share": float(f[mask].sum() / n) if n else 0.0})
    return out


def class_size_histogram(sizes: np.ndarray) -> list[dict]:
    """Classes and records per class-size bucket (1, 2, 3, 4, 5-9, 10-19, 20-49, 50-99, 100+)."""
    buckets = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, None)]
    out = []
    for low, high in buckets:
        mask = sizes >= low if high is None else (sizes >= low) & (sizes <= high)
        label = f"{low}+" if high is None else (str(low) if low == high else f"{low}-{high}")
        out.append({"size": label, "classes": int(mask.sum()), "records": int(sizes[mask].sum())})
    return out


def l_diversity(ids: np.ndarray, sizes: np.ndarray, values: ColumnCodes) -> dict:
    """Distinct and entropy l-diversity of one sensitive attribute over the classes `ids`."""
    n_classes = len(sizes)
    pair_class, _, pair_count = pair_counts(ids, n_classes, values)
    distinct = np.bincount(pair_class, minlength=n_classes)
    p = pair_count / sizes[pair_class]
    entropy = -np.bincount(pair_class, weights=p * np.log(p), minlength=n_classes)
    homogeneous = distinct <= 1
    return {
        "distinct_l": int(distinct.min()) if n_classes else 0,
        "entropy_l": float(np.exp(max(0.0, entropy.min()))) if n_classes else 0.0,
        "homogeneous_classes": int(homogeneous.sum()),
        "records_in_homogeneous_classes_share": float(sizes[homogeneous].sum() / sizes.sum()) if n_classes else 0.0,
    }


def t_closeness(ids: np.ndarray, sizes: np.ndarray, values: ColumnCodes, *, ordered: bool = False) -> dict:
    """EMD between each class's sensitive distribution and the whole table's; t is the maximum.

    `ordered=True` (numeric attributes, whose codes must follow the values' order, see
    `encode_column(sort=True)`) uses the ordered distance, otherwise the equal distance.
    """
    n_classes = len(sizes)
    n = float(sizes.sum())
    pair_class, pair_value, pair_count = pair_counts(ids, n_classes, values, sorted_pairs=ordered)
    q = np.bincount(values.codes, minlength=values.cardinality) / n
    p = pair_count / sizes[pair_class]
    if not ordered or values.cardinality < 2:
        # sum_v |p_v - q_v| = 1 + sum over present v of (|p_v - q_v| - q_v)
        total = 1.0 + np.bincount(pair_class, weights=np.abs(p - q[pair_value]) - q[pair_value],
                                  minlength=n_classes)
        emd = 0.5 * np.clip(total, 0.0, 2.0)
        measure = "equal distance (variational distance)"
    else:
        emd = _ordered_emd(pair_class, pair_value, p, q_sorted=q, n_classes=n_classes)
        measure = "ordered distance"
    return {"t": float(emd.max()) if n_classes else 0.0,
            "average_distance": float((emd * sizes).sum() / n) if n_classes else 0.0,
            "ground_distance": measure}


def _ordered_emd(pair_class: np.ndarray, pair_rank: np.ndarray, p: np.ndarray, *, q_sorted: np.ndarray,
                 n_classes: int) -> np.ndarray:
    """(1/(m-1)) sum_{i<m} |P_c(<=i) - Q(<=i)| per class, in O(pairs log m).

    Pairs must come sorted by class, then rank (as `pair_counts(sorted_pairs=True)` gives them).

    Between two consecutive values present in a class, the class's cumulative share P is constant
    while the table's cumulative Q rises monotonically, so each segment's sum of |P - Q_i| splits at
    the point where Q crosses P (a searchsorted) and uses prefix sums of Q.
    """
    m = len(q_sorted)
    cum_q = np.cumsum(q_sorted)[:-1]                 # Q at ranks 0..m-2 (the last term is always 0)
    prefix = np.concatenate([[0.0], np.cumsum(cum_q)])
    cls, rank, share = pair_class, pair_rank, p
    first = np.r_[True, cls[1:] != cls[:-1]]
    running = np.cumsum(share)
    start = np.maximum.accumulate(np.where(first, np.arange(len(cls)), 0))
    cum_p = running - (running[start] - share[start])
    # segments: [0, first rank) with P=0, then [rank_k, next rank or m-1) with P=cum_p[k]
    last = np.r_[cls[1:] != cls[:-1], True]
    seg_lo = np.concatenate([np.zeros(first.sum(), dtype=np.int64), rank])
    next_rank = np.where(last, m - 1, np.r_[rank[1:], 0])
    seg_hi = np.concatenate([rank[first], next_rank])
    seg_p = np.concatenate([np.zeros(first.sum()), cum_p])
    seg_cls = np.concatenate([cls[first], cls])
    seg_hi = np.minimum(seg_hi, m - 1)
    seg_lo = np.minimum(seg_lo, seg_hi)
    cut = np.clip(np.searchsorted(cum_q, seg_p, side="left"), seg_lo, seg_hi)
    below = seg_p * (cut - seg_lo) - (prefix[cut] - prefix[seg_lo])       # Q_i < P there
    above = (prefix[seg_hi] - prefix[cut]) - seg_p * (seg_hi - cut)       # Q_i >= P there
    total = np.bincount(seg_cls, weights=below + above, minlength=n_classes)
    return total / max(1, m - 1)


def zayatz_population_uniques(sizes: np.ndarray, population_size: int) -> dict:
    """Zayatz (1991) estimate of the share of records that are unique in the population.

    With u_i sample classes of size i, J classes, sample size n, population N and hypergeometric
    h_i = P(exactly one of a population class of size i is sampled) (ARX uses the sample class size
    i for the population class size), the probability that a sample unique is a population unique is
    P = (u_1/J) h_1 / sum_i (u_i/J) h_i, and the estimated share of records that are population
    uniques is u_1 P / n (population uniques u_1 P / (n/N)).
    """
    from scipy.stats import hypergeom

    n = int(sizes.sum())
    big_n = int(population_size)
    values, counts = np.unique(sizes, return_counts=True)
    u1 = int(counts[values == 1].sum())
    if u1 == 0 or n == 0:
        return {"population_uniques_share": 0.0, "population_uniques": 0.0,
                "sample_unique_is_population_unique": 0.0}
    j = counts.sum()
    h = hypergeom(big_n, values, n).pmf(1)
    denominator = float((counts / j * h).sum())
    prob = float((u1 / j) * hypergeom(big_n, 1, n).pmf(1) / denominator) if denominator > 0 else 1.0
    return {"population_uniques_share": u1 * prob / n,
            "population_uniques": u1 * prob / (n / big_n),
            "sample_unique_is_population_unique": prob}


ZAYATZ_ASSUMPTIONS = (
    "The table is a simple random sample of the population (sampling fraction n/N).",
    "The distribution of class sizes in the population mirrors the distribution of class sizes in "
    "the sample (Zayatz 1991; the ARX implementation).",
    "Records are independent and the quasi-identifiers are recorded the same way in the population.",
)


def inverse_size_expectation(f: np.ndarray, fraction: float, alpha: float) -> np.ndarray:
    """E[1/F | f] when F - f ~ NegBin(f - alpha, fraction) (`estimated_population_risk`).

    E[1/F] = integral_0^1 x^(f-1) E[x^M] dx with the negative binomial's generating function
    E[x^M] = (p / (1 - (1-p) x))^r; above f = 200 the second-order delta approximation
    1/E F + Var F / (E F)^3 (relative error O(1/f^2)) replaces the integral, whose mass is then at x = 1.
    """
    from scipy.integrate import quad

    p = float(fraction)
    out = np.empty(len(f), dtype=np.float64)
    for i, size in enumerate(np.asarray(f, dtype=np.float64)):
        r = size - alpha
        if size <= 200:
            out[i] = quad(lambda x: x ** (size - 1) * (p / (1 - (1 - p) * x)) ** r, 0.0, 1.0,
                          epsabs=1e-12, limit=200)[0]
        else:
            mean, var = size + r * (1 - p) / p, r * (1 - p) / p ** 2
            out[i] = 1 / mean + var / mean ** 3
    return out


def _snb_posterior(values: np.ndarray, p: float, a: float, b: float, limit: float) -> tuple:
    """P(F <= limit), E[1/F], E[F] and P(F = 1) given f under SNB (population sizes 1 + NegBin(a, b)).

    The posterior of M = F - f is proportional to (f + M) NegBin(M; f - 1 + a, 1 - d), d = (1-b)(1-p),
    so E[g(F)] = E[(f + M) g(f + M)] / E[f + M] under the plain negative binomial.
    """
    from scipy.stats import nbinom

    d = (1 - b) * (1 - p)
    r = values - 1 + a
    mean, var = r * d / (1 - d), r * d / (1 - d) ** 2
    norm = values + mean
    at_risk = np.zeros(len(values))
    for i, size in enumerate(values):
        if size <= limit:
            m = np.arange(0, int(limit - size) + 1)
            at_risk[i] = ((size + m) * nbinom.pmf(m, r[i], 1 - d)).sum() / norm[i]
    expected_f = (values ** 2 + 2 * values * mean + var + mean ** 2) / norm
    unique = values * (1 - d) ** r / norm
    return at_risk, 1.0 / norm, expected_f, unique


def _pitman_posterior(values: np.ndarray, p: float, alpha: float, limit: float) -> tuple:
    """P(F <= limit), E[1/F], E[F] and P(F = 1) given f when F - f ~ NegBin(f - alpha, p)."""
    from scipy.stats import nbinom

    r = values - alpha
    return (nbinom.cdf(limit - values, r, p), inverse_size_expectation(values, p, alpha),
            values + r * (1 - p) / p, p ** r)


def estimated_population_risk(sizes: np.ndarray, population_size: int, model: "ClassSizeModel",
                              threshold: float, log_expected: np.ndarray | None = None) -> dict:
    """Journalist (rA, rB, rC) and marketer rates from each class's population size given its sample size.

    A simple random sample with fraction p = n/N. `model` (`population.class_size_model`) is the log-linear
    model with a lognormal class effect (Skinner & Holmes 1998; `loglinear.py`; needs `log_expected`, each
    class's log-linear fitted count), Pitman's (population class sizes with weights Gamma(F - alpha) / F!;
    a class seen f times has F = f + M, M ~ NegBin(f - alpha, p), Hoshino 2001; alpha = 0 is Benedetti &
    Franconi's 1998 individual risk) or SNB's (Chen & McNulty 1998; `_snb_posterior`). Each figure is the
    expectation over that posterior: records at risk = (1/n) sum f P(1/F > threshold), success rate =
    (1/n) sum f E[1/F | f], rC1 = J / sum E[F | f]. The highest risk is 1 as soon as at least half a record
    is expected to be a population unique (sum over sample uniques of P(F = 1 | f = 1)), else the largest
    E[1/F | f].
    """
    from analysis.risk import loglinear

    f = np.asarray(sizes, dtype=np.float64)
    n = f.sum()
    p = min(1.0, n / float(population_size))
    if p >= 1.0:                                     # a census: F = f
        return {"journalist": attacker_summary(f, f, threshold), "marketer": marketer_rate(f, f),
                "expected_population_uniques_in_sample": float((f == 1).sum())}
    limit = np.ceil(1.0 / threshold - 1e-9) - 1      # 1/F > threshold  <=>  F <= limit
    if model.kind == loglinear.LOGLINEAR:
        if log_expected is None:
            raise ValueError("the log-linear class-size model needs each class's fitted count (log_expected)")
        values, log_m, counts = loglinear.grouped(f, log_expected)
        p_at_risk, inverse, expected_f, unique = loglinear.posterior(values, log_m, p, model.delta,
                                                                     model.sigma, limit)
    else:
        values, counts = np.unique(f, return_counts=True)
        if model.kind == "SNB":
            p_at_risk, inverse, expected_f, unique = _snb_posterior(values, p, model.a, model.b, limit)
        else:
            p_at_risk, inverse, expected_f, unique = _pitman_posterior(values, p, model.alpha, limit)
    weight = counts * values
    m = float((counts * unique)[values == 1].sum())
    success = float((weight * inverse).sum() / n)
    journalist = dict(records_at_risk_share=float((weight * p_at_risk).sum() / n),
                      highest_risk=1.0 if m >= 0.5 else float(inverse.max()),
                      average_risk=max(float(counts.sum() / (counts * expected_f).sum()), success))
    return {"journalist": journalist, "marketer": success, "expected_population_uniques_in_sample": m}


PROSECUTOR_ASSUMPTION = "The attacker knows the person is in this table (F = f)."
SAMPLE_IS_POPULATION = ("No population information: the table is taken as the whole population (F = f), "
                        "so journalist and marketer risk equal the prosecutor's, as in ARX.")
TABLE_CONTAINS_SAMPLE = "The population table contains the sample's records: F = the table's class count."
TABLE_WITHOUT_SAMPLE = ("The population table does not contain the sample's records: F = the table's class "
                        "count + the sample's.")
LOGLINEAR_RISK_ASSUMPTIONS = (
    "The table is a simple random sample of a population of size N (sampling fraction p = n/N).",
    "Each combination of quasi-identifier values has a Poisson population count whose log-mean is a "
    "log-linear model fitted to the sample (main effects and the two-way interactions BIC selects) plus a "
    "normal class effect whose mean and spread are fitted to the sample's class sizes (Skinner & Holmes "
    "1998); each figure is its expectation over the distribution of F given f under that model.",
)
ESTIMATED_RISK_ASSUMPTIONS = (
    "The table is a simple random sample of a population of size N (sampling fraction p = n/N).",
    "Population class sizes follow the Pitman model (Hoshino 2001; sampling fraction <= 0.1, or when SNB "
    "has no fit) or the SNB model (Chen & McNulty 1998; above 0.1), fitted to the sample's class sizes; each "
    "figure is its expectation over the distribution of F given f under that model.",
)
POPULATION_MODEL_ASSUMPTIONS = (
    "The table is a simple random sample of the population (sampling fraction n/N).",
    "Model chosen by Dankar et al. (2012): Pitman (Hoshino 2001) when n/N <= 0.1 and its fit converges, "
    "else Zayatz (1991); above 0.1 the smaller of SNB (Chen & McNulty 1998) and Zayatz.",
    "Records are independent and the quasi-identifiers are recorded the same way in the population.",
)
