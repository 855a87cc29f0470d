"""Reference ("shadow") models for LiRA and RMIA, trained in parallel.

The pool = the audited records (members then non-members) followed by any extra population records.
Each of N reference models is trained with the target's recipe on a random half of the pool, chosen so
that every pool record is IN the training set of exactly half the models (N/2, rounded down) and OUT
of the rest (the balanced scheme of Carlini et al. 2022). Every model is then evaluated on the whole
pool. Online attacks use IN and OUT models; offline attacks use OUT models only.

Training runs through `analysis.compute.parallel_map` (joblib here, Ray tasks when RAY_ADDRESS names a
cluster); each task is seeded from (seed, model index), so the outputs are identical on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from analysis.attacks.scores import TINY
from analysis.compute import parallel_map
from analysis.models.base import ModelRecipe
from analysis.progress import ProgressCallback
from analysis.settings import get_settings


@dataclass(frozen=True)
class ReferenceOutputs:
    """Outputs of N reference models on the pool; arrays have shape (n_models, n_pool)."""

    log_p: np.ndarray = field(repr=False)
    log_not_p: np.ndarray = field(repr=False)
    in_mask: np.ndarray = field(repr=False)

    @property
    def n_models(self) -> int:
        return int(self.log_p.shape[0])

    @property
    def logit(self) -> np.ndarray:
        return self.log_p - self.log_not_p


def balanced_membership(n_models: int, n_pool: int, seed: int) -> np.ndarray:
    """Bool (n_models, n_pool): each record IN exactly floor(n_models / 2) models, chosen at random."""
    rng = np.random.default_rng([seed, 7919])
    ranks = np.argsort(rng.random((n_models, n_pool)), axis=0)
    return ranks < n_models // 2


@dataclass(frozen=True)
class ReferenceTask:
    recipe: ModelRecipe
    features: pd.DataFrame
    labels: np.ndarray
    train_rows: np.ndarray
    seed: int


def fit_and_score(task: ReferenceTask) -> tuple[np.ndarray, np.ndarray]:
    """Train one reference model on its rows and return (log p_y, log (1 - p_y)) on the whole pool."""
    rows = task.train_rows
    model = task.recipe.fit(task.features.iloc[rows].reset_index(drop=True), task.labels[rows], seed=task.seed)
    proba = np.asarray(model.predict_proba(task.features), dtype=float)
    classes = list(np.asarray(model.classes_).tolist())
    lookup = {value: i for i, value in enumerate(classes)}
    index = np.array([lookup.get(v, -1) for v in task.labels.tolist()])
    known = index >= 0
    rows_all = np.arange(len(index))
    p_true = np.where(known, proba[rows_all, np.maximum(index, 0)], 0.0)
    # Sum the other columns (not 1 - p_true) to keep precision when p_true is close to 1.
    mask = np.ones_like(proba, dtype=bool)
    mask[rows_all[known], index[known]] = False
    others = np.where(mask, proba, 0.0).sum(axis=1)
    return (np.log(np.clip(p_true, TINY, 1.0)).astype(np.float64),
            np.log(np.clip(others, TINY, 1.0)).astype(np.float64))


def train_reference_models(recipe: ModelRecipe, features: pd.DataFrame, labels: np.ndarray, *,
                           n_models: int, seed: int = 0, backend: str = "auto", n_jobs: Optional[int] = None,
                           progress: Optional[ProgressCallback] = None) -> ReferenceOutputs:
    """Train `n_models` reference models on balanced random halves of the pool (`features`, `labels`)."""
    if n_models < 2:
        raise ValueError(f"reference_models must be at least 2 (one IN and one OUT per record), got {n_models}")
    features = features.reset_index(drop=True)
    labels = np.asarray(labels)
    in_mask = balanced_membership(n_models, len(features), seed)
    tasks = [ReferenceTask(recipe=recipe, features=features, labels=labels, train_rows=np.flatnonzero(in_mask[m]),
                   seed=int(seed) * 1000 + m + 1) for m in range(n_models)]
    in_workers = getattr(recipe, "fit_and_score_all", None)  # a model file's recipe runs in model workers
    if in_workers is not None:
        outputs = in_workers(tasks, n_jobs=n_jobs or get_settings().n_jobs, progress=progress, label="reference model")
    else:
        outputs = parallel_map(fit_and_score, tasks, n_jobs=n_jobs, backend=backend, progress=progress,
                               label="reference model")
    return ReferenceOutputs(log_p=np.stack([o[0] for o in outputs]), log_not_p=np.stack([o[1] for o in outputs]),
                            in_mask=in_mask)
