"""The model audit: run the chosen membership-inference attacks on one target and report them.

`run_audit(model, members, non_members, label, ...)` -> `AuditResult` with one `AttackResult` per
attack (shared metrics), the target's train/test accuracy (overfitting is the first suspect), results
per slice (per class, and per value of a chosen quasi-identifier), and the most exposed member records
with direct identifiers masked.

Attack families (`attacks=`): "threshold" (loss / confidence, global and per class; needs only the
target), "lira" (offline + online) and "rmia" (offline + online), which need the target's recipe to
train `reference_models` reference models on random halves of the pool = audited records + population.
Single variants ("loss", "lira_online", ...) are accepted too.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd

from analysis.attacks.lira import lira_attacks
from analysis.attacks.metrics import AttackResult, attributed_warnings, membership_metrics, strongest
from analysis.attacks.one_run import DECLARED_SPLIT, DEFAULT_DELTA, OneRunBound, one_run_bound
from analysis.attacks.reference import train_reference_models
from analysis.attacks.rmia import rmia_attacks
from analysis.attacks.scores import (AttackScores, AuditData, ModelOutputs, audit_data, model_outputs,
                                     probability_resolution)
from analysis.attacks.threshold import THRESHOLD_KINDS, threshold_attacks
from analysis.errors import raised_here, safe_message
from analysis.models.base import FittedModel, ModelRecipe
from analysis.progress import ProgressCallback, report, scaled
from analysis.results import Result, package_versions

FAMILIES = {
    "threshold": THRESHOLD_KINDS,
    "lira": ("lira_offline", "lira_online"),
    "rmia": ("rmia_offline", "rmia_online"),
}
ALL_VARIANTS = tuple(v for vs in FAMILIES.values() for v in vs)
NEEDS_REFERENCE = {"lira_offline", "lira_online", "rmia_offline", "rmia_online"}
MOST_EXPOSED = 10
MIN_SLICE = 5
MAX_SLICE_VALUES = 12


@dataclass(frozen=True)
class SliceResult(Result):
    """One attack's metrics on the records of one slice (a class, or one value of a column)."""

    attack: str
    column: str
    value: str
    n_members: int
    n_non_members: int
    auc: Optional[float]
    advantage: Optional[float]
    tpr_at_1pct_fpr: Optional[float]


@dataclass(frozen=True)
class ExposedRecord(Result):
    """A member record the strongest attack is most sure about; identifier columns masked."""

    rank: int
    member_row: int
    score: float
    loss: float
    values: dict[str, Any]


@dataclass(frozen=True)
class AuditResult(Result):
    attacks: list[AttackResult]
    train_accuracy: float
    test_accuracy: float
    slices: list[SliceResult]
    most_exposed: list[ExposedRecord]
    strongest_attack: str
    masked_columns: list[str]
    settings: dict
    seed: int
    warnings: list[str] = field(default_factory=list)
    versions: dict = field(default_factory=package_versions)
    # the most exposed members by quasi-identifier group and the share of members with an individual
    # LiRA / RMIA p-value below 1% (analysis.attacks.exposed); None without a calibrated attack
    exposure: Optional[Any] = None

    def attack(self, name: str) -> AttackResult:
        for result in self.attacks:
            if result.name == name:
                return result
        raise KeyError(f"no attack named {name!r} in this audit ({[a.name for a in self.attacks]})")

    def summary_rows(self) -> list[dict[str, Any]]:
        """One flat row per attack (for tables)."""
        rows = []
        for a in self.attacks:
            bound = a.epsilon_audit
            rows.append({"attack": a.name, "auc": a.auc, "advantage": a.advantage,
                         "tpr@0.1%fpr": a.tpr_at_fpr.get("0.001"), "tpr@1%fpr": a.tpr_at_fpr.get("0.01"),
                         "epsilon_lower_bound": a.epsilon_lower_bound,
                         "guesses (k+ / k-, correct)": None if bound is None or bound.epsilon is None else
                         f"{bound.guesses_member} / {bound.guesses_non_member}, {bound.correct}"})
        return rows

    def epsilon_headline(self) -> tuple[Optional[float], str]:
        """The largest one-run bound over the attacks and what it means. Each attack's bound is already
        corrected for the number of attacks, so the maximum holds at the stated confidence."""
        bounds = [a.epsilon_audit for a in self.attacks if a.epsilon_audit is not None]
        if not bounds or bounds[0].epsilon is None:
            return None, bounds[0].reason if bounds else "no attack ran"
        best = max(self.attacks, key=lambda a: a.epsilon_lower_bound or 0.0)
        b = best.epsilon_audit
        return b.epsilon, (f"ε ≥ {b.epsilon:.2f} at δ = {b.delta:g}, {b.confidence:.0%} confidence (Steinke et "
                           f"al. 2023, one run; corrected for {len(self.attacks)} attacks and the guess counts): "
                           f"{best.name} guessed {b.guesses_member} members and {b.guesses_non_member} "
                           f"non-members among {b.canaries} coin-flip records, {b.correct} correct")


def expand_attacks(attacks: Sequence[str]) -> list[str]:
    """Family names and single variants -> the list of variants, in a stable order."""
    if isinstance(attacks, str):
        attacks = [a.strip() for a in attacks.split(",") if a.strip()]
    chosen: list[str] = []
    for name in attacks:
        variants = FAMILIES.get(name, (name,) if name in ALL_VARIANTS else None)
        if variants is None:
            raise ValueError(f"unknown attack {name!r}; choose from {sorted(FAMILIES) + list(ALL_VARIANTS)}")
        chosen.extend(v for v in variants if v not in chosen)
    if not chosen:
        raise ValueError("attacks is empty; choose at least one of threshold, lira, rmia")
    return [v for v in ALL_VARIANTS if v in chosen]


def run_audit(model: FittedModel, members: pd.DataFrame, non_members: pd.DataFrame, label: str, *,
              recipe: Optional[ModelRecipe] = None, population: Optional[pd.DataFrame] = None,
              attacks: Sequence[str] = ("threshold", "lira", "rmia"), reference_models: int = 8,
              slice_column: Optional[str] = None, seed: int = 0, backend: str = "auto",
              n_jobs: Optional[int] = None, identifier_columns: Optional[Sequence[str]] = None,
              fprs: Sequence[float] = (0.001, 0.01), fair_coin: Optional[np.ndarray] = None,
              delta: float = DEFAULT_DELTA, progress: Optional[ProgressCallback] = None) -> AuditResult:
    """Audit `model` (trained on `members`, not on `non_members`) for membership leakage.

    members / non_members / population: raw rows including the `label` column, same columns.
    recipe: how the target was trained (required for LiRA and RMIA, which retrain it).
    identifier_columns: columns to mask in `most_exposed` (the scan's direct identifiers), on top of those
    `analysis.pii.masking.columns_to_mask` finds by name, uniqueness and the real-table rules.
    fair_coin: for a model trained here (`TrainedModel.fair_coin`), which audited records (members first,
    then non-members) had their membership decided by a fair coin; each attack then gets the one-run
    epsilon lower bound at `delta`. None (a declared split): no bound, and the reason.
    """
    variants = expand_attacks(attacks)
    needs_reference = [v for v in variants if v in NEEDS_REFERENCE]
    if needs_reference and recipe is None:
        raise ValueError(f"attacks {needs_reference} retrain the target and need its recipe; pass recipe= "
                         "or choose attacks=('threshold',)")
    if needs_reference and reference_models < 2:
        raise ValueError(f"reference_models must be at least 2, got {reference_models}")
    if slice_column is not None and slice_column not in members.columns:
        raise ValueError(f"slice_column {slice_column!r} is not a column of the data")
    if slice_column == label:
        slice_column = None  # per-class slices are always reported
    data = audit_data(members, non_members, label)
    if population is not None:
        if list(population.columns) != list(members.columns):
            raise ValueError("population must have the same columns as members, in the same order")
        population = population[population[label].notna()].reset_index(drop=True)

    target, scored = score_records(model, data, label, variants, recipe=recipe, population=population,
                                   reference_models=reference_models, seed=seed, backend=backend, n_jobs=n_jobs,
                                   progress=progress)
    train_acc = float(np.mean(target.correct[data.is_member]))
    test_acc = float(np.mean(target.correct[~data.is_member]))
    report(progress, 0.92, "computing metrics")

    if fair_coin is not None and len(fair_coin) != data.n:
        raise ValueError(f"fair_coin has {len(fair_coin)} flags for {data.n} audited records")
    results = [_with_bound(s.metrics(fprs=fprs), one_run_bound(s.scores, s.is_member, fair_coin, delta=delta,
                                                               tests=len(scored), seed=seed))
               for s in scored]
    from analysis.attacks.exposed import most_exposed

    exposure = most_exposed(members, label, [("this model", "none", {s.name: (s.scores, s.settings) for s in scored})],
                            quasi_identifiers=[slice_column] if slice_column else None, seed=seed)
    best = strongest(results)
    strongest_scores = scored[next(i for i, r in enumerate(results) if r is best)]
    slices = _slices(scored, data.labels, members, non_members, label, slice_column)
    from analysis.pii.masking import columns_to_mask

    # the scan's identifiers (when given) and every column the one rule finds: never only some of them
    masked = columns_to_mask(members.drop(columns=[label]), extra=identifier_columns)
    exposed = _most_exposed(strongest_scores.scores[: len(members)], target.loss[: len(members)], members, masked)
    warnings = attributed_warnings(((r.name, r.warnings) for r in results), every="Every attack")
    if train_acc - test_acc > 0.1:
        warnings.append(f"The target is overfit: train accuracy {train_acc:.3f} vs test accuracy {test_acc:.3f}.")
    report(progress, 1.0, "audit done")
    settings = {
        "attacks": variants, "reference_models": reference_models if needs_reference else 0,
        "slice_column": slice_column, "backend": backend, "label": label, "fprs": list(fprs),
        "recipe": recipe.describe() if recipe is not None else None,
        "n_members": int(len(members)), "n_non_members": int(len(non_members)),
        "n_population": int(len(population)) if population is not None else 0,
        "membership": "independent coin flips" if fair_coin is not None else "declared",
        "epsilon_bound": "Steinke, Nasr & Jagielski (2023) one-run bound, 95% confidence, Bonferroni over "
                         f"{len(scored)} attacks and the guess counts; delta = {delta:g}" if fair_coin is not None
                         else "none: " + DECLARED_SPLIT,
    }
    return AuditResult(attacks=results, train_accuracy=train_acc, test_accuracy=test_acc, slices=slices,
                       most_exposed=exposed, strongest_attack=best.name, masked_columns=masked,
                       settings=settings, seed=seed, warnings=warnings, exposure=exposure)


def score_records(model: FittedModel, data: AuditData, label: str, variants: Sequence[str], *,
                  recipe: Optional[ModelRecipe] = None, population: Optional[pd.DataFrame] = None,
                  reference_models: int = 8, seed: int = 0, backend: str = "auto", n_jobs: Optional[int] = None,
                  progress: Optional[ProgressCallback] = None) -> tuple[ModelOutputs, list[AttackScores]]:
    """The target's outputs on `data` and each attack variant's per-record scores (the withdrawal check
    scores extra records through this too). `population`: labelled rows for calibration and reference pools."""
    needs_reference = [v for v in variants if v in NEEDS_REFERENCE]
    report(progress, 0.0, "scoring the target model")
    try:
        target = model_outputs(model, data.features, data.labels)
    except Exception as exc:
        if isinstance(exc, ValueError) and raised_here(exc):
            raise  # ours: it names the column, never a value
        raise ValueError(f"the model could not score these records ({safe_message(exc)}); check that "
                         "its inputs match the data's columns") from None
    report(progress, 0.05, "target scored")

    pop_outputs = None
    if population is not None and len(population):
        pop_outputs = model_outputs(model, population.drop(columns=[label]), population[label].to_numpy())

    scored: list[AttackScores] = []
    kinds = [v for v in variants if v in THRESHOLD_KINDS]
    if kinds:
        calibration = (pop_outputs, population[label].to_numpy()) if pop_outputs is not None else None
        scored.extend(threshold_attacks(target, data, kinds=kinds, calibration=calibration))

    if needs_reference:
        pool_features = data.features
        pool_labels = data.labels
        target_pool_log_p = target.log_p
        if pop_outputs is not None:
            pool_features = pd.concat([data.features, population.drop(columns=[label])], ignore_index=True)
            pool_labels = np.concatenate([data.labels, population[label].to_numpy()])
            target_pool_log_p = np.concatenate([target.log_p, pop_outputs.log_p])
        reference = train_reference_models(recipe, pool_features, pool_labels, n_models=reference_models,
                                           seed=seed, backend=backend, n_jobs=n_jobs,
                                           progress=scaled(progress, 0.05, 0.9))
        lira = tuple(v.split("_")[1] for v in variants if v.startswith("lira_"))
        rmia = tuple(v.split("_")[1] for v in variants if v.startswith("rmia_"))
        if lira:
            resolution = probability_resolution(model, [target, (reference.log_p, reference.log_not_p)])
            scored.extend(lira_attacks(target, data, reference, variants=lira, resolution=resolution))
        if rmia:
            scored.extend(rmia_attacks(target, data, reference, target_pool_log_p, variants=rmia, seed=seed))
    return target, scored


def _with_bound(result: AttackResult, bound: OneRunBound) -> AttackResult:
    return dataclasses.replace(result, epsilon_lower_bound=bound.epsilon, delta=bound.delta, epsilon_audit=bound)


# --------------------------------------------------------------------------------------------
# Slices


def _slice_groups(values: pd.Series) -> pd.Series:
    """Group labels for a slice column: its values, quartile bins for many-valued numbers, top values + other."""
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > MAX_SLICE_VALUES:
        return pd.qcut(values, 4, duplicates="drop").astype(str)
    text = values.astype(object).where(values.notna(), "(missing)").astype(str)
    top = text.value_counts().index[:MAX_SLICE_VALUES]
    return text.where(text.isin(top), "(other)")


def _slice_metrics(scores: AttackScores, mask: np.ndarray, column: str, value: str) -> SliceResult:
    truth = scores.is_member[mask]
    n_in, n_out = int(truth.sum()), int((~truth).sum())
    auc = adv = tpr = None
    if n_in >= MIN_SLICE and n_out >= MIN_SLICE:
        metrics = membership_metrics(scores.scores[mask], truth, name=scores.name, fprs=(0.01,))
        auc, adv, tpr = metrics.auc, metrics.advantage, metrics.tpr_at_fpr["0.01"]
    return SliceResult(attack=scores.name, column=column, value=value, n_members=n_in, n_non_members=n_out,
                       auc=auc, advantage=adv, tpr_at_1pct_fpr=tpr)


def _slices(scored: list[AttackScores], labels: np.ndarray, members: pd.DataFrame, non_members: pd.DataFrame,
            label: str, slice_column: Optional[str]) -> list[SliceResult]:
    columns = {label: pd.Series(labels)}
    if slice_column is not None:
        columns[slice_column] = pd.concat([members[slice_column], non_members[slice_column]], ignore_index=True)
    out = []
    for column, series in columns.items():
        groups = _slice_groups(series).to_numpy()
        for value in pd.unique(groups):
            mask = groups == value
            out.extend(_slice_metrics(s, mask, column, str(value)) for s in scored)
    return out


# --------------------------------------------------------------------------------------------
# Most exposed records


def detect_identifier_columns(features: pd.DataFrame) -> list[str]:
    """Columns masked in reports without a scan: the one rule of `analysis.pii.masking` (identifier-like
    names, near-unique text, free text, one-word names, record keys)."""
    from analysis.pii.masking import columns_to_mask

    return columns_to_mask(features)


def _mask(value: Any) -> str:
    """A direct identifier shown masked (missing values stay empty)."""
    from analysis.pii import mask_value

    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return mask_value(value)


def _most_exposed(scores: np.ndarray, loss: np.ndarray, members: pd.DataFrame, masked: list[str],
                  k: int = MOST_EXPOSED) -> list[ExposedRecord]:
    order = np.argsort(-scores, kind="stable")[:k]
    out = []
    for rank, row in enumerate(order, start=1):
        record = members.iloc[int(row)]
        values = {str(c): (_mask(record[c]) if c in masked else _plain(record[c])) for c in members.columns}
        out.append(ExposedRecord(rank=rank, member_row=int(row), score=float(scores[row]), loss=float(loss[row]),
                                 values=values))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (np.generic,)):
        return value.item()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value
