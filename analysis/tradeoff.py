"""The privacy-utility trade-off's shared parts: the training recipe, the scoring and the one rule.

`analysis.strategies.run_strategies` is the engine (every protection, DP-SGD budgets included, on one
split); this module holds what it and the report build on:
- `TradeoffConfig`: the label, budgets, seeds, split, MLP and DP-SGD settings and attacks of a run;
- the seeded members / non-members split (`split_for_seed`), the MLP recipe (`train_mlp`), and the
  scoring every run gets: utility on the non-members (accuracy, ROC AUC, F1, accuracy per value of
  `group_column`) and the membership-inference attack set on all members against all non-members;
- `summarize` (means over seeds per option), `choose_budget` (the one recommendation rule), `recommend`
  (its sentence), and the DP bound on any attack (`dp_bound_tpr`, `within_dp_bound`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd

from analysis.results import Result

DEFAULT_EPSILONS = (0.5, 1.0, 2.0, 4.0, 8.0, math.inf)
DEFAULT_ATTACKS = ("loss", "loss_per_class")
FPR_KEYS = ("0.001", "0.01")
RETENTION_TARGET = 0.95  # a budget "keeps utility" when its accuracy is >= 95% of the non-private one
MAX_GROUPS = 12
KERAS_MODEL = "keras_mlp"
BASELINE_MODEL = "logistic_regression"


@dataclass(frozen=True)
class TradeoffConfig(Result):
    """Every setting that shapes a trade-off run (the cache key is a hash of this plus the data)."""

    label: str
    epsilons: tuple[float, ...] = DEFAULT_EPSILONS
    seeds: int = 3
    seed: int = 0
    group_column: Optional[str] = None
    member_share: float = 0.5
    hidden: tuple[int, ...] = (64, 32)
    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    clip_norm: float = 1.0
    delta: Optional[float] = None
    attacks: tuple[str, ...] = DEFAULT_ATTACKS
    baseline: bool = True
    max_rows: Optional[int] = None

    def __post_init__(self) -> None:
        if not self.epsilons:
            raise ValueError("epsilons must name at least one budget")
        for eps in self.epsilons:
            if not (eps > 0):
                raise ValueError(f"every epsilon must be > 0 (math.inf for non-private), got {eps!r}")
        if self.seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {self.seeds!r}")
        if not 0.05 <= self.member_share <= 0.95:
            raise ValueError(f"member_share must be in [0.05, 0.95], got {self.member_share!r}")
        if self.max_rows is not None and self.max_rows < 20:
            raise ValueError(f"max_rows must be >= 20, got {self.max_rows!r}")
        from analysis.attacks.threshold import THRESHOLD_KINDS

        unknown = [a for a in self.attacks if a not in THRESHOLD_KINDS]
        if unknown:
            raise ValueError(f"unknown attack(s) {unknown}; choose from {THRESHOLD_KINDS}")

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, default=str).encode()).hexdigest()


class AttackColumns:
    """The attack columns of a run with an `attacks` list (analysis.strategies.StrategyRun)."""

    def tpr_at(self, fpr_key: str) -> float:
        """The highest TPR at the given FPR ("0.001" or "0.01") over the run's attacks."""
        values = [a.tpr_at_fpr.get(fpr_key, math.nan) for a in self.attacks]
        return float(max(values)) if values else math.nan

    @property
    def attack_auc(self) -> float:
        return float(max(a.auc for a in self.attacks)) if self.attacks else math.nan


@dataclass(frozen=True)
class BudgetSummary(Result):
    """Mean and spread over seeds for one budget (or the baseline): one row of the trade-off table."""

    model: str
    epsilon_target: float
    label: str
    runs: int
    epsilon: float
    pld_epsilon: float
    noise_multiplier: float
    accuracy: float
    accuracy_std: float             # sample sd over seeds; nan with one seed (no spread to show)
    roc_auc: float
    f1: float
    tpr_at_0_1pct: float
    tpr_at_1pct: float
    attack_auc: float
    train_seconds: float
    # Which protection the row measures (analysis.strategies); empty in an older stored DP grid, which
    # `strategy_of` reads as "none" (non-private MLP), "dp" (a budget) or "baseline" (logistic regression).
    strategy: str = ""
    unit: str = ""                  # privacy unit of `epsilon`: record, client or none ("" = from the budget)
    k: Optional[float] = None       # k-anonymity of the training rows (anonymized strategies)
    delta: Optional[float] = None


def budget_label(epsilon_target: float) -> str:
    return "non-private" if math.isinf(epsilon_target) else f"ε = {epsilon_target:g}"


# --------------------------------------------------------------------------------------------


def _split(rows: pd.DataFrame, member_share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Members (training set) and non-members (held out), a seeded random split of the rows."""
    order = np.random.default_rng(seed).permutation(len(rows))
    n_members = int(round(member_share * len(rows)))
    return rows.iloc[np.sort(order[:n_members])], rows.iloc[np.sort(order[n_members:])]


def _split_hash(members: pd.DataFrame) -> str:
    return hashlib.sha256(np.asarray(members.index, dtype=np.int64).tobytes()).hexdigest()[:16]


def split_for_seed(frame: pd.DataFrame, label: str, *, member_share: float = 0.5, seed: int = 0,
                   max_rows: Optional[int] = None):
    """The (members, non_members) split `analysis.strategies.run_strategies` uses for `seed` (for audits
    and tests)."""
    rows = frame[frame[label].notna()].reset_index(drop=True)
    if max_rows is not None and len(rows) > max_rows:
        rows = rows.sample(n=max_rows, random_state=seed).reset_index(drop=True)
    return _split(rows, member_share, seed)


def train_mlp(train_rows: pd.DataFrame, config: TradeoffConfig, eps: float, seed: int, delta: float, *,
              validation: Optional[pd.DataFrame] = None, progress=None, cancel=None):
    """The trade-off's MLP recipe trained on `train_rows` (raw columns with the label), with DP-SGD at
    `eps` unless it is math.inf. Returns (model, recipe). `validation`: held-out rows for the curves."""
    from analysis.models.keras_tabular import KerasMLPRecipe
    from analysis.privacy.dp import DPConfig

    dp = None if math.isinf(eps) else DPConfig(target_epsilon=eps, delta=delta, clip_norm=config.clip_norm)
    recipe = KerasMLPRecipe(hidden=config.hidden, epochs=config.epochs, batch_size=config.batch_size,
                            learning_rate=config.learning_rate, dp=dp)
    label = config.label
    held_out = None if validation is None else (validation.drop(columns=[label]), validation[label].to_numpy())
    model = recipe.fit(train_rows.drop(columns=[label]), train_rows[label].to_numpy(), seed=seed,
                       progress=progress, cancel=cancel, validation=held_out)
    return model, recipe


def _labels_like(model, values: np.ndarray) -> np.ndarray:
    """Labels in the dtype of model.classes_ (strings when the model learned strings)."""
    return values.astype(str) if model.classes_.dtype.kind in "OUT" else values


def _utility(model, non_members: pd.DataFrame, config: TradeoffConfig) -> dict[str, Any]:
    from sklearn.metrics import f1_score, roc_auc_score

    label = config.label
    features = non_members.drop(columns=[label])
    truth = _labels_like(model, non_members[label].to_numpy())
    proba = model.predict_proba(features)
    predicted = model.classes_[np.argmax(proba, axis=1)]
    correct = predicted == truth
    classes = model.classes_
    present = np.isin(truth, classes)
    try:
        if len(classes) == 2:
            auc = float(roc_auc_score(truth[present] == classes[1], proba[present, 1]))
            f1 = float(f1_score(truth == classes[1], predicted == classes[1], zero_division=0))
        else:
            auc = float(roc_auc_score(truth[present], proba[present], multi_class="ovr", labels=classes))
            f1 = float(f1_score(truth, predicted, average="macro", zero_division=0))
    except ValueError:  # a class absent from the held-out rows
        auc, f1 = math.nan, float(f1_score(truth, predicted, average="macro", zero_division=0))
    groups: dict[str, float] = {}
    if config.group_column is not None:
        values = non_members[config.group_column].astype(object).where(non_members[config.group_column].notna(),
                                                                      "(missing)").astype(str)
        top = values.value_counts().index[:MAX_GROUPS]
        for value in top:
            groups[str(value)] = float(correct[(values == value).to_numpy()].mean())
        rest = ~values.isin(top).to_numpy()
        if rest.any():
            groups["(other)"] = float(correct[rest].mean())
    return {"accuracy": float(correct.mean()), "roc_auc": auc, "f1": f1, "group_accuracy": groups}


def _attacks(model, members, non_members, config: TradeoffConfig, delta: float, *, reference=None,
             seed: int = 0, scores_out: Optional[dict] = None) -> list:
    """The attack set every run gets: the threshold attacks of `config.attacks` on all members against all
    non-members, plus RMIA (offline and online) when `reference` holds reference-model outputs on the
    same records (members then non-members, `analysis.attacks.reference.train_reference_models`).
    scores_out: filled with attack name -> (per-record scores, settings) and "log_p" -> the target's
    log p_y on the same records, for the most exposed records (`analysis.attacks.exposed`)."""
    from analysis.attacks.metrics import membership_metrics
    from analysis.attacks.scores import audit_data, model_outputs
    from analysis.attacks.threshold import threshold_attacks

    label = config.label
    m = members.copy()
    nm = non_members.copy()
    if model.classes_.dtype.kind in "OUT":
        m[label] = m[label].astype(str)
        nm[label] = nm[label].astype(str)
    data = audit_data(m, nm, label)
    labels = _labels_like(model, np.asarray(data.labels))
    outputs = model_outputs(model, data.features, labels)
    data = type(data)(features=data.features, labels=labels, is_member=data.is_member)
    scores = threshold_attacks(outputs, data, kinds=config.attacks)
    if reference is not None:
        from analysis.attacks.rmia import rmia_attacks

        scores += rmia_attacks(outputs, data, reference, outputs.log_p, variants=("offline", "online"), seed=seed)
    if scores_out is not None:
        scores_out.update({s.name: (s.scores, s.settings) for s in scores}, log_p=outputs.log_p)
    return [membership_metrics(s.scores, s.is_member, name=s.name, description=s.description,
                               settings=s.settings, delta=delta) for s in scores]


# --------------------------------------------------------------------------------------------


def strategy_of(row: Any) -> str:
    """The strategy a run or summary row measures: its `strategy` field, or for a plain DP grid row
    "none" (non-private MLP), "dp" (a DP-SGD budget) or "baseline" (logistic regression)."""
    name = getattr(row, "strategy", None) if not isinstance(row, dict) else row.get("strategy")
    if name:
        return str(name)
    model = getattr(row, "model", None) if not isinstance(row, dict) else row.get("model")
    if model not in (KERAS_MODEL, None, ""):
        return "baseline"
    eps = getattr(row, "epsilon_target", math.inf) if not isinstance(row, dict) else row.get("epsilon_target")
    return "none" if eps is None or math.isinf(eps) else "dp"


def unit_of(row: Any) -> str:
    """The privacy unit of a row's epsilon: its `unit`, or "record" for a DP-SGD budget, else "none"."""
    unit = getattr(row, "unit", None)
    if unit:
        return str(unit)
    return "record" if strategy_of(row) == "dp" else "none"


def summarize(runs: Sequence[Any]) -> list[BudgetSummary]:
    """One row per (strategy, model, budget), in the order the runs first give them: means over seeds
    (accuracy also with its standard deviation) of analysis.strategies.StrategyRun rows."""
    keys: list[tuple[str, str, float]] = []
    for r in runs:
        key = (r.strategy, r.model, r.epsilon_target)
        if key not in keys:
            keys.append(key)
    out = []
    for strategy, model, eps in keys:
        group = [r for r in runs if (r.strategy, r.model, r.epsilon_target) == (strategy, model, eps)]
        mean = lambda values: float(np.nanmean(values)) if len(values) else math.nan  # noqa: E731
        ks = [r.k for r in group if r.k is not None]
        deltas = [r.delta for r in group if r.delta is not None]
        out.append(BudgetSummary(
            model=model, epsilon_target=eps, label=group[0].budget_label, runs=len(group),
            epsilon=mean([r.epsilon for r in group]), pld_epsilon=mean([r.pld_epsilon for r in group]),
            noise_multiplier=mean([r.noise_multiplier for r in group]),
            accuracy=mean([r.accuracy for r in group]),
            accuracy_std=float(np.std([r.accuracy for r in group], ddof=1)) if len(group) > 1 else math.nan,  # 1 seed: none
            roc_auc=mean([r.roc_auc for r in group]), f1=mean([r.f1 for r in group]),
            tpr_at_0_1pct=mean([r.tpr_at("0.001") for r in group]), tpr_at_1pct=mean([r.tpr_at("0.01") for r in group]),
            attack_auc=mean([r.attack_auc for r in group]), train_seconds=mean([r.train_seconds for r in group]),
            strategy=strategy, unit=group[0].unit,
            k=float(min(ks)) if ks else None, delta=float(max(deltas)) if deltas else None))
    return out


def guarantee_order(row: BudgetSummary) -> tuple:
    """How strong a row's formal guarantee is, strongest first: an epsilon per person (smaller first),
    then an epsilon per client, then k-anonymity alone (larger k first), then no guarantee; within
    equal guarantees the lower measured TPR at 0.1% FPR, then the higher accuracy. DP-SGD on anonymized
    rows (a k beside an epsilon per record) counts at its per-person epsilon k x epsilon (group privacy,
    `strategies.per_person_guarantee`), so k never ranks it above plain DP-SGD at the same epsilon. On a
    plain DP grid this is simply the budgets in increasing order."""
    unit = unit_of(row)
    eps = row.epsilon_target if row.epsilon_target is not None else math.inf
    k = -(row.k or 0.0)
    tpr = row.tpr_at_0_1pct if row.tpr_at_0_1pct == row.tpr_at_0_1pct else math.inf
    acc = -(row.accuracy if row.accuracy == row.accuracy else -math.inf)
    if unit == "record" and math.isfinite(eps):
        coupled = max(1.0, float(row.k)) if row.k is not None and row.k == row.k else 1.0
        return (0, eps * coupled, 0.0, tpr, acc)
    if unit == "client" and math.isfinite(eps):
        return (1, eps, 0.0, tpr, acc)
    if row.k is not None:
        return (2, k, 0.0, tpr, acc)
    return (3, 0.0, 0.0, tpr, acc)


def choose_budget(summary: Sequence[BudgetSummary], *, retention: float = RETENTION_TARGET
                  ) -> tuple[Optional[BudgetSummary], Optional[BudgetSummary], bool]:
    """(chosen, non-private reference, whether chosen meets the target): of the protected options
    (every MLP row but the non-private one, in `guarantee_order`), the first that keeps `retention`
    of the non-private accuracy, else the last (the weakest guarantee: on a DP grid the largest
    budget). The one rule the sentence, the result's fields, the report and the gate use, for a DP
    grid and for a comparison of strategies alike."""
    keras = [s for s in summary if s.model == KERAS_MODEL]
    reference = next((s for s in keras if strategy_of(s) == "none"), None)
    protected = sorted((s for s in keras if strategy_of(s) not in ("none", "baseline")), key=guarantee_order)
    if reference is None or not protected:
        return None, reference, False
    ok = [s for s in protected if s.accuracy >= retention * reference.accuracy]
    return (ok[0] if ok else protected[-1]), reference, bool(ok)


def accuracy_kept(chosen: Optional[BudgetSummary], reference: Optional[BudgetSummary]) -> Optional[float]:
    if chosen is None or reference is None or not reference.accuracy > 0:
        return None
    return chosen.accuracy / reference.accuracy


def option_name(row: BudgetSummary) -> str:
    """How the recommendation names an option: "epsilon 2" for a DP-SGD budget, else its label."""
    return f"epsilon {row.epsilon_target:g}" if strategy_of(row) == "dp" else row.label


def recommend(summary: Sequence[BudgetSummary], *, retention: float = RETENTION_TARGET) -> str:
    """One sentence from the measured means: the option `choose_budget` picks, and what it does to the
    strongest attack's TPR at 0.1% FPR; with other strategies than DP-SGD, what the single protections
    leave beside it."""
    chosen, reference, meets = choose_budget(summary, retention=retention)
    if chosen is None:
        return ("Include both the non-private model and at least one protected option (a finite epsilon) to "
                "get a recommendation.")
    seeds = f"mean of {reference.runs} seed{'s' if reference.runs != 1 else ''}"
    kept = accuracy_kept(chosen, reference)
    kept = math.nan if kept is None else kept
    tpr_part = (f"brings TPR at 0.1% FPR from {_pct(reference.tpr_at_0_1pct)} to {_pct(chosen.tpr_at_0_1pct)} "
                f"(strongest attack)")
    if chosen.tpr_at_0_1pct <= 2 * 0.001:
        tpr_part += ", at chance"
    note = ""
    if reference.tpr_at_0_1pct <= 2 * 0.001:
        note = ("; the non-private model already leaks little to these attacks (TPR near the 0.1% of chance), "
                "so the protection buys a worst-case guarantee more than a measured reduction")
    others = _other_options(summary, chosen)
    if meets:
        return (f"{option_name(chosen)} keeps {kept:.0%} of non-private accuracy "
                f"({chosen.accuracy:.3f} vs {reference.accuracy:.3f}) and {tpr_part}{others}{note}; {seeds}.")
    grid = all(strategy_of(s) in ("none", "dp", "baseline") for s in summary)
    what, which = ("budget", "the largest") if grid else ("option", "the weakest guarantee")
    return (f"No {what} tested keeps {retention:.0%} of non-private accuracy: {which}, {option_name(chosen)}, "
            f"keeps {kept:.0%} ({chosen.accuracy:.3f} vs {reference.accuracy:.3f}) and "
            f"{tpr_part}{others}{note}; try a larger budget, more epochs or a larger batch; {seeds}.")


def _other_options(summary: Sequence[BudgetSummary], chosen: BudgetSummary) -> str:
    """", anonymized (k = 5) alone leaves TPR at 0.1% FPR at 0.90%, ..." for the single protections
    without a budget (anonymized, federated) other than the chosen one; empty on a DP grid."""
    parts = [f"{s.label} leaves {_pct(s.tpr_at_0_1pct)}" for s in summary
             if s is not chosen and s.model == KERAS_MODEL and strategy_of(s) in ("anonymized", "federated")]
    return f"; at 0.1% FPR, {', '.join(parts)}" if parts else ""


def _pct(value: float) -> str:
    """4.1% above 1%, 0.20% below (small rates need the second decimal)."""
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.1%}" if value >= 0.01 or value == 0 else f"{value:.2%}"


def dp_bound_tpr(epsilon: float, delta: float, fpr: Sequence[float]) -> np.ndarray:
    """The largest TPR any membership attack can reach at each FPR against an (epsilon, delta)-DP
    model: min(1, e^epsilon * FPR + delta) (Kairouz et al. 2015). Shape of `fpr`."""
    fpr = np.asarray(fpr, dtype=float)
    if math.isinf(epsilon):
        return np.ones_like(fpr)
    return np.minimum(1.0, math.exp(epsilon) * fpr + (delta or 0.0))


def within_dp_bound(run, attack=None) -> bool:
    """True when every ROC point of a run's attacks (an analysis.strategies.StrategyRun) lies under the DP
    bound, allowing for sampling error: the lower 95% Clopper-Pearson bound of each TPR is compared with
    the bound at the upper 95% bound of its FPR."""
    from analysis.attacks.metrics import clopper_pearson

    if not run.private:
        return True
    attacks = run.attacks if attack is None else [attack]
    for a in attacks:
        for f, t in zip(a.roc_fpr, a.roc_tpr):
            tp = int(round(t * a.n_members))
            fp = int(round(f * a.n_non_members))
            tpr_lo = clopper_pearson(tp, a.n_members)[0]
            fpr_hi = clopper_pearson(fp, a.n_non_members)[1]
            if tpr_lo > dp_bound_tpr(run.epsilon, run.delta or 0.0, [fpr_hi])[0] + 1e-12:
                return False
    return True
