"""Every protection in one comparison: anonymization, DP-SGD, federated learning and their combinations,
trained and attacked the same way.

`run_strategies(frame, label, strategies=[...])` trains, for each seed, on ONE members / non-members
split (`analysis.tradeoff`'s seeded split: members train, non-members are held out):
- `none`: the trade-off's Keras MLP, non-private;
- `anonymized`: the anonymization plan (`analysis.anonymize.apply_plan`) applied to the members, the
  same MLP trained on the result. The model is served as a deployment would: each query row goes
  through the plan's column operators (generalization, masking; suppression does not apply to one
  query) before the MLP. The attacks query it with the RAW records - the attacker knows the people,
  not the plan - and every raw member counts as a member, suppressed ones included. `k` is measured on
  the anonymized training rows with the plan's quasi-identifiers;
- `dp`: DP-SGD at each finite epsilon of `epsilons` (per record);
- `federated`: FedAvg over `clients` simulated clients, `rounds` rounds (Flower,
  `analysis.privacy.federated`, on the same split: its train rows are these members);
- `dp-federated`: DP-FedAvg at each client-level epsilon of `client_epsilons` (per client);
- `anonymized+dp`: DP-SGD at each epsilon on the anonymized members;
- `federated+dp`: FedAvg with DP-SGD inside each client at each epsilon (per record, worst client).

Every run is scored the same way: utility on the raw non-members, and the same attack set on the raw
members against the raw non-members (`analysis.tradeoff._attacks`: the loss-threshold family, plus RMIA
offline/online when `reference_models` > 0; the reference models are the non-private MLP recipe trained
once per seed on balanced halves of those records and shared by every strategy). One row schema for
all: `StrategyRun`. A strategy that does not fit the data (no plan, too few rows for the clients, a
plan naming missing columns, ...) is listed in `skipped` with the reason; it never stops the others.

The recommendation is the trade-off's one rule (`analysis.tradeoff.choose_budget`, documented in
docs/strategies.md) over the means per option.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import pandas as pd

from analysis.errors import raised_here, safe_message
from analysis.progress import ProgressCallback, report, scaled
from analysis.results import Result, package_versions
from analysis.tradeoff import (
    BASELINE_MODEL, DEFAULT_ATTACKS, DEFAULT_EPSILONS, KERAS_MODEL, AttackColumns, BudgetSummary, TradeoffConfig,
    accuracy_kept, budget_label, choose_budget, recommend, summarize)

STRATEGIES = ("none", "anonymized", "dp", "federated", "dp-federated", "anonymized+dp", "federated+dp")
TITLES = {"none": "non-private", "anonymized": "anonymized", "dp": "DP-SGD", "federated": "FedAvg",
          "dp-federated": "DP-FedAvg", "anonymized+dp": "anonymized + DP-SGD", "federated+dp": "FedAvg + DP-SGD",
          "baseline": "baseline (LogReg)"}
DEFAULT_STRATEGIES = ("none", "anonymized", "dp", "federated", "anonymized+dp")
DEFAULT_CLIENT_EPSILONS = (8.0,)
_BUDGETED = ("dp", "anonymized+dp", "federated+dp")  # one run per finite epsilon of `epsilons`


@dataclass(frozen=True)
class StrategyConfig(Result):
    """Every setting of a comparison (the cache key hashes this plus the data)."""

    strategies: tuple[str, ...]
    training: TradeoffConfig           # label, budgets, seeds, split, the MLP and DP-SGD settings, attacks
    client_epsilons: tuple[float, ...] = DEFAULT_CLIENT_EPSILONS
    reference_models: int = 0          # RMIA reference models per seed (0: threshold attacks only)
    clients: int = 10
    rounds: int = 5
    local_epochs: int = 2
    fl_batch_size: int = 64
    fl_clip_norm: float = 1.0
    partition: str = "iid"
    plan: Optional[dict] = None        # the anonymization plan (analysis.anonymize.Plan.to_dict())
    canaries: int = 0                  # coin-flip canaries per seed for the one-run ε bound (0: off)
    anonymity_attacks: int = 0         # GDPR anonymity attacks per criterion (0: off)

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class StrategyRun(AttackColumns, Result):
    """One trained model of one strategy and seed, measured like every other (the one row schema)."""

    strategy: str                   # one of STRATEGIES, or "baseline"
    name: str                       # e.g. "anonymized + DP-SGD ε = 2"
    seed: int
    accuracy: float
    roc_auc: float
    f1: float
    epsilon: float                  # accounted (RDP) epsilon in `unit`; math.inf (JSON null) without one
    delta: Optional[float]
    unit: str                       # record, client or none
    k: Optional[int]                # k-anonymity of the training rows (anonymized strategies), else None
    attacks: list                   # list[analysis.attacks.metrics.AttackResult], the same set for every row
    train_seconds: float
    protects: str                   # one sentence: what the setting protects against
    epsilon_target: float = math.inf
    pld_epsilon: float = math.inf
    noise_multiplier: float = 0.0
    accountant: str = "none (non-private)"
    model: str = KERAS_MODEL
    group_accuracy: dict = field(default_factory=dict)
    n_train: int = 0                # rows the model trained on (after suppression for anonymized)
    n_members: int = 0              # rows the attacks treat as members (the raw training rows)
    n_non_members: int = 0
    split_hash: str = ""            # equal for every run of a seed
    details: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    canary_audit: Optional[Any] = None  # analysis.canary_audit.CanaryAudit (the one-run ε lower bound)
    anonymity: Optional[Any] = None     # analysis.anonymity.AnonymityRisks of the table it trained on

    @property
    def budget_label(self) -> str:
        return self.name

    @property
    def model_object(self):
        """The trained model as attacked (raw feature columns in), kept outside the fields so no
        serialization meets it; None on copies made with dataclasses.replace."""
        return self.__dict__.get("_model")

    def with_model(self, model) -> "StrategyRun":
        object.__setattr__(self, "_model", model)
        return self

    @property
    def record_scores(self) -> Optional[dict]:
        """Per-record attack scores (attack -> (scores, settings), members then non-members), kept off the
        JSON; None on copies and for runs scored before they were kept."""
        return self.__dict__.get("_record_scores")

    @property
    def private(self) -> bool:
        return self.unit in ("record", "client") and math.isfinite(self.epsilon)

    @property
    def guarantee(self) -> str:
        return guarantee_text(self.unit, self.epsilon, self.k)



@dataclass(frozen=True)
class SkippedStrategy(Result):
    strategy: str
    reason: str


@dataclass(frozen=True)
class StrategyComparison(Result):
    config: StrategyConfig
    data_fingerprint: str
    config_key: str
    n_rows: int
    classes: list[str]
    runs: list[StrategyRun]
    skipped: list[SkippedStrategy]
    summary: list[BudgetSummary]        # means over seeds, one row per option
    recommendation: str
    delta: float
    recommended: Optional[str] = None   # the label of the option the recommendation names
    recommended_strategy: Optional[str] = None
    recommended_epsilon: Optional[float] = None
    recommended_accuracy_kept: Optional[float] = None
    warnings: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    exposure: Optional[Any] = None      # analysis.attacks.exposed.ExposureReport (first seed)

    def runs_of(self, strategy: str) -> list[StrategyRun]:
        return [r for r in self.runs if r.strategy == strategy]

    def table(self) -> pd.DataFrame:
        """One row per option (means over seeds) for display."""
        return pd.DataFrame([{
            "strategy": s.label, "guarantee": guarantee_text(s.unit, s.epsilon, s.k), "accuracy": s.accuracy,
            "accuracy sd": s.accuracy_std, "ROC AUC": s.roc_auc, "F1": s.f1, "TPR @ 0.1% FPR": s.tpr_at_0_1pct,
            "TPR @ 1% FPR": s.tpr_at_1pct, "attack AUC": s.attack_auc,
            "ε (PLD)": s.pld_epsilon if math.isfinite(s.pld_epsilon) else None, "train s": s.train_seconds,
            "seeds": s.runs} for s in self.summary])


PREPROCESSING_NOTE = "preprocessing outside ε"   # dp.PREPROCESSING_NOT_PRIVATE, in a table cell


def guarantee_text(unit: Optional[str], epsilon: Optional[float], k: Optional[float]) -> str:
    """The formal guarantee with its unit: "ε = 2 per record (preprocessing outside ε)", "ε = 8 per client
    (...)", "k = 5", or "none". An epsilon per record on anonymized rows (k given) is per anonymized row,
    not per person: suppression couples up to k rows of one class (`per_person_guarantee`)."""
    parts = []
    if unit in ("record", "client") and epsilon is not None and math.isfinite(epsilon):
        per = "anonymized row, not per person" if unit == "record" and k is not None and k == k else unit
        parts.append(f"ε = {epsilon:.3g} per {per} ({PREPROCESSING_NOTE})")
    if k is not None and k == k:
        parts.append(f"k = {int(k)}")
    return ", ".join(parts) or "none"


def per_person_guarantee(epsilon: float, delta: Optional[float], group: int) -> dict:
    """Group privacy over the `group` training rows one person's raw record can change.

    With record suppression to k, removing one raw record from a class of exactly k drops the other
    k - 1 (and adding one to a class of k - 1 brings k rows back), so one person changes up to k rows:
    (epsilon, delta) per row gives (g epsilon, g e^((g - 1) epsilon) delta) per person (Dwork & Roth,
    Theorem 2.2, with the usual delta term). Column rules fitted on the data (quantiles, frequency
    hierarchies) couple rows further and are not covered.
    """
    g = max(1, int(group))
    eps = g * float(epsilon)
    person_delta = g * math.exp((g - 1) * float(epsilon)) * float(delta or 0.0)
    meaningful = person_delta < 1.0
    statement = (f"per person, group privacy over the up to {g} anonymized rows one record changes: ε = {eps:.3g}, "
                 f"δ = {person_delta:.2g}" if meaningful else
                 f"per person, group privacy over the up to {g} anonymized rows one record changes gives no "
                 f"meaningful bound (δ = {g} e^({g - 1} ε) δ ≥ 1)")
    return {"group_size": g, "epsilon": eps if meaningful else None,
            "delta": person_delta if meaningful else None, "statement": statement}


def parse_strategies(value: Union[str, Sequence[str]]) -> list[str]:
    """A comma-separated list or a sequence -> known strategy names in the canonical order."""
    names = [s.strip() for s in value.split(",")] if isinstance(value, str) else [str(s).strip() for s in value]
    names = [s for s in names if s]
    unknown = [s for s in names if s not in STRATEGIES]
    if unknown or not names:
        raise ValueError(f"unknown strateg{'y' if len(unknown) == 1 else 'ies'} {unknown or names}; "
                         f"choose from {', '.join(STRATEGIES)}")
    return [s for s in STRATEGIES if s in names]


# --------------------------------------------------------------------------------------------


def run_strategies(frame: pd.DataFrame, label: str, strategies: Sequence[str] = DEFAULT_STRATEGIES, *,
                   plan: Any = None, epsilons: Sequence[float] = DEFAULT_EPSILONS,
                   client_epsilons: Sequence[float] = DEFAULT_CLIENT_EPSILONS, seeds: int = 3, seed: int = 0,
                   clients: int = 10, rounds: int = 5, local_epochs: int = 2, fl_batch_size: int = 64,
                   fl_clip_norm: float = 1.0, partition: str = "iid", attacks: Sequence[str] = DEFAULT_ATTACKS,
                   reference_models: int = 0, baseline: bool = False, group_column: Optional[str] = None,
                   member_share: float = 0.5, hidden: Sequence[int] = (64, 32), epochs: int = 10,
                   batch_size: int = 256, learning_rate: float = 1e-3, clip_norm: float = 1.0,
                   delta: Optional[float] = None, max_rows: Optional[int] = None, canaries: int = 0,
                   anonymity_attacks: int = 0, progress: Optional[ProgressCallback] = None,
                   cancel: Optional[Callable[[], bool]] = None) -> StrategyComparison:
    """Run each of `strategies` (see the module doc) for seeds seed, seed+1, ... on the same split.

    plan: an analysis.anonymize.Plan (or its dict) for the anonymized strategies; without one they are
    skipped. epsilons: per-record budgets of dp / anonymized+dp / federated+dp (math.inf is ignored:
    that is `none`). client_epsilons: per-client budgets of dp-federated. clients, rounds, local_epochs,
    fl_batch_size, fl_clip_norm (DP-FedAvg's update clip), partition: the federated settings.
    attacks: threshold attack kinds ("threshold" = the loss family); reference_models > 0 adds RMIA.
    baseline: also a logistic regression per seed (same preprocessing and split), scored like the rest.
    canaries: m coin-flip canaries per seed in every run's training rows, for the one-run ε lower bound
    (`analysis.canary_audit`; 0: off); a federated run's canaries all sit in one client, scored on the
    final global model with the loss attack. With reference_models, the centralized strategies'
    RMIA uses reference models trained with the same strategy (`analysis.attacks.same_strategy`).
    anonymity_attacks: > 0 measures GDPR's singling out, linkability and inference for the raw and the
    anonymized training table (`analysis.anonymity`).
    cancel: polled during training (raises analysis.privacy.training.TrainingCancelled).
    """
    from analysis.privacy.dp import default_delta
    from analysis.tables import frame_fingerprint
    from analysis.tradeoff import _split

    chosen = parse_strategies(strategies)
    plan_obj = _plan(plan)
    finite = tuple(sorted({float(e) for e in epsilons if math.isfinite(float(e))}))
    client_eps = tuple(sorted({float(e) for e in client_epsilons}))
    if any(not (e > 0 and math.isfinite(e)) for e in client_eps):
        raise ValueError(f"client_epsilons must be positive finite numbers, got {list(client_epsilons)}")
    if reference_models and reference_models < 2:
        raise ValueError(f"reference_models must be 0 (off) or at least 2, got {reference_models}")
    kinds: list[str] = []
    for name in attacks:  # "threshold" names the default loss-threshold family
        for kind in (DEFAULT_ATTACKS if name == "threshold" else (name,)):
            if kind not in kinds:
                kinds.append(kind)
    training = TradeoffConfig(label=label, epsilons=finite + (math.inf,), seeds=int(seeds), seed=int(seed),
                              group_column=group_column, member_share=float(member_share),
                              hidden=tuple(int(h) for h in hidden), epochs=int(epochs), batch_size=int(batch_size),
                              learning_rate=float(learning_rate), clip_norm=float(clip_norm), delta=delta,
                              attacks=tuple(kinds), baseline=bool(baseline), max_rows=max_rows)
    config = StrategyConfig(strategies=tuple(chosen), training=training, client_epsilons=client_eps,
                            reference_models=int(reference_models), clients=int(clients), rounds=int(rounds),
                            local_epochs=int(local_epochs), fl_batch_size=int(fl_batch_size),
                            fl_clip_norm=float(fl_clip_norm), partition=str(partition),
                            plan=plan_obj.to_dict() if plan_obj is not None else None, canaries=int(canaries),
                            anonymity_attacks=int(anonymity_attacks))
    rows = _labelled_rows(frame, label, training)
    classes = sorted(rows[label].astype(str).unique().tolist())
    n_train = int(round(training.member_share * len(rows)))
    run_delta = delta if delta is not None else default_delta(n_train)

    skipped: dict[str, str] = {}
    options = _options(chosen, finite, client_eps, plan_obj, skipped)
    from analysis.attacks.same_strategy import CENTRALIZED

    shared_reference = bool(reference_models) and (baseline or any(s not in CENTRALIZED for s, _ in options))
    jobs_per_seed = len(options) + (1 if baseline else 0) + (1 if shared_reference else 0)
    canary_sets: dict[int, Any] = {}
    anonymity_memo: dict = {}
    from analysis.canary_audit import canary_count

    canary_total, canary_warning = canary_count(int(canaries), n_train)
    n_jobs = max(1, jobs_per_seed * training.seeds)
    runs: list[StrategyRun] = []
    done = 0
    for s in range(training.seed, training.seed + training.seeds):
        members, non_members = _split(rows, training.member_share, s)
        if canary_total:
            from analysis.canary_audit import draw_canaries

            canary_sets[s] = draw_canaries(rows, label, canary_total, seed=s)
        reference = None
        if shared_reference:
            report(progress, done / n_jobs, f"seed {s}: {reference_models} reference models for RMIA")
            reference = _reference(members, non_members, training, reference_models, s,
                                   scaled(progress, done / n_jobs, (done + 1) / n_jobs))
            done += 1
        for strategy, eps in options:
            done += 1
            if strategy in skipped:
                continue
            tag = f"{_name(strategy, eps)}, seed {s}"
            report(progress, (done - 1) / n_jobs, f"run {done}/{n_jobs}: {tag}")
            sub = scaled(progress, (done - 1) / n_jobs, done / n_jobs)
            sub = None if sub is None else (lambda f, m, tag=tag, sub=sub: sub(f, f"{tag}: {m}"))
            try:
                runs.append(_run_one(strategy, eps, members, non_members, rows, training, config, plan_obj,
                                     run_delta, s, reference, progress=sub, cancel=cancel,
                                     canaries=canary_sets.get(s), anonymity_memo=anonymity_memo))
            except (ValueError, _FlowerFailed) as exc:
                if not raised_here(exc):  # a library's error is a crash, not a reason to skip
                    raise
                skipped[strategy] = safe_message(exc)
        if baseline:
            done += 1
            runs.append(_baseline(members, non_members, training, s, reference))
    report(progress, 1.0, f"{len(runs)} runs done")
    summary = summarize(runs)
    exposure = _exposure(runs, rows, training, plan_obj)
    pick, reference_row, _ = choose_budget(summary)
    warnings: list[str] = [canary_warning] if canary_warning else []
    if delta is not None and delta >= 1.0 / n_train:
        warnings.append(f"delta = {delta:g} is at least 1/n = {1.0 / n_train:.3g} (n = {n_train} training rows); "
                        "use delta <= 1/(10 n).")
    from analysis.attacks.metrics import attributed_warnings  # scikit-learn: not at import time

    warnings += attributed_warnings(((r.name, r.warnings) for r in runs), every="Every run")
    return StrategyComparison(
        config=config, data_fingerprint=frame_fingerprint(frame), config_key=config.key(), n_rows=len(rows),
        classes=classes, runs=runs, skipped=[SkippedStrategy(k, v) for k, v in skipped.items()], summary=summary,
        recommendation=recommend(summary), delta=run_delta, recommended=pick.label if pick else None,
        recommended_strategy=pick.strategy if pick else None,
        recommended_epsilon=pick.epsilon_target if pick else None,
        recommended_accuracy_kept=accuracy_kept(pick, reference_row), warnings=warnings,
        versions=package_versions(), exposure=exposure)


def _exposure(runs, rows, training, plan):
    """The most exposed records of the first seed (analysis.attacks.exposed), when runs kept scores."""
    from analysis.attacks.exposed import most_exposed

    first = [r for r in runs if r.seed == training.seed and r.record_scores]
    if not first:
        return None
    members, _ = _split_of(rows, training)
    qis = list(plan.suppression.quasi_identifiers) if plan is not None and plan.suppression else None
    return most_exposed(members, training.label,
                        [(r.name, r.strategy, {k: v for k, v in r.record_scores.items() if k != "log_p"})
                         for r in first], quasi_identifiers=qis, seed=training.seed)


def _split_of(rows, training):
    from analysis.tradeoff import _split

    return _split(rows, training.member_share, training.seed)


def _plan(plan: Any):
    from analysis.anonymize import Plan

    if plan is None or isinstance(plan, Plan):
        return plan
    if isinstance(plan, dict):
        return Plan.from_dict(plan)
    raise ValueError(f"plan must be an analysis.anonymize.Plan or its dict, got {type(plan).__name__}")


def _labelled_rows(frame: pd.DataFrame, label: str, training: TradeoffConfig) -> pd.DataFrame:
    """The rows every strategy sees: labelled, optionally subsampled with the first seed."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError("frame must be a pandas DataFrame")
    if label not in frame.columns:
        raise ValueError(f"label column {label!r} is not in the table (columns: {list(frame.columns)})")
    group = training.group_column
    if group is not None and (group not in frame.columns or group == label):
        raise ValueError(f"group_column {group!r} must be a feature column of the table")
    rows = frame[frame[label].notna()].reset_index(drop=True)
    if training.max_rows is not None and len(rows) > training.max_rows:
        rows = rows.sample(n=training.max_rows, random_state=training.seed).reset_index(drop=True)
    classes = rows[label].astype(str).unique()
    if not 2 <= len(classes) <= 20:
        raise ValueError(f"label column {label!r} needs between 2 and 20 classes, it has {len(classes)}")
    if len(rows) < 20:
        raise ValueError(f"need at least 20 labelled rows, got {len(rows)}")
    return rows


def _options(chosen, finite, client_eps, plan, skipped) -> list[tuple[str, float]]:
    """(strategy, epsilon target) pairs to train per seed; strategies that cannot run go to `skipped`."""
    out: list[tuple[str, float]] = []
    for strategy in chosen:
        if strategy.startswith("anonymized") and plan is None:
            skipped[strategy] = "no anonymization plan given (pass --plan PLAN.yaml, or build one on the Anonymize page)"
            continue
        if strategy in _BUDGETED:
            if not finite:
                skipped[strategy] = "no finite epsilon in the budgets"
            out += [(strategy, e) for e in finite]
        elif strategy == "dp-federated":
            out += [(strategy, e) for e in client_eps]
        else:
            out.append((strategy, math.inf))
    return out


def _name(strategy: str, eps: float) -> str:
    if strategy == "dp-federated":
        return f"DP-FedAvg ε = {eps:g} per client"
    if math.isinf(eps):
        return TITLES[strategy]
    return f"{TITLES[strategy]} {budget_label(eps)}"


class _FlowerFailed(Exception):
    """A federated simulation that failed to run (reported as a skipped strategy, with its reason)."""


def _run_one(strategy, eps, members, non_members, rows, training, config, plan, delta, seed, reference, *,
             progress, cancel, canaries=None, anonymity_memo=None) -> StrategyRun:
    from analysis import privacy_axis as axis

    if strategy.startswith("federated") or strategy == "dp-federated":
        row = _federated(strategy, eps, members, non_members, rows, training, config, delta, seed, reference,
                         progress=progress, cancel=cancel, canaries=canaries)
        canary = None
        if canaries is not None:
            canary = axis.federated_canary_audit(row.model_object, canaries, training.label,
                                                 delta=row.delta if row.delta is not None else delta,
                                                 trained_on=row.details["canaries_in_training"], seed=seed)
        return axis.attach(row, row.model_object, canary=canary)
    from analysis.tradeoff import train_mlp

    train_rows, served, k, anon = axis.with_canaries(members, canaries), None, None, None
    if strategy.startswith("anonymized"):
        from analysis.anonymize.training import anonymize_training_rows

        train_rows, served, k, anon = anonymize_training_rows(train_rows, plan, training.label, seed)
    # canaries that reached the model (suppression may drop some); their index follows the members'
    canaries_trained = int((np.asarray(train_rows.index) >= len(members)).sum()) if canaries is not None else 0
    model, recipe = train_mlp(train_rows, training, eps, seed, delta,
                              validation=non_members if served is None else None, progress=progress, cancel=cancel)
    seconds = float(model.training.seconds)
    if served is not None:
        model = served(model)
    acc = model.privacy
    details = {"recipe": {k_: v for k_, v in recipe.describe().items() if k_ not in ("dp", "name")}}
    warnings = list(acc.warnings) if acc else []
    if acc is not None:
        details.update(clip_norm=training.clip_norm, sampling_rate=acc.sampling_rate, steps=acc.steps,
                       sampling_assumption=acc.sampling_assumption, microbatching=acc.microbatching,
                       preprocessing=acc.preprocessing)
    if anon is not None:
        details["anonymization"] = anon
    if acc is not None and anon is not None:
        # one person's record can change up to k_target anonymized rows (the measured k when no target)
        person = per_person_guarantee(acc.rdp_epsilon, acc.delta, anon.get("k_target") or k or 1)
        details["per_person"] = person
        warnings.append(f"ε = {acc.rdp_epsilon:.3g} is per anonymized row, not per person: {person['statement']}.")
    unit = "record" if acc is not None else "none"
    pool_reference = None
    if config.reference_models:
        import time

        start = time.perf_counter()
        pool_reference = axis.same_strategy_reference(strategy, eps, members, non_members, canaries, training,
                                                      config.reference_models, plan, delta, seed)
        details["reference_models"] = {"models": config.reference_models, "trained_like": "this strategy",
                                       "seconds": round(time.perf_counter() - start, 1)}
        reference = axis.audited_reference(pool_reference, len(members) + len(non_members))
    if canaries is not None:
        details["canaries_in_training"] = canaries_trained
    scores: dict = {}
    row = _row(strategy, eps, seed, model, members, non_members, training, reference,
               epsilon=acc.rdp_epsilon if acc else math.inf, pld=acc.pld_epsilon if acc else math.inf,
               run_delta=acc.delta if acc else None, unit=unit, k=k,
               noise=acc.noise_multiplier if acc else 0.0, seconds=seconds, n_train=len(train_rows),
               protects=_protects(strategy, k=k, plan=plan), details=details,
               warnings=warnings, scores_out=scores)
    canary = None
    if canaries is not None:
        canary = axis.canary_audit(model, canaries, training.label, pool_reference=pool_reference,
                                   audited_log_p=scores.get("log_p"), n_members=len(members),
                                   n_non_members=len(non_members), delta=acc.delta if acc else delta,
                                   trained_on=canaries_trained, seed=seed)
    anonymity = None
    if config.anonymity_attacks and anonymity_memo is not None:
        anonymity = axis.released_anonymity(strategy, members, non_members, plan, training.label, seed,
                                            anonymity_memo, config.anonymity_attacks)
    return axis.attach(row, model, canary=canary, scores=scores, anonymity=anonymity)


def _row(strategy, eps, seed, model, members, non_members, training, reference, *, epsilon, pld, run_delta,
         unit, k, noise, seconds, n_train, protects, details, warnings, name=None, accountant=None,
         model_kind: str = KERAS_MODEL, scores_out: Optional[dict] = None) -> StrategyRun:
    """Utility on the raw non-members and the attack set on the raw members vs non-members."""
    from analysis.tradeoff import _attacks, _split_hash, _utility

    utility = _utility(model, non_members, training)
    private = unit in ("record", "client") and math.isfinite(epsilon)
    attack_results = _attacks(model, members, non_members, training, (run_delta or 0.0) if unit == "record" else 0.0,
                              reference=reference, seed=seed, scores_out=scores_out)
    return StrategyRun(
        strategy=strategy, name=name or _name(strategy, eps), seed=int(seed), epsilon=float(epsilon),
        delta=run_delta, unit=unit, k=k, attacks=attack_results, train_seconds=float(seconds), protects=protects,
        epsilon_target=float(eps), pld_epsilon=float(pld), noise_multiplier=float(noise), model=model_kind,
        accountant=(accountant or ("RDP (PLD shown beside it)" if private else "none (non-private)")),
        n_train=int(n_train), n_members=len(members), n_non_members=len(non_members),
        split_hash=_split_hash(members), details=details, warnings=warnings, **utility).with_model(model)


def _federated(strategy, eps, members, non_members, rows, training, config, delta, seed, reference, *,
               progress, cancel, canaries=None) -> StrategyRun:
    """A federated strategy on this seed's split. `canaries` (an analysis.canary_audit.CanarySet): the ones
    the coins included all sit in one client (`run_federated(canaries=...)`, appended to its rows after the
    partition is drawn), so its local training, its DP-SGD and its accounting see them; `n_train`, the
    utility and the member / non-member attacks stay the real rows'."""
    from analysis.privacy.dp import DPConfig
    from analysis.privacy.federated import run_federated

    if len(members) < 2 * config.clients:
        raise ValueError(f"{config.clients} clients need at least {2 * config.clients} training rows; "
                         f"the split gives {len(members)}")
    client_dp = (DPConfig(target_epsilon=eps, delta=delta, clip_norm=training.clip_norm)
                 if strategy == "federated+dp" else None)
    try:
        result = run_federated(
            rows, training.label, clients=config.clients, rounds=config.rounds,
            strategy="dp-fedavg" if strategy == "dp-federated" else "fedavg", partition=config.partition,
            clip_norm=config.fl_clip_norm, target_epsilon=eps if strategy == "dp-federated" else None,
            local_epochs=config.local_epochs, batch_size=config.fl_batch_size,
            learning_rate=training.learning_rate, hidden=training.hidden, client_dp=client_dp,
            test_size=1.0 - training.member_share, audit_rows=50, attacks=training.attacks, seed=seed,
            canaries=canaries.training_rows() if canaries is not None else None, progress=progress, cancel=cancel)
    except RuntimeError as exc:
        if not raised_here(exc):
            raise
        raise _FlowerFailed(safe_message(exc)) from exc
    if result.n_train != len(members):  # the federated split must be this seed's split
        raise ValueError(f"the federated split has {result.n_train} training rows, not {len(members)}")
    details = {"clients": result.clients, "rounds": result.rounds, "partition": result.partition,
               "partition_sizes": result.partition_sizes, "local_epochs": config.local_epochs,
               "seconds_include": "the whole simulation (Ray start-up and per-round evaluation)"}
    if canaries is not None:
        details.update(canaries_in_training=result.canaries, canary_client=result.canary_client)
    if strategy == "dp-federated":
        acc = result.client_privacy
        details.update(clip_norm=acc.clip_norm, sampling_assumption=acc.sampling_assumption,
                       privacy_unit=acc.privacy_unit, adjacency=acc.adjacency, preprocessing=PREPROCESSING_FEDERATED)
        epsilon, pld, run_delta, noise, unit = acc.epsilon, acc.pld_epsilon, acc.delta, acc.noise_multiplier, "client"
        if canaries is not None:
            from analysis.privacy_axis import client_record_ceiling

            details["canary_record_epsilon_ceiling"] = client_record_ceiling(acc)
    elif strategy == "federated+dp":
        acc = result.sample_privacy
        details.update(sampling_assumption=acc.sampling_assumption, microbatching=acc.microbatching,
                       accounting="the worst client's DP-SGD (rounds x local epochs over its own rows"
                                  + (", the canary client's canaries included)" if canaries is not None else ")"),
                       preprocessing=PREPROCESSING_FEDERATED)
        epsilon, pld, run_delta, noise, unit = acc.epsilon, acc.pld_epsilon, acc.delta, acc.noise_multiplier, "record"
    else:
        epsilon, pld, run_delta, noise, unit = math.inf, math.inf, None, 0.0, "none"
    return _row(strategy, eps, seed, result.model, members, non_members, training, reference,
                epsilon=epsilon, pld=pld, run_delta=run_delta, unit=unit, k=None, noise=noise,
                seconds=result.seconds, n_train=result.n_train, protects=result.protects,
                details=details, warnings=list(result.warnings))


def _reference(members, non_members, training: TradeoffConfig, n_models: int, seed: int, progress):
    """Reference models for RMIA: the non-private MLP recipe (what an attacker would guess) trained on
    balanced halves of the audited records; shared by every strategy of the seed."""
    from analysis.attacks.reference import train_reference_models
    from analysis.attacks.scores import audit_data
    from analysis.models.keras_tabular import KerasMLPRecipe

    label = training.label
    m, nm = members.copy(), non_members.copy()
    if not pd.api.types.is_numeric_dtype(m[label]):
        m[label], nm[label] = m[label].astype(str), nm[label].astype(str)
    data = audit_data(m, nm, label)
    recipe = KerasMLPRecipe(hidden=training.hidden, epochs=training.epochs, batch_size=training.batch_size,
                            learning_rate=training.learning_rate)
    return train_reference_models(recipe, data.features, data.labels, n_models=n_models, seed=seed,
                                  progress=progress)


def _baseline(members, non_members, training, seed, reference) -> StrategyRun:
    """A logistic regression (scikit-learn, the MLP's preprocessing) scored like every other row."""
    import time

    from sklearn.linear_model import LogisticRegression

    from analysis.models.keras_tabular import TabularPreprocessor

    label = training.label
    prep = TabularPreprocessor().fit(members.drop(columns=[label]))
    start = time.perf_counter()
    clf = LogisticRegression(max_iter=1000, random_state=seed)
    clf.fit(prep.transform(members.drop(columns=[label])), members[label].astype(str).to_numpy())
    seconds = time.perf_counter() - start
    details = {"recipe": {"model": "LogisticRegression", "max_iter": 1000, "preprocessing": prep.describe()}}
    return _row("baseline", math.inf, seed, _SklearnTabular(prep, clf), members, non_members, training, reference,
                epsilon=math.inf, pld=math.inf, run_delta=None, unit="none", k=None, noise=0.0, seconds=seconds,
                n_train=len(members), protects=_protects("baseline"), details=details, warnings=[],
                model_kind=BASELINE_MODEL)


class _SklearnTabular:
    """A fitted scikit-learn classifier behind its preprocessor: raw feature columns in."""

    def __init__(self, prep, clf):
        self.prep, self.clf = prep, clf
        self.classes_ = np.asarray(clf.classes_)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        return self.clf.predict_proba(self.prep.transform(features))


PREPROCESSING_FEDERATED = ("ε covers the training only: the preprocessing (standardization, category vocabularies) "
                           "is fitted once on the clients' pooled rows without DP (a simulation shortcut)")


def _protects(strategy: str, *, k: Optional[int] = None, plan=None) -> str:
    qis = ", ".join(plan.suppression.quasi_identifiers) if plan is not None and plan.suppression else ""
    k_text = f"k = {k} on {qis}" if k is not None and qis else "its column rules"
    return {
        "none": "Nothing: the model trains on the raw rows, and the attacks show what it leaks.",
        "baseline": "Nothing: a non-private logistic regression, the reference point for utility.",
        "anonymized": (f"The plan generalizes and suppresses the training rows ({k_text}), which limits "
                       "re-identification from the table itself; it gives the model no formal guarantee, and the "
                       "attacks query it with the raw records."),
        "dp": ("DP-SGD bounds what the model reveals about any one training record (ε per record; the "
               "preprocessing is fitted without DP and is outside ε)."),
        "anonymized+dp": (f"The plan protects the table ({k_text}) and DP-SGD bounds what the model reveals about "
                          "any one anonymized training row (ε per anonymized row, not per person: one person's "
                          "record can change up to k rows through suppression; the preprocessing is outside ε)."),
    }[strategy]
