"""Load a model file safely, then check it fits the data before any attack runs.

Every file first passes the gate (analysis/models/gate.py): archive limits and member names,
bounded reads of the JSON inside, and the format's allow-list, before a loader sees the bytes.

Formats
- `.skops` (scikit-learn): read with `skops.io`; never unpickled. The types skops does not trust by
  default are sorted by the gate: the ones the built-in recipes need are trusted automatically; other
  scikit-learn / NumPy / SciPy types need the user's confirmation (`trusted_types`; refused with
  `UntrustedTypesError` until then); anything else is refused outright (`RefusedTypesError`), and so
  is a trust list naming it.
- `.keras` (Keras v3 zip format): config.json must pass the gate's allow-list of built-in Keras
  layers (no Lambda / TFOpLambda, no functions, no custom objects, no constant nodes); Keras
  (`safe_mode=True`, `compile=False`) then loads an archive rebuilt from the checked members only.
- `.pkl`, `.pickle`, `.joblib`: refused. Loading a pickle runs whatever code it names. Convert it in
  an environment you trust: load it with joblib there, then `skops.io.dump(model, "model.skops")`.

Input mapping (what the model is fed)
- A scikit-learn model fitted on a DataFrame (it has `feature_names_in_`, e.g. a Pipeline with its
  preprocessing) receives those raw columns by name; other columns are ignored.
- A scikit-learn model fitted on a plain array, and every Keras model, receive the **numeric
  feature columns of the table in table order** (label excluded; booleans as 0/1; missing values as
  0; no scaling) as a float32 matrix. The model's input width must equal that number of columns.
  Its outputs are class probabilities: k softmax units in the order of the sorted label values, or
  one sigmoid unit meaning P(second sorted label) for a binary label.
A model whose inputs or classes do not fit the data is refused with `ModelLoadError`. Errors name
the column and the kind of problem, never a cell value (analysis/models/errors.py).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from analysis.models import gate
from analysis.models.columns import numeric_columns, numeric_matrix
from analysis.models.errors import scoring_error, value_free
from analysis.models.gate import ModelLoadError

SKOPS_EXTENSIONS = (".skops",)
KERAS_EXTENSIONS = (".keras",)
ONNX_EXTENSIONS = (".onnx",)
XGBOOST_EXTENSIONS = (".json", ".ubj")
LIGHTGBM_EXTENSIONS = (".txt",)
PICKLE_EXTENSIONS = (".pkl", ".pickle", ".joblib", ".pck", ".sav")
SUPPORTED_MODEL_EXTENSIONS = (SKOPS_EXTENSIONS + KERAS_EXTENSIONS + ONNX_EXTENSIONS + XGBOOST_EXTENSIONS
                              + LIGHTGBM_EXTENSIONS)
FOREIGN_KINDS = ("onnx", "xgboost", "lightgbm")  # loaded by analysis/models/onnx_model.py and boosted.py
CONVERT_HINT = ("Pickle and joblib files can run arbitrary code when they are opened, so they are refused. "
                "Convert the model in an environment you trust: load it there with joblib, then "
                "`skops.io.dump(model, 'model.skops')`, and load model.skops here.")


class UntrustedTypesError(ModelLoadError):
    """The .skops file holds scikit-learn / NumPy / SciPy types the user must confirm; `.types` lists them."""

    def __init__(self, name: str, types: list[str]):
        self.types = list(types)
        super().__init__(f"'{name}' holds scikit-learn / NumPy / SciPy types that are not trusted automatically: "
                         f"{', '.join(types)}. Check each one; trust them only if you trust where the file "
                         "came from.")


class RefusedTypesError(ModelLoadError):
    """The .skops file holds types outside scikit-learn / NumPy / SciPy; it is never loaded."""

    def __init__(self, name: str, refused: list[str], confirmable: list[str]):
        self.types = list(refused)
        extra = (f" It also holds types that would need confirmation: {', '.join(confirmable)}."
                 if confirmable else "")
        super().__init__(f"'{name}' was refused: it holds types refused outright (outside scikit-learn, NumPy "
                         f"and SciPy, or ones that read or write files or run code): {', '.join(refused)}. "
                         f"No trust setting loads it.{extra}")


@dataclass(frozen=True)
class ModelInspection:
    """What can be known about a model file before loading it."""

    name: str
    kind: str  # "sklearn" or "keras"
    fingerprint: str
    untrusted_types: list[str]  # need the user's confirmation (scikit-learn / NumPy / SciPy)
    auto_trusted_types: list[str] = field(default_factory=list)  # what the built-in recipes need
    refused_types: list[str] = field(default_factory=list)  # never loaded, whatever the user says


@dataclass(frozen=True)
class LoadedModel:
    """A model read from a file. `bind(frame, label)` checks it against data and returns a FittedModel."""

    name: str
    kind: str  # "sklearn" or "keras"
    fingerprint: str  # SHA-256 of the file
    estimator: Any = field(repr=False, compare=False)
    trusted_types: list[str] = field(default_factory=list)

    def input_description(self) -> str:
        if self.kind in FOREIGN_KINDS:
            return self.estimator.describe_inputs()
        if self.kind == "sklearn" and hasattr(self.estimator, "feature_names_in_"):
            return f"raw columns by name: {', '.join(map(str, self.estimator.feature_names_in_))}"
        return "numeric feature columns of the table, in table order (missing as 0, unscaled)"

    def bind(self, frame: pd.DataFrame, label: str):
        """A FittedModel over `frame`'s feature columns; ModelLoadError when it does not fit the data."""
        if label not in frame.columns:
            raise ModelLoadError(f"label column {label!r} is not in the data")
        features = frame.drop(columns=[label])
        labels = frame[label].dropna().to_numpy()
        if self.kind in FOREIGN_KINDS:
            model = self.estimator.bind(features, labels, self.name)
        elif self.kind == "sklearn" and hasattr(self.estimator, "feature_names_in_"):
            expected = [str(c) for c in self.estimator.feature_names_in_]
            missing = [c for c in expected if c not in features.columns]
            if missing:
                raise ModelLoadError(f"the model '{self.name}' expects column(s) {missing} that the data lacks "
                                     f"(label {label!r} is not a feature)")
            model = self.estimator
        else:
            width = _input_width(self.estimator, self.kind)
            columns = numeric_columns(features)
            if width is not None and width != len(columns):
                raise ModelLoadError(
                    f"the model '{self.name}' takes {width} inputs but the data has {len(columns)} numeric "
                    f"feature columns ({', '.join(columns) or 'none'}); a model without column names "
                    "must take the numeric columns in table order")
            if self.kind == "keras":
                model = KerasNumericModel(self.estimator, columns, np.unique(labels.astype(str)
                                          if labels.dtype.kind in "OUT" else labels))
            else:
                model = NumericColumnsModel(self.estimator, columns)
        classes = set(np.asarray(model.classes_).tolist())
        unknown = sorted({str(v) for v in labels.tolist() if v not in classes})
        if unknown:
            raise ModelLoadError(f"the model '{self.name}' predicts classes {sorted(map(str, classes))} but the "
                                 f"label column {label!r} also holds {len(unknown)} other value(s)")
        model = ValueFreeModel(model, self.name)
        proba = np.asarray(model.predict_proba(features.head(5)))
        if proba.ndim != 2 or proba.shape[1] != len(model.classes_):
            raise ModelLoadError(f"the model '{self.name}' returned outputs of shape {proba.shape}, not one "
                                 f"probability per class ({len(model.classes_)})")
        return model

    def recipe(self):
        """How to retrain this model for reference models (LiRA / RMIA)."""
        if self.kind in FOREIGN_KINDS:
            return self.estimator.recipe(self.name)
        if self.kind == "sklearn":
            from analysis.models.recipes import EstimatorRecipe

            estimator = self.estimator
            return EstimatorRecipe(estimator=estimator, name=f"clone of {self.name}")
        return KerasConfigRecipe(config_json=self.estimator.to_json(), name=f"retrain of {self.name}")


def _input_width(estimator: Any, kind: str) -> Optional[int]:
    if kind == "keras":
        shape = estimator.input_shape
        if isinstance(shape, list):
            raise ModelLoadError("the Keras model has several inputs; only single-input models are supported")
        return int(shape[-1]) if shape and shape[-1] is not None else None
    width = getattr(estimator, "n_features_in_", None)
    return int(width) if width is not None else None


class NumericColumnsModel:
    """A scikit-learn model fitted on an array, fed the table's numeric columns in order."""

    def __init__(self, estimator: Any, columns: list[str]):
        self.estimator = estimator
        self.columns = list(columns)
        self.classes_ = np.asarray(estimator.classes_)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator.predict_proba(numeric_matrix(features, self.columns)))


class KerasNumericModel:
    """A Keras model fed the table's numeric columns in order; classes are the sorted label values."""

    def __init__(self, model: Any, columns: list[str], classes: np.ndarray):
        self.model = model
        self.columns = list(columns)
        self.classes_ = np.asarray(classes)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        x = numeric_matrix(features, self.columns)
        if len(x) == 0:
            return np.zeros((0, len(self.classes_)))
        out = np.concatenate([np.asarray(self.model(x[i:i + 8192], training=False))
                              for i in range(0, len(x), 8192)]).astype(np.float64)
        if out.ndim == 1 or out.shape[1] == 1:
            p = np.clip(out.reshape(-1), 0.0, 1.0)
            out = np.column_stack([1.0 - p, p])
        if out.shape[1] != len(self.classes_):
            raise ValueError(f"the Keras model has {out.shape[1]} outputs but the label has "
                             f"{len(self.classes_)} classes")
        return out / np.clip(out.sum(axis=1, keepdims=True), 1e-12, None)


@dataclass(frozen=True)
class KerasConfigRecipe:
    """Retrain a loaded Keras architecture from its config (fresh weights) on the numeric columns.

    Compiled with Adam(learning_rate) and cross-entropy; `epochs` / `batch_size` as given (the file's
    own training schedule is not stored in a .keras file, so these are documented defaults).
    """

    config_json: str = field(repr=False)
    name: str = "keras_config"
    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3

    def fit(self, features: pd.DataFrame, labels: np.ndarray, *, seed: int, progress=None):
        import tensorflow as tf

        tf.keras.utils.set_random_seed(int(seed))
        model = tf.keras.models.model_from_json(self.config_json)
        labels = np.asarray(labels)
        classes = np.unique(labels.astype(str) if labels.dtype.kind in "OUT" else labels)
        values = labels.astype(str) if labels.dtype.kind in "OUT" else labels
        y = np.searchsorted(classes, values)
        binary = model.output_shape[-1] == 1
        model.compile(optimizer=tf.keras.optimizers.Adam(self.learning_rate),
                      loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy")
        columns = numeric_columns(features)
        model.fit(numeric_matrix(features, columns), y.astype("float32") if binary else y, epochs=self.epochs,
                  batch_size=self.batch_size, verbose=0, shuffle=True)
        return KerasNumericModel(model, columns, classes)

    def describe(self) -> dict[str, Any]:
        return {"recipe": self.name, "epochs": self.epochs, "batch_size": self.batch_size,
                "learning_rate": self.learning_rate, "optimizer": "adam",
                "inputs": "numeric feature columns in table order"}


# --------------------------------------------------------------------------------------------


def _kind(name: str) -> str:
    ext = Path(name).suffix.lower()
    if ext in PICKLE_EXTENSIONS:
        raise ModelLoadError(f"'{name}' is a {ext} file. {CONVERT_HINT}")
    if ext in SKOPS_EXTENSIONS:
        return "sklearn"
    if ext in KERAS_EXTENSIONS:
        return "keras"
    if ext in ONNX_EXTENSIONS:
        return "onnx"
    if ext in XGBOOST_EXTENSIONS:
        return "xgboost"
    if ext in LIGHTGBM_EXTENSIONS:
        return "lightgbm"
    raise ModelLoadError(f"'{name}' has {ext or 'no extension'}; model files must be "
                         f"{', '.join(SUPPORTED_MODEL_EXTENSIONS)} (scikit-learn via skops, Keras v3 format, "
                         "ONNX, XGBoost .json/.ubj, LightGBM .txt)")


def _check_zip(data: bytes, name: str, kind: str) -> None:
    if not data:
        raise ModelLoadError(f"'{name}' is empty.")
    if data[:2] == b"\x80\x04" or data[:1] == b"\x80":
        raise ModelLoadError(f"'{name}' is a pickle, not a {kind} file. {CONVERT_HINT}")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        fmt = "skops" if kind == "sklearn" else "Keras v3 (.keras)"
        raise ModelLoadError(f"'{name}' is not a model file: it is not in the {fmt} format.")


def inspect_model(data: bytes, name: str) -> ModelInspection:
    """Kind, fingerprint and (for .skops) the types sorted by the gate, after every gate check."""
    kind = _kind(name)
    data = bytes(data)
    gate.check_file_size(data, name)
    sorted_types = gate.SkopsTypes([], [], [])
    if kind in FOREIGN_KINDS:
        if data[:1] == b"\x80":
            raise ModelLoadError(f"'{name}' is a pickle, not a {kind} file. {CONVERT_HINT}")
        return ModelInspection(name=name, kind=kind, fingerprint=hashlib.sha256(data).hexdigest(), untrusted_types=[])
    _check_zip(data, name, kind)
    if kind == "sklearn":
        import skops.io as sio

        gate.check_skops_archive(data, name)
        try:
            sorted_types = gate.sort_skops_types(sio.get_untrusted_types(data=data))
        except Exception as exc:
            raise ModelLoadError(f"'{name}' is not a readable skops file ({type(exc).__name__}).") from None
    else:
        gate.clean_keras_archive(data, name)
    return ModelInspection(name=name, kind=kind, fingerprint=hashlib.sha256(data).hexdigest(),
                           untrusted_types=sorted_types.needs_confirmation,
                           auto_trusted_types=sorted_types.auto_trusted, refused_types=sorted_types.refused)


def load_model(data: bytes, name: str, *, trusted_types: Optional[list[str]] = None,
               onnx_columns: Optional[list[str]] = None, onnx_output: str = "auto",
               reference_recipe: Optional[str] = None) -> LoadedModel:
    """Load a model from the bytes of a `.skops` or `.keras` file named `name`, after the gate.

    `trusted_types`: scikit-learn / NumPy / SciPy types the user confirmed (anything else in it is
    refused). ONNX only: `onnx_columns` feeds a single tensor input these columns in this order,
    `onnx_output` reads the output as "probabilities" / "logits" ("auto": decided from the values),
    `reference_recipe` picks the recipe of the reference models (default: suggested from the graph). Raises RefusedTypesError, UntrustedTypesError, or ModelLoadError for pickles, unknown
    extensions, files over a limit, refused Keras layers, damaged or non-model files.
    """
    trusted = gate.check_trust_request(trusted_types)
    info = inspect_model(data, name)
    data = bytes(data)
    if info.kind in FOREIGN_KINDS:
        return LoadedModel(name=name, kind=info.kind, fingerprint=info.fingerprint,
                           estimator=_load_foreign(data, name, info.kind, onnx_columns, onnx_output,
                                                   reference_recipe))
    if info.kind == "sklearn":
        import skops.io as sio

        if info.refused_types:
            raise RefusedTypesError(name, info.refused_types, info.untrusted_types)
        pending = [t for t in info.untrusted_types if t not in trusted]
        if pending:
            raise UntrustedTypesError(name, pending)
        try:
            estimator = sio.loads(data, trusted=info.auto_trusted_types + info.untrusted_types or None)
        except Exception as exc:
            raise ModelLoadError(f"'{name}' could not be loaded by skops ({value_free(exc)}).") from None
        if not (hasattr(estimator, "predict_proba") and hasattr(estimator, "classes_")):
            raise ModelLoadError(f"'{name}' holds a {type(estimator).__name__}, not a fitted classifier with "
                                 "predict_proba and classes_.")
        return LoadedModel(name=name, kind="sklearn", fingerprint=info.fingerprint, estimator=estimator,
                           trusted_types=list(info.untrusted_types))
    return LoadedModel(name=name, kind="keras", fingerprint=info.fingerprint,
                       estimator=_load_keras(data, name))


def _load_foreign(data: bytes, name: str, kind: str, columns, output: str, reference_recipe):
    if kind == "onnx":
        from analysis.models.onnx_model import OnnxModel, check_onnx, suggest_recipe, zipmap_classes

        proto = check_onnx(data, name)
        if reference_recipe is not None:
            from analysis.models.recipes import get_recipe

            try:
                get_recipe(reference_recipe)
            except ValueError as exc:
                raise ModelLoadError(str(exc)) from None
        return OnnxModel(data, suggest_recipe(proto), zipmap_classes(proto), columns=list(columns) if columns else None,
                         output=output, reference_recipe=reference_recipe)
    from analysis.models.boosted import load_lightgbm, load_xgboost

    return load_xgboost(data, name) if kind == "xgboost" else load_lightgbm(data, name)


def _load_keras(data: bytes, name: str):
    clean, _ = gate.clean_keras_archive(data, name)
    import tensorflow as tf

    fd, path = tempfile.mkstemp(suffix=".keras")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(clean)  # only the checked members, bounded by the gate's limits
        try:
            model = tf.keras.models.load_model(path, safe_mode=True, compile=False)
        except Exception as exc:
            raise ModelLoadError(f"'{name}' could not be loaded as a Keras model in safe mode "
                                 f"({value_free(exc)}).") from None
    finally:
        os.unlink(path)
    if not hasattr(model, "input_shape"):
        raise ModelLoadError(f"'{name}' does not hold a Keras model with a defined input.")
    return model


class ValueFreeModel:
    """A bound model whose scoring errors name the column and the kind of problem, never a value."""

    def __init__(self, model: Any, name: str):
        self.model = model
        self.name = name
        self.classes_ = np.asarray(model.classes_)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        try:
            return np.asarray(self.model.predict_proba(features))
        except Exception as exc:
            raise scoring_error(exc, self.name, features.head(50), self.model.predict_proba) from None


def dump_skops(model: Any) -> bytes:
    """The bytes of a .skops file for a scikit-learn model (what `privacy-audit train` writes)."""
    import skops.io as sio

    return sio.dumps(model)
