"""What anonymization cost: the original table versus the anonymized one, row-aligned by index.

- cells_changed_share: share of the original cells (rows x columns, dropped rows and columns
  included) whose value differs in the output; cells_suppressed_share: those replaced by the
  suppression marker (or blanked); rows_dropped.
- Per-column distribution distance, one documented measure per case:
    total_variation  both categorical and the output values come from the original domain:
                     0.5 * sum |p - q| over values (0 = same distribution, 1 = disjoint);
    ks               both numeric: two-sample Kolmogorov-Smirnov statistic (max CDF gap, in [0, 1]),
                     with the 1-Wasserstein distance in the column's units alongside;
    entropy_loss     values were generalized or replaced (new domain): 1 - H(out)/H(original),
                     the share of the column's Shannon entropy lost (0 = none, 1 = everything);
    dropped          the column is not in the output (distance 1).
- Quick model: the same seeded pipeline (one-hot categories, scaled numbers, logistic regression)
  trained on 70% and scored on 30% of each table (the same row ids in both), so the accuracy drop
  is the predictive utility lost.
"""

from __future__ import annotations

import functools

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from analysis.results import Result, package_versions

_versions = functools.lru_cache(maxsize=1)(package_versions)  # reading package metadata is slow

_MAX_MODEL_ROWS = 10000


@dataclass(frozen=True)
class ColumnDistance(Result):
    column: str
    metric: str            # total_variation, ks, entropy_loss, dropped
    distance: float        # in [0, 1]; lower is closer to the original
    wasserstein: Optional[float] = None
    changed_share: float = 0.0


@dataclass(frozen=True)
class UtilityReport(Result):
    rows_original: int
    rows_anonymized: int
    rows_dropped: int
    rows_dropped_share: float
    cells_changed_share: float
    cells_suppressed_share: float
    columns: list[ColumnDistance]
    mean_distance: float
    label: Optional[str]
    accuracy_original_score: Optional[float]
    accuracy_anonymized_score: Optional[float]
    accuracy_drop: Optional[float]
    model: str
    seed: int
    versions: dict = field(default_factory=lambda: dict(_versions()))


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _entropy(counts: pd.Series) -> float:
    p = counts.to_numpy(dtype=float) / counts.sum()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def _diff(original: pd.Series, anonymized: pd.Series) -> np.ndarray:
    """Per kept row: did the value change? (missing on both sides is no change)."""
    o = original.loc[anonymized.index]
    if _is_numeric(o) and _is_numeric(anonymized):
        ov, av = o.to_numpy(float, na_value=np.nan), anonymized.to_numpy(float, na_value=np.nan)
        both_nan = np.isnan(ov) & np.isnan(av)
        return (ov != av) & ~both_nan
    ot, at = _as_text(o), _as_text(anonymized)
    on, an = ot.isna().to_numpy(), at.isna().to_numpy()
    differ = (ot != at).to_numpy(dtype=bool)  # vectorized (Arrow) comparison; missing compares unequal
    return differ & ~(on & an)


def _as_text(series: pd.Series) -> pd.Series:
    """Values as `str` (integers through Arrow, much faster than astype for millions of rows)."""
    if pd.api.types.is_integer_dtype(series) and not series.hasnans:
        import pyarrow as pa

        text = pa.array(series.to_numpy()).cast(pa.string()).to_numpy(zero_copy_only=False)  # by position
        return pd.Series(text, index=series.index).astype("str")
    return series.astype("str")


def _ks_wasserstein(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Two-sample KS statistic (max |F - G|) and 1-Wasserstein distance (integral of |F - G|)."""
    x, y = np.sort(x), np.sort(y)
    grid = np.concatenate([x, y])
    grid.sort(kind="mergesort")
    gap = np.abs(np.searchsorted(x, grid, side="right") / len(x) - np.searchsorted(y, grid, side="right") / len(y))
    return float(gap.max()), float((gap[:-1] * np.diff(grid)).sum())


def column_distance(original: pd.Series, anonymized: Optional[pd.Series], *, marker: str = "*",
                    changed: Optional[np.ndarray] = None) -> ColumnDistance:
    name = str(original.name)
    if anonymized is None:
        return ColumnDistance(column=name, metric="dropped", distance=1.0, changed_share=1.0)
    if changed is None:
        changed = _diff(original, anonymized)
    changed_share = float(changed.mean()) if len(changed) else 0.0
    if _is_numeric(original) and _is_numeric(anonymized):
        x, y = original.dropna().to_numpy(float), anonymized.dropna().to_numpy(float)
        if len(x) == 0 or len(y) == 0:  # all empty on both sides is unchanged; on one side, all lost
            return ColumnDistance(column=name, metric="ks", distance=0.0 if len(x) == len(y) else 1.0,
                                  changed_share=changed_share)
        ks, w1 = _ks_wasserstein(x, y)
        return ColumnDistance(column=name, metric="ks", distance=ks, wasserstein=w1, changed_share=changed_share)
    o_counts = original.astype("str").value_counts(dropna=False)
    a_counts = anonymized.astype("str").value_counts(dropna=False)
    domain = set(o_counts.index.dropna()) | {marker}
    if set(a_counts.index.dropna()) <= domain:
        p, q = o_counts / o_counts.sum(), a_counts / a_counts.sum()
        return ColumnDistance(column=name, metric="total_variation",
                              distance=float(0.5 * p.sub(q, fill_value=0).abs().sum()), changed_share=changed_share)
    h = _entropy(o_counts)
    loss = 0.0 if h == 0 else float(min(1.0, max(0.0, 1.0 - _entropy(a_counts) / h)))
    return ColumnDistance(column=name, metric="entropy_loss", distance=loss, changed_share=changed_share)


def compare_utility(original: pd.DataFrame, anonymized: pd.DataFrame, *, label: Optional[str] = None,
                    marker: str = "*", seed: int = 0, max_model_rows: int = _MAX_MODEL_ROWS) -> UtilityReport:
    """Before-versus-after utility. `anonymized` must keep the original index labels of its rows."""
    if not isinstance(original, pd.DataFrame) or not isinstance(anonymized, pd.DataFrame):
        raise ValueError("original and anonymized must be pandas DataFrames")
    if len(original) == 0:
        raise ValueError("original has no rows")
    extra = anonymized.index.difference(original.index)
    if len(extra):
        raise ValueError(f"anonymized has {len(extra)} row(s) whose index is not in original; "
                         "keep the original index when anonymizing")
    if label is not None and label not in original.columns:
        raise ValueError(f"label column {label!r} is not in the original table")
    n, kept = len(original), len(anonymized)
    columns, changed, suppressed = [], 0, 0
    for c in original.columns:
        if c not in anonymized.columns:
            columns.append(column_distance(original[c], None))
            changed += n
            continue
        diff = _diff(original[c], anonymized[c])
        columns.append(column_distance(original[c], anonymized[c], marker=marker, changed=diff))
        changed += int(diff.sum()) + (n - kept)
        if diff.any():
            a = anonymized[c][diff]
            o = original[c].loc[a.index]
            suppressed += int((a.astype("str").eq(marker).fillna(False) | (a.isna() & o.notna())).sum())
    total_cells = n * original.shape[1]
    acc_o = acc_a = None
    if label is not None and label in anonymized.columns:
        acc_o, acc_a = _quick_accuracy(original, anonymized, label, seed=seed, max_rows=max_model_rows)
    return UtilityReport(
        rows_original=n, rows_anonymized=kept, rows_dropped=n - kept, rows_dropped_share=(n - kept) / n,
        cells_changed_share=changed / total_cells if total_cells else 0.0,
        cells_suppressed_share=suppressed / total_cells if total_cells else 0.0,
        columns=columns, mean_distance=float(np.mean([c.distance for c in columns])) if columns else 0.0,
        label=label, accuracy_original_score=acc_o, accuracy_anonymized_score=acc_a,
        accuracy_drop=None if acc_o is None or acc_a is None else acc_o - acc_a,
        model="the logistic_regression recipe (analysis/models/recipes.py) on a 70/30 split", seed=seed)


def _features(frame: pd.DataFrame, label: str) -> list[str]:
    """Usable feature columns: numeric, or categorical with at most 50 values (no identifiers/free text)."""
    out = []
    for c in frame.columns:
        if c == label:
            continue
        s = frame[c]
        if _is_numeric(s) or s.nunique(dropna=True) <= 50:
            out.append(c)
    return out


def _quick_accuracy(original: pd.DataFrame, anonymized: pd.DataFrame, label: str, *, seed: int,
                    max_rows: int) -> tuple[Optional[float], Optional[float]]:
    """Accuracy of the project's logistic-regression recipe on a 70/30 split, original vs anonymized."""
    from threadpoolctl import threadpool_limits

    from analysis.models.recipes import SklearnRecipe

    recipe = SklearnRecipe("logistic_regression")
    rng = np.random.default_rng(seed)
    ids = anonymized.index.to_numpy()
    if len(ids) > max_rows:
        ids = rng.choice(ids, size=max_rows, replace=False)
    ids = rng.permutation(ids)
    cut = int(0.7 * len(ids))
    train, test = ids[:cut], ids[cut:]

    def score(frame: pd.DataFrame) -> Optional[float]:
        y = frame[label].astype("str")
        if y.loc[train].nunique() < 2 or len(test) == 0:
            return None
        feats = _features(frame, label)
        if not feats:
            return None
        # Generalized columns mix numbers, bin labels and suppressed cells: give the recipe plain
        # numbers or plain strings, with suppression as a category of its own.
        X = frame[feats].copy()
        for c in feats:
            if _is_numeric(X[c]):
                X[c] = X[c].astype(float)
            else:
                X[c] = X[c].astype("str").fillna("(missing)").astype(object)
        with threadpool_limits(1):  # a small model: threads only add contention
            model = recipe.fit(X.loc[train], y.loc[train].to_numpy(), seed=seed)
            return float(np.mean(model.predict(X.loc[test]) == y.loc[test].to_numpy()))

    return score(original), score(anonymized)
