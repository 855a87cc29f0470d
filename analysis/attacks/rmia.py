"""RMIA, the Robust Membership Inference Attack (Zarifzadeh et al. 2024, "Low-Cost High-Power
Membership Inference Attacks").

For a record x: ratio(x) = p(x | target) / p(x), with p(. | model) the probability of the true label
and p(x) its average over reference models. The score is the share of population records z that x
dominates: #{z : ratio(x) / ratio(z) > gamma} / |Z|. Because that share is monotone in ratio(x), ties
(frequent for strongly exposed records) are broken by ratio(x) itself, without changing any ordering.

- online: p(x) = mean over all reference models (IN and OUT);
- offline: p(x) = ((1 + a) * mean over OUT models + (1 - a)) / 2, the paper's linear correction for
  never seeing IN models (a = `offline_a`, default 0.3).

Population records Z: the extra population when given (the pool after the audited records), otherwise
the audited records themselves (membership unknown to the attacker); at most `max_population` of them,
sampled with the seed.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from analysis.attacks.reference import ReferenceOutputs
from analysis.attacks.scores import AttackScores, AuditData, ModelOutputs

DEFAULT_GAMMA = 1.0
DEFAULT_OFFLINE_A = 0.3
MAX_POPULATION = 2000


def _log_mean_prob(log_p: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """log of the mean probability over models (rows), optionally only where `mask` holds."""
    if mask is None:
        return logsumexp(log_p, axis=0) - np.log(log_p.shape[0])
    count = mask.sum(axis=0)
    masked = np.where(mask, log_p, -np.inf)
    out = logsumexp(masked, axis=0) - np.log(np.maximum(count, 1))
    fallback = logsumexp(log_p, axis=0) - np.log(log_p.shape[0])
    return np.where(count > 0, out, fallback)


def _log_marginal(log_p_ref: np.ndarray, in_mask: np.ndarray, variant: str, a: float) -> np.ndarray:
    if variant == "online":
        return _log_mean_prob(log_p_ref, None)
    out_mean = np.exp(_log_mean_prob(log_p_ref, ~in_mask))
    return np.log(np.clip(((1 + a) * out_mean + (1 - a)) / 2, 1e-300, None))


def rmia_attacks(target: ModelOutputs, data: AuditData, reference: ReferenceOutputs,
                 target_pool_log_p: np.ndarray, *, variants: tuple[str, ...] = ("offline", "online"),
                 gamma: float = DEFAULT_GAMMA, offline_a: float = DEFAULT_OFFLINE_A,
                 max_population: int = MAX_POPULATION, seed: int = 0) -> list[AttackScores]:
    """RMIA scores for the audited records (the first `data.n` of the pool).

    `target_pool_log_p`: the target's log p_y on every pool record, shape (n_pool,).
    """
    if gamma <= 0:
        raise ValueError(f"gamma must be > 0, got {gamma!r}")
    if not 0 <= offline_a <= 1:
        raise ValueError(f"offline_a must be in [0, 1], got {offline_a!r}")
    n, n_pool = data.n, reference.log_p.shape[1]
    z_candidates = np.arange(n, n_pool) if n_pool > n else np.arange(n)
    rng = np.random.default_rng([seed, 104729])
    if len(z_candidates) > max_population:
        z_candidates = np.sort(rng.choice(z_candidates, size=max_population, replace=False))
    results = []
    for variant in variants:
        if variant not in ("offline", "online"):
            raise ValueError(f"unknown RMIA variant {variant!r}; choose offline or online")
        log_marg = _log_marginal(reference.log_p, reference.in_mask, variant, offline_a)
        log_ratio_x = target.log_p - log_marg[:n]
        log_ratio_z = np.sort(target_pool_log_p[z_candidates] - log_marg[z_candidates])
        # ratio(x) / ratio(z) > gamma  <=>  log_ratio_z < log_ratio_x - log(gamma)
        dominated = np.searchsorted(log_ratio_z, log_ratio_x - np.log(gamma), side="left")
        tie_break = 0.5 + 0.5 * np.tanh(log_ratio_x / 10.0)  # in (0, 1), increasing in ratio(x)
        scores = (dominated + 0.999 * tie_break) / len(z_candidates)
        results.append(AttackScores(
            name=f"rmia_{variant}", scores=scores, is_member=data.is_member,
            description=f"RMIA {variant}: share of population records whose likelihood ratio x dominates",
            settings={"reference_models": reference.n_models, "gamma": gamma, "population_size": len(z_candidates),
                      **({"offline_a": offline_a} if variant == "offline" else {})}))
    return results
