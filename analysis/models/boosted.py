"""XGBoost (`.json` / `.ubj` from `save_model`) and LightGBM (`.txt` from `save_model`) models, read by
their own libraries' native loaders from bytes (never pickle), behind the size limit.

Inputs: the model's feature names when they are table columns (models trained on a DataFrame), else
the table's numeric feature columns in table order (missing as NaN, which both libraries handle).
Outputs: raw margins from the booster, turned into probabilities with the objective's link
(sigmoid for binary, softmax for multi-class); classes are the sorted label values.
Reference models (LiRA / RMIA) retrain the same library with the file's parameters:
- LightGBM files store every training parameter; all are reused, with the seed replaced.
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

from analysis.models.gate import ModelLoadError, check_file_size, check_json_depth, limits


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
    import xgboost as xgb

    check_file_size(data, name)
    if name.lower().endswith(".json"):
        check_json_depth(data, f"'{name}'", limits().json_depth)  # before XGBoost's own parser sees it
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

_LGB_DROP = {"num_iterations", "num_threads", "seed", "bagging_seed", "feature_fraction_seed", "extra_seed",
             "drop_seed", "data_random_seed", "objective_seed", "device_type", "metric", "verbosity",
             "saved_feature_importance_type", "deterministic"}


def load_lightgbm(data: bytes, name: str) -> "BoostedModel":
    import lightgbm as lgb

    check_file_size(data, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelLoadError(f"'{name}' is not a LightGBM text model (not UTF-8 text).") from None
    if not text.startswith("tree\n"):
        raise ModelLoadError(f"'{name}' is not a LightGBM text model (it does not start with 'tree').")
    try:
        booster = lgb.Booster(model_str=text)
    except Exception as exc:
        raise ModelLoadError(f"'{name}' is not a readable LightGBM model ({type(exc).__name__}).") from None
    params = dict(booster.params)
    objective = str(params.get("objective", ""))
    if not objective.startswith(("binary", "multiclass", "softmax", "cross_entropy")):
        raise ModelLoadError(f"'{name}' is a LightGBM model with objective {objective!r}, not a classifier.")
    kept = {k: v for k, v in params.items() if k not in _LGB_DROP and not isinstance(v, (list, dict))}
    recipe = LightGBMRecipe(params=tuple(sorted(kept.items())), num_boost_round=int(booster.current_iteration()))
    names = booster.feature_name()
    return BoostedModel("lightgbm", booster, list(names), int(booster.num_feature()), recipe)


@dataclass(frozen=True)
class LightGBMRecipe:
    """Retrain LightGBM with every parameter the file stores (seed replaced)."""

    params: tuple = ()
    num_boost_round: int = 100
    name: str = "lightgbm_from_file"

    def fit(self, features: pd.DataFrame, labels: np.ndarray, *, seed: int, progress=None):
        import lightgbm as lgb

        classes, codes = _labels_to_codes(labels)
        columns = _numeric(features)
        params = {**dict(self.params), "seed": int(seed), "num_threads": 1, "verbosity": -1}
        booster = lgb.train(params, lgb.Dataset(_matrix(features, columns).to_numpy(), label=codes),
                            num_boost_round=self.num_boost_round)
        return BoosterClassifier("lightgbm", booster, columns, classes)

    def describe(self) -> dict[str, Any]:
        return {"recipe": self.name, "library": "lightgbm", "num_boost_round": self.num_boost_round,
                "params_from_file": dict(self.params)}


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
