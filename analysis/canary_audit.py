"""A canary audit for every trained model of a comparison: Steinke, Nasr & Jagielski's (2023) one-run
ε lower bound, measured in the same training run as the utility and the attacks.

Design of the canaries (`draw_canaries`): m synthetic out-of-distribution rows
(`analysis.memorization.tabular.make_canary_records`: every categorical feature a random value seen in
its column, every number uniform in its observed range, so the combination occurs in no real row) with
a label drawn uniformly at random. Why these:
- memorable: a rare feature combination with a random label is a point the model can only get right by
  memorizing it (nothing in the real rows predicts it), so a non-private model shows its membership;
- harmless: they describe no real person (a real row with a flipped label would still be a person's
  features), and they never enter a utility figure or the member / non-member attack set.
Each canary enters training by an independent fair coin (what makes the bound sound). A protected
strategy's canaries go through the same protection as the rows (the anonymization plan, DP-SGD; a
federated run's canaries all sit in one client, `analysis.privacy_axis.federated_canary_audit`).

Scoring (`audit_canaries`): the strongest attack available for the run - RMIA offline (Zarifzadeh et
al. 2024; reference models trained with the run's own strategy, held-out real rows as population) when
the run has reference models, else the loss (the target alone) - turned into the one-run bound at 95%
confidence, Bonferroni-corrected over the guess counts (`analysis.attacks.one_run`). One attack only:
every extra attack tried would cost its own Bonferroni factor. A DP run's bound above
its accounted ε means the implementation or the accounting is broken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from analysis.attacks.one_run import one_run_bound
from analysis.results import Result

DEFAULT_CANARIES = 1000
MIN_CANARIES = 20
MAX_CANARY_SHARE = 0.1   # canaries at most this share of the members, so they barely move the model's utility
DESIGN = ("out-of-distribution synthetic rows (a feature combination found in no real row, numbers uniform in "
          "their observed range) with a label drawn uniformly at random; each in training by an independent "
          "fair coin")


@dataclass(frozen=True)
class CanarySet:
    """The canaries of one seed: rows (features and label, the table's columns) and the coin flips."""

    rows: pd.DataFrame = field(repr=False)
    included: np.ndarray = field(repr=False)   # bool per canary: in the training rows
    seed: int = 0

    @property
    def count(self) -> int:
        return len(self.rows)

    def training_rows(self) -> pd.DataFrame:
        """The canaries the coin put into training (index continues after the real rows' labels: the
        caller concatenates with ignore_index)."""
        return self.rows[self.included]


@dataclass(frozen=True)
class CanaryAudit(Result):
    """One run's canary audit: `guesses` = k+ + k-, `correct` = v of Steinke et al.'s bound."""

    canaries: int
    epsilon_lower_bound: Optional[float]
    confidence: float
    guesses: int
    correct: int
    guesses_member: int = 0
    guesses_non_member: int = 0
    delta: float = 0.0
    attack: str = ""                       # the attack whose bound is reported (the largest)
    attacks: list[str] = field(default_factory=list)   # every attack tried (the Bonferroni count)
    included: int = 0                      # canaries the coins put into training
    trained_on: int = 0                    # of those, how many reached the model (after suppression)
    design: str = DESIGN
    reason: str = ""                       # why there is no bound, when there is none


def draw_canaries(rows: pd.DataFrame, label: str, count: int = DEFAULT_CANARIES, *, seed: int = 0) -> CanarySet:
    """`count` canaries for the table `rows` (with its label column), each in training by a fair coin."""
    from analysis.memorization.tabular import make_canary_records

    if count < MIN_CANARIES:
        raise ValueError(f"canaries must be 0 (off) or at least {MIN_CANARIES}, got {count}")
    canaries = make_canary_records(rows, label, int(count), seed=seed)
    included = np.random.default_rng([seed, 2023, 22]).random(int(count)) < 0.5
    return CanarySet(rows=canaries.reset_index(drop=True), included=included, seed=int(seed))


def canary_count(requested: int, n_members: int) -> tuple[int, str]:
    """(canaries to draw, a warning or ""): at most MAX_CANARY_SHARE of the members (about half of them
    enter training), none when fewer than MIN_CANARIES would remain."""
    if requested <= 0:
        return 0, ""
    count = min(int(requested), int(MAX_CANARY_SHARE * n_members))
    if count < MIN_CANARIES:
        return 0, (f"no canary audit: {n_members} members allow {count} canaries (at most "
                   f"{MAX_CANARY_SHARE:.0%} of the members), fewer than {MIN_CANARIES}")
    if count < requested:
        return count, (f"canaries: {count} instead of {requested} (at most {MAX_CANARY_SHARE:.0%} of the "
                       f"{n_members} members, so they barely change the model)")
    return count, ""


def audit_canaries(model, canaries: CanarySet, label: str, *, delta: float, reference=None,
                   population_log_p: Optional[np.ndarray] = None, trained_on: Optional[int] = None,
                   seed: int = 0) -> CanaryAudit:
    """The one-run bound of `model` on `canaries` (trained with `canaries.training_rows()`).

    reference: optional `analysis.attacks.reference.ReferenceOutputs` whose columns are the canaries
    followed by a population of real rows the target did not train on; `population_log_p`: the target's
    log p_y on that population. With both, RMIA offline is tried beside the loss.
    """
    from analysis.attacks.rmia import rmia_attacks
    from analysis.attacks.scores import AuditData, model_outputs

    features = canaries.rows.drop(columns=[label])
    labels = canaries.rows[label].to_numpy()
    if np.asarray(model.classes_).dtype.kind in "OUT":
        labels = labels.astype(str)
    target = model_outputs(model, features, labels)
    # The strongest attack available, and only it (each extra attack would cost a Bonferroni factor):
    # RMIA offline when the run has reference models, else the loss (higher log p of the canary's random
    # label = more member-like).
    if reference is not None and population_log_p is not None:
        data = AuditData(features=features, labels=labels, is_member=canaries.included)
        pool_log_p = np.concatenate([target.log_p, np.asarray(population_log_p, dtype=float)])
        scored = {"rmia_offline": rmia_attacks(target, data, reference, pool_log_p, variants=("offline",),
                                               seed=seed)[0].scores}
    else:
        scored = {"loss": target.log_p}
    coin = np.ones(canaries.count, dtype=bool)
    bounds = {name: one_run_bound(scores, canaries.included, coin, delta=delta, tests=len(scored), seed=seed)
              for name, scores in scored.items()}
    best_name = max(bounds, key=lambda n: bounds[n].epsilon or 0.0)
    best = bounds[best_name]
    return CanaryAudit(
        canaries=canaries.count, epsilon_lower_bound=best.epsilon, confidence=best.confidence,
        guesses=best.guesses_member + best.guesses_non_member, correct=best.correct,
        guesses_member=best.guesses_member, guesses_non_member=best.guesses_non_member, delta=float(delta),
        attack=best_name, attacks=list(scored), included=int(canaries.included.sum()),
        trained_on=int(canaries.included.sum() if trained_on is None else trained_on), reason=best.reason)


def bound_exceeds(audit: Optional[CanaryAudit], accounted_epsilon: float, *, slack: float = 1e-9) -> bool:
    """True when a run's measured lower bound is above its accounted ε: the implementation (or its
    accounting) is broken. Runs without a finite accounted ε have nothing to exceed."""
    if audit is None or audit.epsilon_lower_bound is None or not math.isfinite(accounted_epsilon):
        return False
    return audit.epsilon_lower_bound > accounted_epsilon + slack
