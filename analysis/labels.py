"""Choosing a label safely: which columns to suggest as the target, and which features leak it.

- `is_protected_attribute`: a column named like sex, gender, race, ethnicity, age, religion, health,
  marital status or another GDPR special category is never suggested as the label (a model trained to
  predict it is a profiling tool, not what a data team usually means to audit).
- `leakage_check`: a feature that predicts the label almost perfectly on its own (held-out AUC or balanced
  accuracy >= 0.95) is usually the label in another form (`is_recid` next to `two_year_recid`, an
  `event` column equal to the outcome): a model trained with it reaches near-perfect accuracy and its
  attack results say little. Each feature is read alone: its values (numbers in up to 20 quantile bins)
  map to the label's majority on a seeded half of the rows and are scored on the other half
  (sklearn's `roc_auc_score` for a binary label, `balanced_accuracy_score` for any).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analysis.results import Result

LEAKAGE_THRESHOLD = 0.95
_PROTECTED_ENTITIES = {"GENDER", "NRP", "AGE", "RELIGION", "HEALTH", "MARITAL_STATUS"}
LABEL_TOKENS = {"target", "label", "class", "outcome", "income", "churn", "churned", "default", "y", "recid",
                "recidivism", "fraud", "survived", "converted", "response"}


def is_protected_attribute(column: str) -> bool:
    from analysis.pii import lexicons as lx
    from analysis.pii.refine import SPECIAL_ART9

    if lx.name_hint(column) in _PROTECTED_ENTITIES:
        return True
    return bool(set(lx.name_tokens(column)) & set(SPECIAL_ART9))


def is_label_like(column: str) -> bool:
    from analysis.pii import lexicons as lx

    low = column.lower()
    return bool(set(lx.name_tokens(column)) & LABEL_TOKENS) or any(low.startswith(h) for h in ("target", "label",
                                                                                              "class", "churn"))


def order_label_candidates(candidates: Sequence[str]) -> list[str]:
    """Protected attributes out; label-like names first (the last such column first: tables usually end
    with their outcome), then the rest in table order."""
    kept = [c for c in candidates if not is_protected_attribute(c)]
    like = [c for c in kept if is_label_like(c)][::-1]
    return like + [c for c in kept if c not in like]


@dataclass(frozen=True)
class FeatureLeak(Result):
    feature: str
    auc: Optional[float]           # binary labels only
    balanced_accuracy: float


@dataclass(frozen=True)
class LeakageReport(Result):
    """Features that predict `label` on their own at or above `threshold` (most predictive first), and the
    score of every feature read."""

    label: str
    threshold: float
    leaking: list[str]
    scores: list[FeatureLeak] = field(default_factory=list)
    rows: int = 0

    def message(self) -> str:
        if not self.leaking:
            return ""
        return (f"{', '.join(self.leaking)} predict{'s' if len(self.leaking) == 1 else ''} {self.label} almost "
                f"perfectly on {'its' if len(self.leaking) == 1 else 'their'} own (held-out AUC or balanced "
                f"accuracy >= {self.threshold:.2f}): probably the label in another form. Leave "
                f"{'it' if len(self.leaking) == 1 else 'them'} out of the features.")


def _codes(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series) and series.nunique() > 20:
        return pd.qcut(series, 20, duplicates="drop").astype("str")
    return series.astype("str")


def leakage_check(frame: pd.DataFrame, label: str, features: Optional[Sequence[str]] = None, *,
                  threshold: float = LEAKAGE_THRESHOLD, max_rows: int = 50_000, seed: int = 0) -> LeakageReport:
    """Score each feature alone against `label` (see the module docstring)."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    if label not in frame.columns:
        raise ValueError(f"label column {label!r} is not in the table")
    features = [c for c in (features if features is not None else frame.columns) if c != label]
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise ValueError(f"feature column(s) not in the table: {', '.join(map(str, missing))}")
    data = frame[frame[label].notna()]
    if len(data) > max_rows:
        data = data.sample(max_rows, random_state=seed)
    y = data[label].astype("str").to_numpy()
    rng = np.random.default_rng(seed)
    train = rng.random(len(data)) < 0.5
    classes = np.unique(y)
    scores = []
    if len(classes) < 2 or train.sum() < 10 or (~train).sum() < 10:
        return LeakageReport(label=str(label), threshold=threshold, leaking=[], scores=[], rows=int(len(data)))
    majority = pd.Series(y[train]).mode().iloc[0]
    positive = classes[-1]
    for column in features:
        codes = _codes(data[column]).to_numpy()
        counts = pd.DataFrame({"x": codes[train], "y": y[train]}).value_counts().unstack(fill_value=0)
        predict = counts.idxmax(axis=1).to_dict()  # each value -> its majority label on the training half
        test = pd.Series(codes[~train])
        predicted = test.map(predict).fillna(majority).to_numpy()
        balanced = float(balanced_accuracy_score(y[~train], predicted))
        auc = None
        if len(classes) == 2 and len(np.unique(y[~train])) == 2:
            rate = (counts.get(positive, 0) / counts.sum(axis=1)).to_dict()
            score = test.map(rate).fillna(float((y[train] == positive).mean())).to_numpy()
            auc = float(roc_auc_score(y[~train] == positive, score))
        scores.append(FeatureLeak(feature=str(column), auc=None if auc is None else round(auc, 4),
                                  balanced_accuracy=round(balanced, 4)))
    scores.sort(key=lambda s: -max(s.balanced_accuracy, s.auc or 0.0))
    leaking = [s.feature for s in scores if max(s.balanced_accuracy, s.auc or 0.0) >= threshold]
    return LeakageReport(label=str(label), threshold=threshold, leaking=leaking, scores=scores, rows=int(len(data)))
