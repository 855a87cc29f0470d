"""The one per-record score interface every attack speaks, and the model outputs attacks read.

An attack turns a target model plus the audited records into `AttackScores`: one float per record,
higher meaning "more likely a member". `analysis.attacks.metrics.membership_metrics` turns any
`AttackScores` into an `AttackResult`, so every attack shares the metrics and the charts.

Model outputs are read as the log-probability of the true class, `log p_y`, and of the rest,
`log (1 - p_y)` (computed as the log of the sum of the other classes, so it keeps precision when
`p_y` rounds to 1). The LiRA "logit scaling" is `phi = log p_y - log(1 - p_y)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analysis.models.base import FittedModel, label_indices

# Probabilities are clipped to [TINY, 1] before taking logs (a tree's exact 0/1 outputs stay finite).
# Attacks that read the logit (LiRA) clip again at the model's resolution (`probability_resolution`).
TINY = 1e-12
# The stated smoothing when nothing else tells the resolution (every output is exactly 0 or 1).
FALLBACK_RESOLUTION = 1e-3
_FORESTS = ("RandomForestClassifier", "ExtraTreesClassifier")


@dataclass(frozen=True)
class AttackScores:
    """Per-record membership scores of one attack, aligned with the audited records.

    `scores` has shape (n_records,), higher = more likely member. `is_member` is the ground truth
    used only for evaluation (attacks never read it).
    """

    name: str
    scores: np.ndarray = field(repr=False)
    is_member: np.ndarray = field(repr=False)
    description: str = ""
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if np.shape(self.scores) != np.shape(self.is_member):
            raise ValueError(f"{self.name}: {np.size(self.scores)} scores for "
                             f"{np.size(self.is_member)} records")

    def metrics(self, **kwargs):
        from analysis.attacks.metrics import membership_metrics

        return membership_metrics(self.scores, self.is_member, name=self.name,
                                  description=self.description, settings=self.settings, **kwargs)


@dataclass(frozen=True)
class ModelOutputs:
    """What one model says about a set of records, shape (n_records,) each, natural logs."""

    log_p: np.ndarray          # log p(true class)
    log_not_p: np.ndarray      # log (1 - p(true class))
    log_p_max: np.ndarray      # log of the largest class probability (confidence)
    correct: np.ndarray        # bool: argmax equals the true class

    @property
    def logit(self) -> np.ndarray:
        """The LiRA-scaled confidence phi = log(p_y / (1 - p_y))."""
        return self.log_p - self.log_not_p

    @property
    def loss(self) -> np.ndarray:
        """Cross-entropy loss per record."""
        return -self.log_p


def model_outputs(model: FittedModel, features: pd.DataFrame, labels: np.ndarray,
                  *, batch_size: int = 50_000) -> ModelOutputs:
    """Run `model.predict_proba` once over `features` and derive the per-record quantities.

    Raises ValueError when a label is unknown to the model or the output shape is wrong.
    """
    labels = np.asarray(labels)
    try:
        index = label_indices(model, labels)
    except ValueError:
        # A model trained on text labels (e.g. Keras wrappers) against numeric values, or vice versa.
        classes = np.asarray(model.classes_)
        if classes.dtype.kind not in "OUT":
            raise
        index = label_indices(model, labels.astype(str))
    parts = []
    for start in range(0, len(features), batch_size):
        parts.append(np.asarray(model.predict_proba(features.iloc[start:start + batch_size]), dtype=float))
    proba = np.concatenate(parts) if parts else np.zeros((0, len(model.classes_)))
    if proba.ndim != 2 or proba.shape[0] != len(features) or proba.shape[1] != len(model.classes_):
        raise ValueError(f"predict_proba returned shape {proba.shape}; expected "
                         f"({len(features)}, {len(model.classes_)})")
    return outputs_from_proba(proba, index)


def outputs_from_proba(proba: np.ndarray, index: np.ndarray) -> ModelOutputs:
    """`ModelOutputs` from a probability matrix and the column index of each true class."""
    proba = np.clip(np.asarray(proba, dtype=float), 0.0, 1.0)
    rows = np.arange(len(index))
    p_true = proba[rows, index]
    # Sum of the other columns directly (not 1 - p_true) keeps precision near p_true = 1.
    mask = np.ones_like(proba, dtype=bool)
    mask[rows, index] = False
    others = np.where(mask, proba, 0.0).sum(axis=1)
    return ModelOutputs(
        log_p=np.log(np.clip(p_true, TINY, 1.0)),
        log_not_p=np.log(np.clip(others, TINY, 1.0)),
        log_p_max=np.log(np.clip(proba.max(axis=1), TINY, 1.0)),
        correct=proba.argmax(axis=1) == index,
    )


@dataclass(frozen=True)
class AuditData:
    """The audited records: members first, then non-members, with labels and ground truth."""

    features: pd.DataFrame = field(repr=False)
    labels: np.ndarray = field(repr=False)
    is_member: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        return len(self.labels)


def audit_data(members: pd.DataFrame, non_members: pd.DataFrame, label: str) -> AuditData:
    """Stack members and non-members into one frame (features without the label column)."""
    for name, frame in (("members", members), ("non_members", non_members)):
        if label not in frame.columns:
            raise ValueError(f"label column {label!r} is not in {name} (columns: {list(frame.columns)})")
        if len(frame) == 0:
            raise ValueError(f"{name} has no rows")
        missing = int(frame[label].isna().sum())
        if missing:
            raise ValueError(f"{name} has {missing} row(s) with a missing {label!r}; drop them before the audit")
    if list(members.columns) != list(non_members.columns):
        raise ValueError("members and non_members must have the same columns in the same order")
    both = pd.concat([members, non_members], ignore_index=True)
    truth = np.concatenate([np.ones(len(members), bool), np.zeros(len(non_members), bool)])
    return AuditData(features=both.drop(columns=[label]), labels=both[label].to_numpy(), is_member=truth)


def forest_size(model) -> Optional[int]:
    """Number of trees when `model` (or the last step of its pipeline / wrapper) is a random or
    extra-trees forest of at least two trees, else None."""
    declared = getattr(model, "forest_trees", None)  # a model in the model worker says it (models/remote.py)
    if declared is not None:
        return int(declared)
    estimator = model
    for _ in range(4):  # unwrap Pipeline and the loaded-model wrappers
        if hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        elif hasattr(estimator, "estimator") and not hasattr(estimator, "estimators_"):
            estimator = estimator.estimator
        else:
            break
    trees = getattr(estimator, "estimators_", None)
    if type(estimator).__name__ in _FORESTS and trees is not None and len(trees) >= 2:
        return len(trees)
    return None


def probability_resolution(model, outputs: Sequence[ModelOutputs | tuple[np.ndarray, np.ndarray]]) -> tuple[float, str]:
    """The smallest probability distance from 0 or 1 that the model family can express, halved, and how
    it was found.

    A forest of T fully grown trees outputs multiples of 1/T: its resolution is 1/(2T). Otherwise it is
    half the smallest non-zero min(p, 1 - p) among the given outputs (target and reference models);
    when every output is exactly 0 or 1, the stated `FALLBACK_RESOLUTION`. Clipping p to
    [resolution, 1 - resolution] keeps an exact 0/1 output one step beyond the nearest value the
    model can produce, instead of at logit +-27.6 (the 1e-12 clip), which swamps LiRA's Gaussians.
    `outputs`: `ModelOutputs` or (log_p, log_not_p) pairs of any shape.
    """
    trees = forest_size(model)
    if trees is not None:
        return 1.0 / (2 * trees), f"1/(2 x {trees} trees)"
    saturated = math.log(TINY) * (1 - 1e-9)
    smallest = math.inf
    for item in outputs:
        log_p, log_not_p = (item.log_p, item.log_not_p) if isinstance(item, ModelOutputs) else item
        nearest = np.minimum(np.asarray(log_p, dtype=float), np.asarray(log_not_p, dtype=float))
        expressed = nearest[np.isfinite(nearest) & (nearest > saturated)]
        if expressed.size:
            smallest = min(smallest, float(np.exp(expressed.min())))
    if not math.isfinite(smallest):
        return FALLBACK_RESOLUTION, f"stated smoothing {FALLBACK_RESOLUTION:g} (every output is 0 or 1)"
    return max(smallest / 2, TINY), "half the smallest non-zero min(p, 1 - p) of the target and reference models"
