"""A Keras MLP over any table: documented preprocessing, a recipe, and a FittedModel wrapper.

Preprocessing (`TabularPreprocessor`, fitted on the training rows only):
- numeric columns (numbers and booleans): missing values -> the training median, then standardized
  with the training mean and standard deviation (a constant column becomes 0);
- other columns: one-hot over the `max_categories` most frequent training values (missing counts as
  a value of its own), plus one "other" indicator for everything else, including values never seen
  in training;
- identifier-like columns (non-numeric with more distinct values than half the training rows, such as
  names, e-mails or free text) are dropped: a model cannot generalize from them and would only
  memorize them. They are listed in `dropped_columns`.

The MLP (`build_mlp_layers`): Dense(h, relu) for each h in `hidden`, then Dense(n_classes, softmax),
trained with sparse categorical cross-entropy by `analysis.privacy.training.fit_keras`, privately
with DP-SGD when the recipe has a `DPConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

from analysis.privacy.dp import DPConfig
from analysis.progress import ProgressCallback

OTHER = "__other__"
MISSING = "__missing__"


@dataclass
class TabularPreprocessor:
    """Raw feature columns -> a float32 matrix. Fit on training rows; state is plain JSON-able data."""

    max_categories: int = 20
    numeric: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # col -> (median, mean, std)
    categorical: dict[str, list[str]] = field(default_factory=dict)  # col -> kept values (then "other")
    dropped_columns: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    def fit(self, frame: pd.DataFrame) -> "TabularPreprocessor":
        if not isinstance(frame, pd.DataFrame) or frame.shape[1] == 0:
            raise ValueError("features must be a DataFrame with at least one column")
        if self.max_categories < 1:
            raise ValueError(f"max_categories must be >= 1, got {self.max_categories!r}")
        self.numeric, self.categorical, self.dropped_columns = {}, {}, []
        self.columns = [str(c) for c in frame.columns]
        n = len(frame)
        for col in frame.columns:
            series = frame[col]
            if _is_numeric(series):
                values = series.astype("float64")
                median = float(values.median()) if values.notna().any() else 0.0
                filled = values.fillna(median)
                std = float(filled.std(ddof=0))
                self.numeric[str(col)] = (median, float(filled.mean()), std if std > 0 else 1.0)
                continue
            tokens = _tokens(series)
            if tokens.nunique() > max(20, 0.5 * n):
                self.dropped_columns.append(str(col))
                continue
            counts = tokens.value_counts(sort=True)
            self.categorical[str(col)] = [str(v) for v in counts.index[: self.max_categories]]
        if not self.numeric and not self.categorical:
            raise ValueError("no usable feature column: every column looks like an identifier")
        return self

    @property
    def n_outputs(self) -> int:
        return len(self.numeric) + sum(len(v) + 1 for v in self.categorical.values())

    def feature_names(self) -> list[str]:
        names = list(self.numeric)
        for col, kept in self.categorical.items():
            names += [f"{col}={v}" for v in kept] + [f"{col}={OTHER}"]
        return names

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        if not self.columns:
            raise ValueError("TabularPreprocessor is not fitted yet")
        missing = [c for c in list(self.numeric) + list(self.categorical) if c not in frame.columns]
        if missing:
            raise ValueError(f"feature column(s) {missing} missing from the input")
        blocks = []
        for col, (median, mean, std) in self.numeric.items():
            values = frame[col].astype("float64").fillna(median).to_numpy()
            blocks.append(((values - mean) / std)[:, None])
        for col, kept in self.categorical.items():
            tokens = _tokens(frame[col]).to_numpy()
            index = {v: i for i, v in enumerate(kept)}
            codes = np.fromiter((index.get(t, len(kept)) for t in tokens), dtype=np.int64, count=len(tokens))
            onehot = np.zeros((len(tokens), len(kept) + 1), dtype=np.float32)
            onehot[np.arange(len(tokens)), codes] = 1.0
            blocks.append(onehot)
        return np.hstack(blocks).astype(np.float32) if blocks else np.zeros((len(frame), 0), np.float32)

    def describe(self) -> dict[str, Any]:
        return {"max_categories": self.max_categories, "numeric_columns": list(self.numeric),
                "categorical_columns": {c: len(v) for c, v in self.categorical.items()},
                "dropped_columns": list(self.dropped_columns), "n_features": self.n_outputs}


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _tokens(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), MISSING).astype(str)


def build_mlp_layers(n_inputs: int, n_classes: int, hidden=(64, 32)) -> list:
    """Dense(h, relu) per hidden width, then Dense(n_classes, softmax). All layers are in the default
    fast-clipping registry of tensorflow-privacy. `n_inputs` is checked here; the Input layer is
    added by `fit_keras` from the data's shape."""
    import tensorflow as tf

    if n_inputs < 1:
        raise ValueError(f"n_inputs must be >= 1, got {n_inputs!r}")
    if n_classes < 2:
        raise ValueError(f"n_classes must be >= 2, got {n_classes!r}")
    if any(int(h) < 1 for h in hidden):
        raise ValueError(f"hidden widths must be >= 1, got {tuple(hidden)!r}")
    layers = [tf.keras.layers.Dense(int(h), activation="relu", name=f"hidden_{i}") for i, h in enumerate(hidden)]
    layers.append(tf.keras.layers.Dense(int(n_classes), activation="softmax", name="output"))
    return layers


class KerasTabularModel:
    """A trained MLP plus its preprocessing: a FittedModel over raw feature columns."""

    def __init__(self, preprocessor: TabularPreprocessor, classes: np.ndarray, training):
        self.preprocessor = preprocessor
        self.classes_ = np.asarray(classes)
        self.training = training  # analysis.privacy.training.KerasTrainingResult
        self.model = training.model

    @property
    def privacy(self):
        return self.training.privacy

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        x = self.preprocessor.transform(features)
        if len(x) == 0:
            return np.zeros((0, len(self.classes_)))
        chunks = [np.asarray(self.model(x[i:i + 8192], training=False)) for i in range(0, len(x), 8192)]
        proba = np.concatenate(chunks).astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(features), axis=1)]


@dataclass
class KerasMLPRecipe:
    """How to train the tabular MLP (optionally with DP-SGD); `fit` with the same seed gives the same model."""

    hidden: tuple[int, ...] = (64, 32)
    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    dp: Optional[DPConfig] = None
    max_categories: int = 20

    def __post_init__(self) -> None:
        self.hidden = tuple(int(h) for h in self.hidden)
        if not self.hidden or any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden must be positive widths, got {self.hidden!r}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")

    @property
    def name(self) -> str:
        return "keras_mlp" if self.dp is None else "keras_mlp_dp"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "hidden": list(self.hidden), "epochs": self.epochs,
                "batch_size": self.batch_size, "learning_rate": self.learning_rate,
                "max_categories": self.max_categories, "optimizer": "adam",
                "dp": None if self.dp is None else self.dp.to_dict()}

    def fit(self, features: pd.DataFrame, labels: np.ndarray, *, seed: int,
            progress: Optional[ProgressCallback] = None,
            cancel: Optional[Callable[[], bool]] = None, validation=None) -> KerasTabularModel:
        """Train on raw feature columns and label values. `validation`: optional (features, labels)."""
        from analysis.privacy.training import fit_keras

        labels = np.asarray(labels)
        if len(labels) != len(features):
            raise ValueError(f"features has {len(features)} rows but labels has {len(labels)}")
        if pd.isna(pd.Series(labels)).any():
            raise ValueError("labels contain missing values; drop those rows first")
        classes = np.unique(labels.astype(str) if labels.dtype.kind in "OUT" else labels)
        if len(classes) < 2:
            raise ValueError(f"labels need at least 2 classes, got {classes.tolist()}")
        y = _encode(classes, labels)
        preprocessor = TabularPreprocessor(max_categories=self.max_categories).fit(features)
        x = preprocessor.transform(features)
        validation_data = None
        if validation is not None:
            vx, vy = validation
            validation_data = (preprocessor.transform(vx), _encode(classes, np.asarray(vy)))
        n_inputs, n_classes = x.shape[1], len(classes)
        training = fit_keras(lambda: build_mlp_layers(n_inputs, n_classes, self.hidden), x, y,
                             loss="sparse_categorical_crossentropy", dp=self.dp, epochs=self.epochs,
                             batch_size=self.batch_size, learning_rate=self.learning_rate, seed=seed,
                             validation_data=validation_data, progress=progress, cancel=cancel)
        return KerasTabularModel(preprocessor, classes, training)


def _encode(classes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    values = labels.astype(str) if labels.dtype.kind in "OUT" else labels
    lookup = {v: i for i, v in enumerate(classes.tolist())}
    try:
        return np.fromiter((lookup[v] for v in values.tolist()), dtype=np.int64, count=len(values))
    except KeyError as exc:
        raise ValueError("the label column holds a class that was not among the training labels; "
                         "the values are not shown") from None
