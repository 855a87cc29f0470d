"""Was this model trained on these records? A test against the model retrained without them.

The null hypothesis of the withdrawal check is "the model was trained on the members and never on the
withdrawn records". Under it, the model is one draw of `recipe.fit(members, seed)`. So K reference
models are trained exactly that way (the members, the target's recipe, K other seeds): none of them
saw a withdrawn record, and each scores every withdrawn record itself, so the comparison conditions on
the record (a withdrawn group that differs from the non-members, e.g. long-tenure customers, is judged
against what a model that never saw *those* rows says about them, not against other people).

Statistic: a model's mean LiRA-scaled confidence phi = log(p_y / (1 - p_y)) over the withdrawn records
(phi clipped at the model's resolution, `scores.probability_resolution`). Under the null the target's
mean is exchangeable with the K references'; the p-value is the one-sided t prediction test
(T_target - mean T_ref) / (sd T_ref sqrt(1 + 1/K)) with K - 1 degrees of freedom (a mean over records
is close to normal). Records are compared with their own reference scores, and the shared randomness of
a model (its seed moves all records together) is in sd T_ref, so the records need not be independent.
A deterministic recipe (every reference identical) gives p = 1 when the target matches them and 0 when
it does not.

Per record it also reports the share of withdrawn records the target scores above every reference model
(each such record alone has a rank p-value of 1/(K + 1)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
from scipy import stats

from analysis.attacks.scores import model_outputs, probability_resolution
from analysis.compute import parallel_map
from analysis.models.base import FittedModel, ModelRecipe
from analysis.progress import ProgressCallback

ASSUMPTION = ("The members given (less any withdrawn rows among them) are the model's whole training set apart "
              "from the withdrawn rows, and the model was trained with this recipe (only the random seed "
              "unknown): models retrained on those members then behave like the model would without the "
              "withdrawn rows.")


@dataclass(frozen=True)
class RetrainedComparison:
    p_value: float
    statistic: float                      # mean phi of the target minus the references' mean, on the records
    records_above_all_references: float   # share of records the target scores above every reference model
    reference_models: int
    deterministic: bool


@dataclass(frozen=True)
class _Task:
    recipe: ModelRecipe
    features: pd.DataFrame
    labels: np.ndarray
    records: pd.DataFrame
    record_labels: np.ndarray
    seed: int


def _retrain_and_score(task: _Task) -> tuple[np.ndarray, np.ndarray]:
    model = task.recipe.fit(task.features, task.labels, seed=task.seed)
    out = model_outputs(model, task.records, task.record_labels)
    return out.log_p, out.log_not_p


def compare_with_retrained(model: FittedModel, recipe: ModelRecipe, members: pd.DataFrame, records: pd.DataFrame,
                           label: str, *, n_models: int = 8, seed: int = 0, backend: str = "auto",
                           n_jobs: Optional[int] = None,
                           progress: Optional[ProgressCallback] = None) -> RetrainedComparison:
    """Test whether `model` scores `records` higher than models retrained on `members` alone."""
    if n_models < 3:
        raise ValueError(f"the retrained comparison needs at least 3 reference models, got {n_models}")
    features, labels = members.drop(columns=[label]).reset_index(drop=True), members[label].to_numpy()
    rec_features, rec_labels = records.drop(columns=[label]).reset_index(drop=True), records[label].to_numpy()
    # seeds far from the usual small training seeds, so no reference is the target by accident
    tasks = [_Task(recipe, features, labels, rec_features, rec_labels, seed=7_000_000 + 1000 * int(seed) + j)
             for j in range(n_models)]
    outputs = parallel_map(_retrain_and_score, tasks, n_jobs=n_jobs, backend=backend, progress=progress,
                           label="model retrained without the withdrawn rows")
    target = model_outputs(model, rec_features, rec_labels)
    clip, _ = probability_resolution(model, [target, *outputs])
    bound = math.log((1 - clip) / clip)
    phi_target = np.clip(target.logit, -bound, bound)
    phi_ref = np.clip(np.stack([lp - lnp for lp, lnp in outputs]), -bound, bound)   # (K, records)
    t_target, t_ref = float(phi_target.mean()), phi_ref.mean(axis=1)
    difference = t_target - float(t_ref.mean())
    spread = float(t_ref.std(ddof=1))
    scale = 1.0 + abs(float(t_ref.mean()))
    deterministic = spread <= 1e-9 * scale
    if deterministic:
        p_value = 1.0 if abs(difference) <= 1e-6 * scale else 0.0
    else:
        t = difference / (spread * math.sqrt(1 + 1 / n_models))
        p_value = float(stats.t.sf(t, df=n_models - 1))
    above = float(np.mean(phi_target > phi_ref.max(axis=0)))
    return RetrainedComparison(p_value=p_value, statistic=difference, records_above_all_references=above,
                               reference_models=n_models, deterministic=bool(deterministic))
