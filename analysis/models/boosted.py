"""XGBoost (`.json` / `.ubj` from `save_model`) and LightGBM (`.txt` from `save_model`) models, read by
their own libraries' native loaders from bytes (never pickle), behind the size limit.

Inputs: the model's feature names when they are table columns (models trained on a DataFrame), else
the table's numeric feature columns in table order (missing as NaN, which both libraries handle).
Outputs: raw margins from the booster, turned into probabilities with the objective's link
(sigmoid for binary, softmax for multi-class); classes are the sorted label values.
Reference models (LiRA / RMIA) retrain the same library with the file's parameters:
- LightGBM files store every training parameter; only those on an allow-list are reused
  (`lightgbm_checks.ALLOWED_PARAMETERS`: objective, learning rate, leaves, depth, rounds, regularisation,
  sampling, class counts), never machines, ports, files, threads or devices; the seed is replaced.
Both formats are parsed and checked in Python first (`xgboost_checks`, `lightgbm_checks`): the native
loaders trust their files' tree arrays and crash or hang on a few wrong indices.
- XGBoost files store the objective, the number of rounds and classes, and the trees, not the
  training parameters; `max_depth` is read from the deepest tree, the others are XGBoost's defaults
  (`describe()` says which came from where).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import pandas as pd

from analysis.models.gate import ModelLoadError, check_file_size
from analysis.models.lightgbm_checks import ALLOWED_PARAMETERS, check_lightgbm
from analysis.models.xgboost_checks import check_xgboost


def _labels_to_codes(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(labels)
    values = labels.astype(str) if labels.dtype.kind in "OUT" else labels
    classes = np.unique(values)
    return classes, np.searchsorted(classes, values)


def _link(margin: np.ndarray, n_classes: int) -> np.ndarray:
    margin = np.asarray(margin, dtype=np.float64)
    if margin.ndim == 1 or margin.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-margin.reshape(-1)))
        return np.column_stack([1.0 - p, p])
    shifted = np.exp(margin - margin.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _inputs(feature_names: Optional[list[str]], features: pd.DataFrame, width: int, name: str) -> list[str]:
    from analysis.models.columns import numeric_columns

    if feature_names and all(f in features.columns for f in feature_names):
        return list(feature_names)
    columns = numeric_columns(features)
    if len(columns) != width:
        raise ModelLoadError(f"the model '{name}' takes {width} features "
                             f"({', '.join(feature_names) if feature_names else 'unnamed'}); the data has "
                             f"{len(columns)} numeric feature columns ({', '.join(columns) or 'none'})")
    return columns


def _matrix(features: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = features[columns].copy()
    for c in columns:
        frame[c] = pd.to_numeric(frame[c]).astype("float64")
    return frame


class BoosterClassifier:
    """A FittedModel over raw feature columns backed by an XGBoost or LightGBM booster."""

    def __init__(self, library: str, booster: Any, columns: list[str], classes: np.ndarray):
        self.library = library
        self.booster = booster
        self.columns = list(columns)
        self.classes_ = np.asarray(classes)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        if len(features) == 0:
            return np.zeros((0, len(self.classes_)))
        x = _matrix(features, self.columns)
        if self.library == "xgboost":
            import xgboost as xgb

            margin = self.booster.predict(xgb.DMatrix(x.to_numpy()), output_margin=True, validate_features=False)
        else:
            margin = self.booster.predict(x.to_numpy(), raw_score=True)
        return _link(margin, len(self.classes_))


# ---------------------------------------------------------------- XGBoost

def load_xgboost(data: bytes, name: str) -> "BoostedModel":
    check_file_size(data, name)
    check_xgboost(data, name)  # every tree's arrays, indices and classes, before XGBoost's own parser sees it
    import xgboost as xgb  # only now: a refused file never loads the native library

    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(data))
    except Exception as exc:
        raise ModelLoadError(f"'{name}' is not an XGBoost model ({type(exc).__name__}).") from None
    config = json.loads(booster.save_config())
    objective = config["learner"]["objective"]["name"]
    if not objective.startswith(("binary:logistic", "binary:logitraw", "multi:softprob", "multi:softmax")):
        raise ModelLoadError(f"'{name}' is an XGBoost model with objective {objective!r}, not a classifier.")
    num_class = int(config["learner"]["learner_model_param"].get("num_class", "0"))
    depth = max((line.count("\t") for tree in booster.get_dump() for line in tree.splitlines()), default=0)
    params = {"objective": "multi:softprob" if num_class > 1 else "binary:logistic", "max_depth": max(depth, 1)}
    if num_class > 1:
        params["num_class"] = num_class
    recipe = XGBoostRecipe(params=tuple(sorted(params.items())), num_boost_round=int(booster.num_boosted_rounds()))
    return BoostedModel("xgboost", booster, list(booster.feature_names or []), int(booster.num_features()), recipe)


@dataclass(frozen=True)
class XGBoostRecipe:
    """Retrain XGBoost with the file's objective, rounds and tree depth (other parameters: defaults)."""

    params: tuple = ()
    num_boost_round: int = 100
    name: str = "xgboost_from_file"

    def fit(self, features: pd.DataFrame, labels: np.ndarray, *, seed: int, progress=None):
        import xgboost as xgb

        classes, codes = _labels_to_codes(labels)
        columns = _numeric(features)
        params = {**dict(self.params), "seed": int(seed), "nthread": 1, "verbosity": 0}
        booster = xgb.train(params, xgb.DMatrix(_matrix(features, columns).to_numpy(), label=codes),
                            num_boost_round=self.num_boost_round)
        return BoosterClassifier("xgboost", booster, columns, classes)

    def describe(self) -> dict[str, Any]:
        return {"recipe": self.name, "library": "xgboost", "num_boost_round": self.num_boost_round,
                "params_from_file": dict(self.params),
                "note": "XGBoost files keep no training parameters: objective, rounds and classes are the file's, "
                        "max_depth is the deepest tree's, the rest (eta 0.3, ...) are XGBoost defaults"}


def _numeric(features: pd.DataFrame) -> list[str]:
    from analysis.models.columns import numeric_columns

    return numeric_columns(features)


# ---------------------------------------------------------------- LightGBM

def load_lightgbm(data: bytes, name: str) -> "BoostedModel":
    check_file_size(data, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelLoadError(f"'{name}' is not a LightGBM text model (not UTF-8 text).") from None
    checked = check_lightgbm(text, name)  # every tree block, before LightGBM's own parser sees it
    import lightgbm as lgb  # only now: a refused file never loads the native library

    try:
        booster = lgb.Booster(model_str=checked.native_text)
    except Exception as exc:
        raise ModelLoadError(f"'{name}' is not a readable LightGBM model ({type(exc).__name__}).") from None
    recipe = LightGBMRecipe(params=tuple(sorted(checked.params.items())),
                            num_boost_round=int(booster.current_iteration()), dropped=checked.dropped)
    names = booster.feature_name()
    return BoostedModel("lightgbm", booster, list(names), int(booster.num_feature()), recipe)


@dataclass(frozen=True)
class LightGBMRecipe:
    """Retrain LightGBM with the file's training parameters that are on the allow-list
    (`lightgbm_checks.ALLOWED_PARAMETERS`; seed, threads and verbosity set here)."""

    params: tuple = ()
    num_boost_round: int = 100
    name: str = "lightgbm_from_file"
    dropped: tuple = ()

    def fit(self, features: pd.DataFrame, labels: np.ndarray, *, seed: int, progress=None):
        import lightgbm as lgb

        classes, codes = _labels_to_codes(labels)
        columns = _numeric(features)
        kept = {k: v for k, v in self.params if k in ALLOWED_PARAMETERS}  # again, whoever built the recipe
        params = {**kept, "seed": int(seed), "num_threads": 1, "verbosity": -1}
        booster = lgb.train(params, lgb.Dataset(_matrix(features, columns).to_numpy(), label=codes),
                            num_boost_round=self.num_boost_round)
        return BoosterClassifier("lightgbm", booster, columns, classes)

    def describe(self) -> dict[str, Any]:
        return {"recipe": self.name, "library": "lightgbm", "num_boost_round": self.num_boost_round,
                "params_from_file": dict(self.params), "params_not_used": list(self.dropped),
                "note": "only training parameters on the allow-list are used (objective, learning rate, leaves, "
                        "depth, regularisation, sampling, class counts); machines, ports, files, threads, device "
                        "and the rest of the file's parameters are not"}


# ---------------------------------------------------------------- both

@dataclass
class BoostedModel:
    library: str
    booster: Any = field(repr=False)
    feature_names: list[str]
    width: int
    reference: Any

    def describe_inputs(self) -> str:
        if self.feature_names and not all(f.startswith(("f", "Column_")) and f[-1].isdigit()
                                          for f in self.feature_names):
            return f"{self.library} features by name: {', '.join(self.feature_names)}"
        return "numeric feature columns of the table, in table order (missing as NaN)"

    def bind(self, features: pd.DataFrame, labels: np.ndarray, name: str) -> BoosterClassifier:
        columns = _inputs(self.feature_names, features, self.width, name)
        classes, _ = _labels_to_codes(np.asarray(labels))
        return BoosterClassifier(self.library, self.booster, columns, classes)

    def recipe(self, name: str):
        return self.reference
