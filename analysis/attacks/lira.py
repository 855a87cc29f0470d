"""LiRA, the Likelihood Ratio Attack (Carlini et al. 2022, "Membership Inference Attacks From First
Principles"), offline and online.

For a record (x, y) the statistic is the logit-scaled confidence phi = log(p_y / (1 - p_y)) of the
model on its true label. Reference models trained with (IN) and without (OUT) the record give two
Gaussians over phi:

- online:  score = log N(phi_target; mu_in(x), s_in^2) - log N(phi_target; mu_out(x), s_out^2)
- offline: score = (phi_target - mu_out(x)) / s_out  (a one-sided test against the OUT Gaussian;
  monotone in the likelihood of being an outlier of the OUT distribution)

mu_in(x) and mu_out(x) are per-record means over the IN and OUT reference models. With fewer than
`PER_RECORD_VARIANCE_MIN` models per side, the variances are global (pooled over records), as the
paper recommends for small numbers of reference models; above it they are per record. The choice is
made per side and reported per side (`variance_in`, `variance_out`).

phi is clipped at the model's resolution (`scores.probability_resolution`): p in [c, 1 - c] with
c = 1/(2 x trees) for a forest, otherwise half the smallest non-zero min(p, 1 - p) the target and
reference models produce. An exact p = 1 then sits one step beyond the largest value the model can
express rather than at logit 27.6 (the 1e-12 clip of `scores.TINY`), which otherwise dominates the
Gaussian fits of any record a model has memorized.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.attacks.reference import ReferenceOutputs
from analysis.attacks.scores import TINY, AttackScores, AuditData, ModelOutputs

PER_RECORD_VARIANCE_MIN = 32
PER_RECORD, GLOBAL = "per record", "global"
_MIN_SD = 1e-3


def _masked_stats(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column mean, sd and count of `values` (n_models, n) where `mask` holds."""
    count = mask.sum(axis=0)
    total = np.where(mask, values, 0.0).sum(axis=0)
    mean = np.divide(total, count, out=np.full(values.shape[1], np.nan), where=count > 0)
    centred = np.where(mask, values - mean, 0.0)
    var = np.divide((centred ** 2).sum(axis=0), np.maximum(count - 1, 1), out=np.zeros(values.shape[1]),
                    where=count > 1)
    return mean, np.sqrt(var), count


def _pooled_sd(values: np.ndarray, mask: np.ndarray, mean: np.ndarray) -> float:
    resid = np.where(mask, values - mean, np.nan)
    sd = float(np.nanstd(resid)) if np.any(mask) else 0.0
    return max(sd, _MIN_SD)


def _side(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Per-record means and sds of one side (IN or OUT), and which variance was used."""
    mean, sd, count = _masked_stats(values, mask)
    fallback = np.nanmean(mean) if np.any(np.isfinite(mean)) else 0.0
    mean = np.where(np.isfinite(mean), mean, fallback)
    if count.min() >= PER_RECORD_VARIANCE_MIN:
        return mean, np.maximum(sd, _MIN_SD), PER_RECORD
    return mean, np.full_like(mean, _pooled_sd(values, mask, mean)), GLOBAL


def lira_attacks(target: ModelOutputs, data: AuditData, reference: ReferenceOutputs, *,
                 variants: tuple[str, ...] = ("offline", "online"),
                 resolution: tuple[float, str] = (TINY, "1e-12")) -> list[AttackScores]:
    """LiRA scores for the audited records, which are the first `data.n` records of the pool.

    `resolution`: (c, how it was found), from `scores.probability_resolution`; p is clipped to [c, 1 - c].
    """
    n = data.n
    clip, clip_rule = resolution
    bound = math.log((1 - clip) / clip)  # clipping p to [c, 1 - c] is clipping phi to [-bound, bound]
    phi_ref = np.clip(reference.logit[:, :n], -bound, bound)
    in_mask = reference.in_mask[:, :n]
    phi = np.clip(target.logit, -bound, bound)
    mu_out, sd_out, var_out = _side(phi_ref, ~in_mask)
    results = []
    for variant in variants:
        # The variance is chosen per side from that side's smallest model count, so say it per side.
        settings = {"reference_models": reference.n_models, "variance_out": var_out,
                    "probability_clip": clip, "probability_clip_rule": clip_rule}
        if variant == "offline":
            scores = (phi - mu_out) / sd_out
            desc = "LiRA offline: one-sided Gaussian test against reference models trained without the record"
            settings["variance"] = var_out
        elif variant == "online":
            mu_in, sd_in, var_in = _side(phi_ref, in_mask)
            scores = _log_normal_pdf(phi, mu_in, sd_in) - _log_normal_pdf(phi, mu_out, sd_out)
            desc = "LiRA online: Gaussian likelihood ratio of reference models with vs without the record"
            settings["variance_in"] = var_in
            settings["variance"] = var_in if var_in == var_out else f"IN {var_in}, OUT {var_out}"
        else:
            raise ValueError(f"unknown LiRA variant {variant!r}; choose offline or online")
        results.append(AttackScores(name=f"lira_{variant}", scores=scores, is_member=data.is_member,
                                    description=desc, settings=settings))
    return results


def _log_normal_pdf(x: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    return -0.5 * ((x - mean) / sd) ** 2 - np.log(sd)
