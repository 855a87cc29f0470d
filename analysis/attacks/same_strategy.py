"""Reference models trained with the SAME protection as the target, for RMIA in the comparison.

An attacker who knows how the model was protected trains reference models the same way (Zarifzadeh et
al. 2024 use the target's training algorithm): the same MLP, the same DP-SGD budget (calibrated to the
reference's training rows), the same anonymization plan applied to its training rows and to every
query. `StrategyRecipe` is that training as a picklable `analysis.models.base.ModelRecipe`, so
`analysis.attacks.reference.train_reference_models` trains them in parallel (joblib / Ray) on balanced
random halves of the pool.

The pool of a comparison run: the audited members, the audited non-members, then the canaries (when
the run has a canary audit). Offline RMIA reads the OUT models of each record only, so with 2 reference
models each record is scored against the one model that did not train on it. Cost: each run trains
`n_models` extra models of its own strategy on about half the pool (so about n_models x its own training
time, in parallel on the machine's cores).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import pandas as pd

CENTRALIZED = ("none", "anonymized", "dp", "anonymized+dp")


@dataclass(frozen=True)
class StrategyRecipe:
    """The comparison's MLP with one strategy's protection (DP-SGD at `epsilon`, the plan)."""

    label: str
    hidden: tuple[int, ...]
    epochs: int
    batch_size: int
    learning_rate: float
    clip_norm: float
    epsilon: float = math.inf           # math.inf: non-private
    delta: Optional[float] = None
    plan: Optional[dict] = None         # analysis.anonymize.Plan.to_dict() for the anonymized strategies

    @property
    def name(self) -> str:
        return "comparison MLP, same protection"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "hidden": list(self.hidden), "epochs": self.epochs, "epsilon": self.epsilon,
                "plan": self.plan is not None}

    def fit(self, features: pd.DataFrame, labels: np.ndarray, *, seed: int, **_: Any):
        from analysis.anonymize import Plan
        from analysis.anonymize.training import anonymize_training_rows
        from analysis.tradeoff import TradeoffConfig, train_mlp

        rows = features.copy()
        rows[self.label] = labels
        config = TradeoffConfig(label=self.label, hidden=self.hidden, epochs=self.epochs,
                                batch_size=self.batch_size, learning_rate=self.learning_rate,
                                clip_norm=self.clip_norm, baseline=False)
        served = None
        if self.plan is not None:
            rows, served, _, _ = anonymize_training_rows(rows, Plan.from_dict(self.plan), self.label, seed)
        delta = self.delta if self.delta is not None else 1.0 / (10 * len(rows))
        model, _ = train_mlp(rows, config, self.epsilon, seed, delta)
        return served(model) if served is not None else model


def strategy_recipe(strategy: str, epsilon: float, training, plan, delta: Optional[float]) -> Optional[StrategyRecipe]:
    """The recipe of a centralized strategy (None for federated ones and the baseline)."""
    if strategy not in CENTRALIZED:
        return None
    return StrategyRecipe(label=training.label, hidden=tuple(training.hidden), epochs=training.epochs,
                          batch_size=training.batch_size, learning_rate=training.learning_rate,
                          clip_norm=training.clip_norm, epsilon=float(epsilon) if strategy.endswith("dp") else math.inf,
                          delta=delta, plan=plan.to_dict() if strategy.startswith("anonymized") else None)


def train_same_strategy(recipe: StrategyRecipe, members: pd.DataFrame, non_members: pd.DataFrame,
                        canaries: Optional[pd.DataFrame], *, n_models: int, seed: int, progress=None):
    """Reference outputs on the pool members, non-members, canaries (in that order)."""
    from analysis.attacks.reference import train_reference_models

    label = recipe.label
    parts = [members, non_members] + ([canaries] if canaries is not None else [])
    pool = pd.concat([p.astype({label: str}) if not pd.api.types.is_numeric_dtype(p[label]) else p for p in parts],
                     ignore_index=True)
    return train_reference_models(recipe, pool.drop(columns=[label]), pool[label].to_numpy(), n_models=n_models,
                                  seed=seed, progress=progress)


def columns(reference, index: np.ndarray):
    """The reference outputs restricted to (and reordered as) the pool columns `index`."""
    from analysis.attacks.reference import ReferenceOutputs

    return ReferenceOutputs(log_p=reference.log_p[:, index], log_not_p=reference.log_not_p[:, index],
                            in_mask=reference.in_mask[:, index])
