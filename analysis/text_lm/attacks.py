"""Membership inference on documents against a causal LM (the MIMIR family of scores).

Each score is higher for documents the attacker calls members:
- loss: minus the mean token negative log-likelihood (Yeom et al.);
- zlib: minus the mean NLL divided by the text's zlib-compressed length in bytes (Carlini et al. 2021);
- min_k: the mean of the lowest k% token log-probabilities (Shi et al. 2024, k = 20%);
- min_k_plus_plus: the same on (log p - mu) / sigma, mu and sigma the mean and standard deviation of
  log p(v) under the model's own next-token distribution (Zhang et al. 2024);
- reference: the target's mean log-likelihood minus a reference model's (Carlini et al. 2021), when a
  reference model is given (the base model before fine-tuning, or one trained on population text).
Metrics (AUC, TPR at 0.1% / 1% FPR with Clopper-Pearson intervals) come from `membership_metrics`.
"""

from __future__ import annotations

import zlib
from typing import Optional, Sequence

import numpy as np

from analysis.attacks.metrics import AttackResult, membership_metrics

MIN_K = 0.2


def mean_logp(stats: dict, counts: np.ndarray) -> np.ndarray:
    return stats["logp"].sum(axis=1) / np.maximum(counts, 1)


def lowest_k_mean(values: np.ndarray, counts: np.ndarray, k: float = MIN_K) -> np.ndarray:
    """Mean of the lowest ceil(k * count) of each row's first `count` values."""
    out = np.zeros(len(values))
    for i, (row, n) in enumerate(zip(values, counts)):
        n = int(n)
        if n == 0:
            continue
        m = max(1, int(np.ceil(k * n)))
        out[i] = float(np.sort(row[:n])[:m].mean())
    return out


def document_scores(texts: Sequence[str], stats: dict, counts: np.ndarray,
                    reference: Optional[tuple[dict, np.ndarray]] = None) -> dict[str, np.ndarray]:
    """Attack name -> one score per text."""
    mean = mean_logp(stats, counts)
    zlib_bytes = np.array([len(zlib.compress(str(t).encode("utf-8"))) for t in texts], dtype=float)
    z = (stats["logp"] - stats["mu"]) / np.maximum(stats["sigma"], 1e-6)
    scores = {"loss": mean, "zlib": mean / zlib_bytes,
              "min_k": lowest_k_mean(stats["logp"], counts), "min_k_plus_plus": lowest_k_mean(z, counts)}
    if reference is not None:
        ref_stats, ref_counts = reference
        scores["reference"] = mean - mean_logp(ref_stats, ref_counts)
    return scores


DESCRIPTIONS = {
    "loss": "mean token log-likelihood (low loss = member)",
    "zlib": "mean log-likelihood over the text's zlib-compressed size",
    "min_k": "mean of the 20% least likely tokens' log-probabilities (Min-K%)",
    "min_k_plus_plus": "Min-K% on log-probabilities standardised by the model's own next-token distribution (Min-K%++)",
    "reference": "log-likelihood under the target minus under the reference model",
}


def membership_attacks(scores_members: dict[str, np.ndarray], scores_non: dict[str, np.ndarray]) -> list[AttackResult]:
    out = []
    for name, member_scores in scores_members.items():
        values = np.concatenate([member_scores, scores_non[name]])
        truth = np.concatenate([np.ones(len(member_scores), bool), np.zeros(len(scores_non[name]), bool)])
        out.append(membership_metrics(np.nan_to_num(values, nan=-1e9), truth, name=name,
                                      description=DESCRIPTIONS[name]))
    return out
