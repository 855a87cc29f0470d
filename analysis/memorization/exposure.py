"""Exposure (Carlini et al., "The Secret Sharer", 2019): how far up the candidate ranking a secret sits.

Every candidate secret r in R gets a score, its log-perplexity under the model (bits; lower = the
model finds it more likely). The rank of the true secret is the number of candidates scoring at most
as low as it does, itself included: rank = |{r' in R : score(r') <= score(secret)}|. Ties count ahead
of the secret, as in the Secret Sharer and tf-privacy's `compute_exposure_interpolation`: a model that
scores every candidate alike has learned nothing and gets exposure 0, not the maximum. Then

    exposure = log2 |R| - log2 rank        (0 .. log2 |R| bits).

A random rank has expected exposure about log2(e) = 1.44 bits. When |R| is too large to score every
candidate, the rank is estimated from a sample: fit a skew-normal distribution to the sampled
candidates' log-perplexities and read the true secret's rank off its CDF,
rank ~= |R| * P(score <= score(secret)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EXACT = "exact"
SKEW_NORMAL = "skew-normal"


@dataclass(frozen=True)
class RankEstimate:
    rank: float          # 1 .. |R| (fractional for the skew-normal estimate)
    exposure: float      # bits
    method: str          # "exact" | "skew-normal"


def exposure_from_rank(rank: float, space_size: int) -> float:
    """log2 |R| - log2 rank, clipped to [0, log2 |R|]."""
    if space_size < 1:
        raise ValueError(f"space_size must be positive, got {space_size!r}")
    rank = min(max(float(rank), 1.0), float(space_size))
    return math.log2(space_size) - math.log2(rank)


def exact_rank(candidate_scores: np.ndarray, secret_score: float) -> int:
    """The number of candidates with a log-perplexity <= the secret's (ties count ahead of the secret).

    `candidate_scores` covers all of R, the secret included, so the rank is at least 1.
    """
    scores = np.asarray(candidate_scores, dtype=float)
    return max(1, int(np.count_nonzero(scores <= float(secret_score))))


def exact_exposure(candidate_scores: np.ndarray, secret_score: float) -> RankEstimate:
    """Exposure from scores of every candidate in R."""
    rank = exact_rank(candidate_scores, secret_score)
    return RankEstimate(rank=float(rank), exposure=exposure_from_rank(rank, len(candidate_scores)),
                        method=EXACT)


def skew_normal_exposure(sample_scores: np.ndarray, secret_score: float, space_size: int) -> RankEstimate:
    """Exposure estimated from a uniform sample of candidates' scores with a skew-normal fit.

    `sample_scores` should be at least a few hundred values drawn uniformly from R.
    """
    from scipy import stats

    scores = np.asarray(sample_scores, dtype=float)
    scores = scores[np.isfinite(scores)]
    if len(scores) < 20:
        raise ValueError("need at least 20 sampled candidate scores for the skew-normal fit, "
                         f"got {len(scores)}")
    if np.ptp(scores) == 0:
        fraction = float(secret_score >= scores[0])  # ties count ahead of the secret
    else:
        shape, loc, scale = stats.skewnorm.fit(scores)
        fraction = float(stats.skewnorm.cdf(float(secret_score), shape, loc=loc, scale=scale))
    rank = min(max(fraction * space_size, 1.0), float(space_size))
    return RankEstimate(rank=rank, exposure=exposure_from_rank(rank, space_size), method=SKEW_NORMAL)


def random_rank_exposure(space_size: int) -> float:
    """Expected exposure when the rank is uniform on 1..|R| (log2 |R| - mean log2 rank ~ 1.44 bits)."""
    n = int(space_size)
    if n <= 10**6:
        mean_log_rank = float(np.mean(np.log2(np.arange(1, n + 1))))
    else:  # Stirling: mean log2 k over 1..n = log2(n!)/n
        mean_log_rank = (math.lgamma(n + 1) / math.log(2)) / n
    return math.log2(n) - mean_log_rank
