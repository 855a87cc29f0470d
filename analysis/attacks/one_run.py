"""An epsilon lower bound from one training run (Steinke, Nasr & Jagielski 2023, "Privacy Auditing with
One (1) Training Run", NeurIPS; Theorem 3.1 and their Algorithm for the p-value).

Sound only when the audited records' membership was decided by independent fair coin flips (the
"canaries"; `analysis.models.recipes.draw_members` does this for a model trained here). The auditor
ranks the m canaries by an attack's score and guesses "member" on the k+ highest, "non-member" on the
k- lowest, and abstains on the rest (r = k+ + k- guesses, v correct). If the training algorithm is
(eps, delta)-DP, then

    P[v or more correct] <= P[Binomial(r, q) >= v] + 2 m delta max_{i=1..v} P[v - i <= Binomial(r, q) < v] / i,
    q = e^eps / (1 + e^eps),

and the bound is the largest eps whose p-value is below 1 - confidence. The guess counts are chosen
on the data from a fixed grid, so the confidence is Bonferroni-corrected over the grid, and over
`tests` further choices (the audit passes the number of attacks, so the largest bound over all
attacks holds at the stated confidence too).

Ties in the scores are broken at random (seeded), never by the records' order: members come first in
the audited table, so a stable sort would leak the truth into the guesses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from analysis.results import Result

CONFIDENCE = 0.95
DEFAULT_DELTA = 1e-5
# k+ as a share of the canaries; each with k- = 0 (member guesses only) and k- = k+.
GUESS_SHARES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
DECLARED_SPLIT = ("no ε bound: membership was declared, not drawn by independent coin flips. Members "
                  "and non-members from different sources or periods differ in distribution, and that "
                  "shift alone lets a threshold attack 'succeed', so a bound would measure the shift, "
                  "not the model.")


@dataclass(frozen=True)
class OneRunBound(Result):
    """The one-run epsilon lower bound of one attack (None with a `reason` when none applies)."""

    epsilon: Optional[float]
    delta: float
    confidence: float
    canaries: int                # m: records whose membership a fair coin decided
    guesses_member: int          # k+
    guesses_non_member: int      # k-
    correct: int                 # v
    choices: int                 # guess-count choices x tests the confidence is corrected for
    reason: str = ""


def p_value(m: int, r: int, v: int, epsilon: float, delta: float) -> float:
    """P[at least v of r guesses correct] under (epsilon, delta)-DP with m canaries (Steinke et al.)."""
    from scipy import stats

    if v <= 0:
        return 1.0
    q = 1.0 / (1.0 + math.exp(-epsilon))
    beta = float(stats.binom.sf(v - 1, r, q))
    if delta == 0:
        return min(beta, 1.0)
    # P[v - i <= B < v] for i = 1..v, by cumulative sums of the pmf from v - 1 downwards.
    pmf = stats.binom.pmf(np.arange(v - 1, -1, -1), r, q)
    alpha = float(np.max(np.cumsum(pmf) / np.arange(1, v + 1)))
    return min(beta + alpha * delta * 2 * m, 1.0)


def epsilon_from_guesses(m: int, r: int, v: int, *, delta: float, significance: float) -> float:
    """Largest epsilon whose p-value for v correct of r guesses is below `significance` (0 if none)."""
    if r == 0 or p_value(m, r, v, 0.0, delta) >= significance:
        return 0.0
    low, high = 0.0, 1.0
    while p_value(m, r, v, high, delta) < significance:
        low, high = high, high * 2
        if high > 1e3:
            return low
    for _ in range(40):
        mid = (low + high) / 2
        if p_value(m, r, v, mid, delta) < significance:
            low = mid
        else:
            high = mid
    return low


def guess_grid(m: int, shares: Sequence[float] = GUESS_SHARES) -> list[tuple[int, int]]:
    """(k+, k-) pairs tried, fixed before looking at the scores."""
    grid: list[tuple[int, int]] = []
    for share in shares:
        k = max(1, int(round(share * m)))
        for pair in ((k, 0), (k, k)):
            if sum(pair) <= m and pair not in grid:
                grid.append(pair)
    return grid


def one_run_bound(scores: np.ndarray, is_member: np.ndarray, fair_coin: Optional[np.ndarray], *,
                  delta: float = DEFAULT_DELTA, confidence: float = CONFIDENCE, tests: int = 1,
                  seed: int = 0) -> OneRunBound:
    """The bound for one attack's scores (higher = member). `fair_coin=None`: the split was declared."""
    if fair_coin is None:
        return OneRunBound(None, float(delta), confidence, 0, 0, 0, 0, 0, DECLARED_SPLIT)
    canary = np.asarray(fair_coin, dtype=bool)
    scores = np.asarray(scores, dtype=float)[canary]
    truth = np.asarray(is_member, dtype=bool)[canary]
    m = int(canary.sum())
    grid = guess_grid(m)
    if m < 2 or not grid:
        return OneRunBound(None, float(delta), confidence, m, 0, 0, 0, 0,
                           "no ε bound: fewer than 2 records had their membership decided by a fair coin")
    order = np.random.default_rng([seed, 1_2023]).permutation(m)   # random tie-breaking
    ranked = truth[order][np.argsort(-scores[order], kind="stable")]  # most member-like first
    top_members = np.concatenate([[0], np.cumsum(ranked)])
    bottom_non = np.concatenate([[0], np.cumsum(~ranked[::-1])])
    choices = len(grid) * max(1, int(tests))
    significance = (1.0 - confidence) / choices
    best: Optional[tuple[float, int, int, int]] = None
    for k_plus, k_minus in grid:
        v = int(top_members[k_plus] + bottom_non[k_minus])
        eps = epsilon_from_guesses(m, k_plus + k_minus, v, delta=delta, significance=significance)
        if best is None or eps > best[0]:
            best = (eps, k_plus, k_minus, v)
    eps, k_plus, k_minus, v = best
    return OneRunBound(float(eps), float(delta), confidence, m, k_plus, k_minus, v, choices)
