"""Membership-inference metrics, reported the way the literature does.

Input: one score per audited record (higher = more likely a member) and the ground truth. Output: an
`AttackResult` with the ROC (downsampled for log-log plotting, low-FPR region kept), AUC, membership
advantage (max TPR - FPR), TPR at fixed low FPRs with Clopper-Pearson intervals, and warnings when the
sample cannot resolve a requested FPR. The epsilon lower bound is not computed here: it is sound only
when membership was drawn by independent coin flips, which only the audit knows
(`analysis.attacks.one_run`, filled in by `audit.run_audit`); here it is None.

The ROC comes from `sklearn.metrics.roc_curve` (so it agrees with scikit-learn by construction); TPR
at FPR `f` is the best TPR among ROC points whose FPR is at most `f`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np
from scipy import stats

from analysis.results import Result

DEFAULT_FPRS = (0.001, 0.01)
CONFIDENCE = 0.95
_ROC_POINTS = 400


@dataclass(frozen=True)
class AttackResult(Result):
    """Metrics of one membership-inference attack on one target model.

    `tpr_at_fpr` / `tpr_ci` are keyed by the FPR as a string ("0.001", "0.01"). `epsilon_lower_bound`
    is the one-run bound (Steinke et al. 2023) in nats at `delta`, at 95% confidence corrected for the
    guess counts and attacks tried; None when it does not apply, with the reason in
    `epsilon_audit.reason` (e.g. a declared member split). `epsilon_audit` holds the guesses behind it.
    """

    name: str
    auc: float
    advantage: float
    tpr_at_fpr: dict[str, float]
    tpr_ci: dict[str, tuple[float, float]]
    achieved_fpr: dict[str, float]
    epsilon_lower_bound: Optional[float]
    delta: float
    n_members: int
    n_non_members: int
    roc_fpr: list[float] = field(repr=False)
    roc_tpr: list[float] = field(repr=False)
    warnings: list[str] = field(default_factory=list)
    description: str = ""
    settings: dict = field(default_factory=dict)
    epsilon_audit: Optional[Any] = None   # analysis.attacks.one_run.OneRunBound


def _fpr_key(fpr: float) -> str:
    return f"{fpr:g}"


def clopper_pearson(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact two-sided binomial interval for successes/trials."""
    if trials <= 0:
        return (0.0, 1.0)
    alpha = 1.0 - confidence
    lo = 0.0 if successes <= 0 else float(stats.beta.ppf(alpha / 2, successes, trials - successes + 1))
    hi = 1.0 if successes >= trials else float(stats.beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    return (lo, hi)


def downsample_roc(fpr: np.ndarray, tpr: np.ndarray, points: int = _ROC_POINTS) -> tuple[list[float], list[float]]:
    """At most about `points` ROC points: every point at FPR <= 1%, then a log-spaced FPR grid.

    Each kept grid point is the last ROC point at or below the grid FPR (the step function's value),
    so the low-FPR region, which log-log plots stretch, keeps its resolution.
    """
    fpr = np.asarray(fpr, dtype=float)
    tpr = np.asarray(tpr, dtype=float)
    if len(fpr) <= points:
        return fpr.tolist(), tpr.tolist()
    low = np.flatnonzero(fpr <= 0.01)
    if len(low) > points // 2:
        low = low[np.unique(np.linspace(0, len(low) - 1, points // 2).round().astype(int))]
    grid = np.unique(np.concatenate([np.logspace(-2, 0, points // 2), np.linspace(0.01, 1, 50)]))
    idx = np.searchsorted(fpr, grid, side="right") - 1
    keep = np.unique(np.concatenate([low, idx[idx >= 0], [0, len(fpr) - 1]]))
    return fpr[keep].tolist(), tpr[keep].tolist()


def membership_metrics(scores: np.ndarray, is_member: np.ndarray, *, name: str,
                       fprs: Sequence[float] = DEFAULT_FPRS, delta: float = 0.0, description: str = "",
                       settings: Optional[dict] = None) -> AttackResult:
    """Metrics of per-record membership scores (higher = more likely member) against the truth.

    `delta` is only recorded (the delta an epsilon bound would be stated at); no bound is computed here.

    `scores` and `is_member` have shape (n_records,); both classes must be present.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    scores = np.asarray(scores, dtype=float).ravel()
    truth = np.asarray(is_member).astype(bool).ravel()
    if scores.shape != truth.shape:
        raise ValueError(f"scores has {scores.size} values but is_member has {truth.size}")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"scores for attack {name!r} contain {int((~np.isfinite(scores)).sum())} "
                         "non-finite values")
    n_members, n_non = int(truth.sum()), int((~truth).sum())
    if n_members == 0 or n_non == 0:
        raise ValueError(f"need both members and non-members, got {n_members} members and "
                         f"{n_non} non-members")
    for f in fprs:
        if not 0 < f < 1:
            raise ValueError(f"fprs must lie in (0, 1), got {f!r}")

    fpr, tpr, _ = roc_curve(truth, scores, drop_intermediate=False)
    auc = float(roc_auc_score(truth, scores))
    tp = np.rint(tpr * n_members).astype(int)
    warnings: list[str] = []
    tpr_at, ci_at, achieved = {}, {}, {}
    for f in fprs:
        key = _fpr_key(f)
        ok = np.flatnonzero(fpr <= f + 1e-12)
        best = ok[np.argmax(tpr[ok])]
        tpr_at[key] = float(tpr[best])
        achieved[key] = float(fpr[best])
        ci_at[key] = clopper_pearson(int(tp[best]), n_members)
        expected_fp = f * n_non
        if expected_fp < 1:
            warnings.append(f"Only {n_non} non-members: FPR {f:g} cannot be resolved (it needs at least "
                            f"{math.ceil(1 / f)}); the TPR shown is at zero false positives.")
        elif expected_fp < 10:
            warnings.append(f"FPR {f:g} rests on {int(expected_fp)} false positive(s) among {n_non} "
                            f"non-members; treat TPR at {f:g} as rough.")
    roc_fpr, roc_tpr = downsample_roc(fpr, tpr)
    return AttackResult(
        name=name, auc=auc, advantage=float(np.max(tpr - fpr)), tpr_at_fpr=tpr_at, tpr_ci=ci_at,
        achieved_fpr=achieved, epsilon_lower_bound=None, delta=float(delta), n_members=n_members, n_non_members=n_non, roc_fpr=roc_fpr, roc_tpr=roc_tpr,
        warnings=warnings, description=description, settings=dict(settings or {}))


STRONGEST_AT_FPR = "0.001"


def strongest(attacks: Sequence[AttackResult], *, fpr_key: str = STRONGEST_AT_FPR) -> Optional[AttackResult]:
    """The attack that recognises the most members at the given FPR (ties: higher AUC), or None.

    The one definition of "strongest attack" used by the audit, the trade-off, federated runs, figures
    and the report: TPR at 0.1% FPR, as the literature reports it, not AUC. Wherever "strongest" is
    shown, the label names this metric.
    """
    if not attacks:
        return None
    return max(attacks, key=lambda a: (a.tpr_at_fpr.get(fpr_key, 0.0), a.auc))


def attributed_warnings(sources, *, every: str) -> list[str]:
    """Each warning of (name, warnings) pairs once, prefixed with the names it concerns, or with `every`
    ("Every run") when all of them share it: a reader sees which run an unresolvable FPR belongs to."""
    where: dict[str, list[str]] = {}
    names_seen: list[str] = []
    for name, warnings in sources:
        names_seen.append(name)
        for w in warnings:
            names = where.setdefault(w, [])
            if name not in names:
                names.append(name)
    everyone = set(names_seen)
    return [f"{every if set(names) == everyone and len(everyone) > 1 else ', '.join(names)}: {w}"
            for w, names in where.items()]
