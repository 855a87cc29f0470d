"""Data for a run: the seeded train/held-out split, the shared preprocessing, and client partitions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import pandas as pd

from analysis.privacy.federated.settings import FederatedSettings

_MISSING = "__missing__"


@dataclass
class _Prepared:
    train: pd.DataFrame
    test: pd.DataFrame
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    preprocessor: Any
    classes: np.ndarray
    x_canary: Optional[np.ndarray] = None   # canary rows for one client (never in train/test or the figures)
    y_canary: Optional[np.ndarray] = None

    @property
    def n_canaries(self) -> int:
        return 0 if self.y_canary is None else int(len(self.y_canary))


def _label_values(series: pd.Series) -> np.ndarray:
    values = series.to_numpy()
    return values.astype(str) if values.dtype.kind in "OUT" or str(series.dtype) in ("str", "string") else values


def _encode(classes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    lookup = {v: i for i, v in enumerate(classes.tolist())}
    return np.fromiter((lookup[v] for v in labels.tolist()), dtype=np.int64, count=len(labels))


def _prepare(frame: pd.DataFrame, label: str, settings: FederatedSettings,
             canaries: Optional[pd.DataFrame] = None) -> _Prepared:
    """The split, the shared preprocessor and the encoded rows. `canaries`: extra training rows (the
    table's columns) for one client; they join the preprocessor's fit, as the centralized runs' canaries
    join theirs (`KerasMLPRecipe.fit` fits on members + canaries), and stay out of `train` and `test`."""
    from analysis.models.keras_tabular import TabularPreprocessor

    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if label not in frame.columns:
        raise ValueError(f"label {label!r} is not a column of the data ({', '.join(map(str, frame.columns))})")
    if settings.partition != "iid" and settings.partition not in frame.columns:
        raise ValueError(f"partition must be 'iid' or a column of the data, got {settings.partition!r}")
    if frame.shape[1] < 2:
        raise ValueError("the data needs at least one feature column besides the label")
    data = frame[frame[label].notna()].reset_index(drop=True)
    if settings.max_rows is not None and len(data) > settings.max_rows:
        data = data.sample(n=settings.max_rows, random_state=settings.seed).reset_index(drop=True)
    labels = _label_values(data[label])
    classes = np.unique(labels)
    if len(classes) < 2:
        raise ValueError(f"label {label!r} needs at least 2 classes, got {classes.tolist()}")
    # The DP trade-off's split (analysis.tradeoff.split_for_seed): a seeded permutation, members first.
    order = np.random.default_rng(settings.seed).permutation(len(data))
    n_train = int(round((1.0 - settings.test_size) * len(data)))
    train = data.iloc[np.sort(order[:n_train])].reset_index(drop=True)
    test = data.iloc[np.sort(order[n_train:])].reset_index(drop=True)
    if len(train) < 2 * settings.clients:
        raise ValueError(f"clients={settings.clients} needs at least {2 * settings.clients} training rows, "
                         f"the data gives {len(train)}")
    if len(test) < 2:
        raise ValueError(f"test_size={settings.test_size} leaves {len(test)} held-out rows; need at least 2")
    features = [c for c in data.columns if c != label]
    fitted_on = train[features]
    if canaries is not None and len(canaries) == 0:  # the coins included none
        canaries = None
    if canaries is not None:
        _check_canaries(canaries, list(data.columns), label, classes)
        fitted_on = pd.concat([fitted_on, canaries[features]], ignore_index=True)
    preprocessor = TabularPreprocessor(max_categories=settings.max_categories).fit(fitted_on)
    y_train = _encode(classes, _label_values(train[label]))
    y_test = _encode(classes, _label_values(test[label]))
    prepared = _Prepared(train=train, test=test, x_train=preprocessor.transform(train[features]), y_train=y_train,
                         x_test=preprocessor.transform(test[features]), y_test=y_test,
                         preprocessor=preprocessor, classes=classes)
    if canaries is not None:
        prepared.x_canary = preprocessor.transform(canaries[features])
        prepared.y_canary = _encode(classes, _label_values(canaries[label]))
    return prepared


def _check_canaries(canaries: pd.DataFrame, columns: list, label: str, classes: np.ndarray) -> None:
    if not isinstance(canaries, pd.DataFrame) or set(canaries.columns) != set(columns):
        raise ValueError("canaries must be a table with exactly the data's columns")
    if canaries[label].isna().any():
        raise ValueError(f"every canary needs a value in the label column {label!r}")
    unknown = set(_label_values(canaries[label]).tolist()) - set(classes.tolist())
    if unknown:
        raise ValueError(f"{len(unknown)} canary label value(s) are not classes of the label column {label!r}")


def partition_rows(frame: pd.DataFrame, *, clients: int, by: str = "iid", seed: int = 0) -> list[np.ndarray]:
    """Split the rows of `frame` across `clients`: positional row indices per client, each sorted.

    by="iid": a seeded random permutation cut into near-equal parts.
    by=<column> (non-IID):
    - a numeric column with more distinct values than clients: rows sorted by the value and cut into
      contiguous near-equal ranges (client 0 holds the smallest values);
    - otherwise (categories, or few numbers): every value's rows stay together. With at least as many
      values as clients, values are dealt largest first to the client with the fewest rows; with fewer
      values than clients, each value gets clients in proportion to its rows (at least one) and its rows
      are split evenly among them, so every client holds a single value. Missing is a value of its own.
    Raises ValueError when a client would get fewer than 2 rows.
    """
    if not isinstance(clients, (int, np.integer)) or clients < 1:
        raise ValueError(f"clients must be an integer >= 1, got {clients!r}")
    n = len(frame)
    if n < 2 * clients:
        raise ValueError(f"clients={clients} needs at least {2 * clients} rows, got {n}")
    rng = np.random.default_rng(seed)
    if by == "iid":
        parts = np.array_split(rng.permutation(n), clients)
    else:
        if by not in frame.columns:
            raise ValueError(f"partition must be 'iid' or a column of the data, got {by!r}")
        series = frame[by]
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if numeric and series.nunique(dropna=True) > clients:
            values = series.astype("float64").to_numpy()
            tiebreak = rng.permutation(n)
            order = np.lexsort((tiebreak, np.where(np.isnan(values), np.inf, values)))
            parts = np.array_split(order, clients)
        else:
            parts = _partition_by_value(series, clients, rng)
    parts = [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]
    small = [i for i, p in enumerate(parts) if len(p) < 2]
    if small:
        raise ValueError(f"partition {by!r} leaves client(s) {small} with fewer than 2 rows; "
                         f"use fewer clients or partition='iid'")
    return parts


def _partition_by_value(series: pd.Series, clients: int, rng: np.random.Generator) -> list[np.ndarray]:
    tokens = series.astype(object).where(series.notna(), _MISSING).astype(str).to_numpy()
    values, inverse, counts = np.unique(tokens, return_inverse=True, return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (-counts[i], values[i]))
    groups = {i: rng.permutation(np.flatnonzero(inverse == i)) for i in order}
    if len(values) >= clients:
        parts: list[list[int]] = [[] for _ in range(clients)]
        for i in order:
            target = min(range(clients), key=lambda c: (len(parts[c]), c))
            parts[target].extend(groups[i].tolist())
        return [np.asarray(p) for p in parts]
    seats = {i: 1 for i in order}
    for _ in range(clients - len(values)):
        best = max(order, key=lambda i: (counts[i] / (seats[i] + 1), -order.index(i)))
        seats[best] += 1
    result: list[np.ndarray] = []
    for i in order:
        result.extend(np.array_split(groups[i], seats[i]))
    return result
