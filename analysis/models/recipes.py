"""What can be trained here, and how to train it again (for reference models).

Every recipe is a `ModelRecipe` (analysis/models/base.py): `fit(features, labels, seed=...)` returns a
fitted scikit-learn `Pipeline` = preprocessing + classifier, which takes the *raw* feature columns.

Preprocessing (decided from the training frame, fixed inside the fitted pipeline):
- numeric columns (int/float dtype): median imputation, then standardisation (zero mean, unit variance);
- text/categorical/boolean columns with at most `max_categories` (default 50) distinct values:
  one-hot encoding, missing values are a category of their own, unseen values encode as all zeros;
- other text columns (identifiers, free text, dates kept as text: more than `max_categories` values)
  are dropped, since one-hot encoding them would only let the model memorise rows.

The pipeline holds only scikit-learn types, so `skops.io.dump` / `load` round-trips it with no
untrusted types. `train_model` splits a table into members (training rows) and non-members
(held-out rows) and fits a recipe on the members.

Membership of a model trained here is drawn by independent coin flips (`draw_members`), so the audit
can turn its guesses into a sound epsilon lower bound (Steinke, Nasr & Jagielski 2023, one training run,
`analysis.attacks.one_run`). With member share p, each row is first "fixed" with probability |2p - 1|
(then a member when p > 1/2, a non-member otherwise) and otherwise a fair coin decides; the fair-coin
rows are the audit's canaries. Every row is still a member with probability p, independently.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import pandas as pd

from analysis.models.base import FittedModel, ModelRecipe
from analysis.progress import ProgressCallback, report
from analysis.results import Result

MAX_CATEGORIES = 50

# name -> (display name, estimator class path, default parameters)
_ESTIMATORS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "logistic_regression": ("Logistic regression", "sklearn.linear_model.LogisticRegression",
                            {"C": 1.0, "max_iter": 1000}),
    "gradient_boosting": ("Gradient boosting", "sklearn.ensemble.HistGradientBoostingClassifier",
                          {"max_iter": 100, "learning_rate": 0.1, "early_stopping": False}),
    "random_forest": ("Random forest", "sklearn.ensemble.RandomForestClassifier",
                      {"n_estimators": 100, "n_jobs": 1}),
    # Memorising models, meant for tests and demonstrations of a leaky model.
    "nearest_neighbor": ("1-nearest neighbour (memorises)", "sklearn.neighbors.KNeighborsClassifier",
                         {"n_neighbors": 1}),
    "unpruned_tree": ("Unpruned decision tree (memorises)", "sklearn.tree.DecisionTreeClassifier", {}),
}
KERAS_RECIPE = "keras_mlp"
TRAINABLE = ("logistic_regression", "gradient_boosting", "random_forest", KERAS_RECIPE)


def _import(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def feature_kinds(features: pd.DataFrame, *, max_categories: int = MAX_CATEGORIES) -> dict[str, list[str]]:
    """Split columns into {"numeric": [...], "categorical": [...], "dropped": [...]} (see module doc)."""
    kinds: dict[str, list[str]] = {"numeric": [], "categorical": [], "dropped": []}
    for col in features.columns:
        series = features[col]
        if pd.api.types.is_bool_dtype(series):
            kinds["categorical"].append(col)
        elif pd.api.types.is_numeric_dtype(series):
            kinds["numeric"].append(col)
        elif series.nunique(dropna=True) <= max_categories:
            kinds["categorical"].append(col)
        else:
            kinds["dropped"].append(col)
    return kinds


def build_preprocessor(features: pd.DataFrame, *, max_categories: int = MAX_CATEGORIES):
    """The ColumnTransformer described in the module docstring, unfitted."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    kinds = feature_kinds(features, max_categories=max_categories)
    if not kinds["numeric"] and not kinds["categorical"]:
        raise ValueError(f"no usable feature columns: every column ({kinds['dropped']}) is free text or an "
                         f"identifier with more than {max_categories} distinct values")
    parts = []
    if kinds["numeric"]:
        parts.append(("numeric", Pipeline([("impute", SimpleImputer(strategy="median")),
                                           ("scale", StandardScaler())]), kinds["numeric"]))
    if kinds["categorical"]:
        parts.append(("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                      kinds["categorical"]))
    return ColumnTransformer(parts, remainder="drop")


def _seeded(estimator, seed: int):
    params = {k: seed for k in estimator.get_params() if k == "random_state" or k.endswith("__random_state")}
    return estimator.set_params(**params) if params else estimator


@dataclass(frozen=True)
class SklearnRecipe:
    """A scikit-learn classifier behind the standard preprocessing. Picklable (reference models)."""

    name: str
    params: tuple = ()  # (key, value) pairs overriding the defaults
    max_categories: int = MAX_CATEGORIES

    def __post_init__(self) -> None:
        if self.name not in _ESTIMATORS:
            raise ValueError(f"unknown recipe {self.name!r}; choose one of {sorted(_ESTIMATORS)}")

    @property
    def display_name(self) -> str:
        return _ESTIMATORS[self.name][0]

    def estimator(self, seed: int):
        _, path, defaults = _ESTIMATORS[self.name]
        return _seeded(_import(path)(**{**defaults, **dict(self.params)}), seed)

    def fit(self, features: pd.DataFrame, labels: np.ndarray, *, seed: int,
            progress: Optional[ProgressCallback] = None) -> FittedModel:
        from sklearn.pipeline import Pipeline

        report(progress, 0.0, f"training {self.display_name}")
        pipeline = Pipeline([("preprocess", build_preprocessor(features, max_categories=self.max_categories)),
                             ("model", self.estimator(seed))])
        pipeline.fit(features, np.asarray(labels))
        report(progress, 1.0, f"trained {self.display_name}")
        return pipeline

    def describe(self) -> dict[str, Any]:
        _, path, defaults = _ESTIMATORS[self.name]
        return {"recipe": self.name, "estimator": path, "params": {**defaults, **dict(self.params)},
                "preprocessing": f"numeric: median impute + standardize; categorical (<= {self.max_categories} "
                                 "values): one-hot; other text columns dropped"}


@dataclass(frozen=True)
class EstimatorRecipe:
    """Retrain a given scikit-learn estimator (e.g. a loaded pipeline) with `sklearn.base.clone`.

    Used for LiRA/RMIA reference models of a model loaded from a file: same hyper-parameters and
    preprocessing, fresh fit, `random_state` set to the seed wherever the estimator has one.
    """

    estimator: Any = field(repr=False)
    name: str = "loaded_estimator"

    def fit(self, features: pd.DataFrame, labels: np.ndarray, *, seed: int,
            progress: Optional[ProgressCallback] = None) -> FittedModel:
        from sklearn.base import clone

        model = _seeded(clone(self.estimator), seed)
        model.fit(features, np.asarray(labels))
        return model

    def describe(self) -> dict[str, Any]:
        return {"recipe": self.name, "estimator": type(self.estimator).__name__,
                "params": {k: repr(v) for k, v in self.estimator.get_params(deep=False).items()}}


def available_recipes() -> dict[str, str]:
    """Trainable recipes offered to users: name -> display name."""
    names = {n: _ESTIMATORS[n][0] for n in ("logistic_regression", "gradient_boosting", "random_forest")}
    return {**names, KERAS_RECIPE: "Keras MLP"}


def get_recipe(name: str, **params: Any) -> ModelRecipe:
    """A recipe by name; `params` override the estimator's defaults."""
    if name == KERAS_RECIPE:
        from analysis.models.keras_tabular import KerasMLPRecipe

        return KerasMLPRecipe(**params)
    if name not in _ESTIMATORS:
        raise ValueError(f"unknown recipe {name!r}; choose one of {sorted(_ESTIMATORS) + [KERAS_RECIPE]}")
    return SklearnRecipe(name, params=tuple(sorted(params.items())))


@dataclass(frozen=True)
class TrainedModel(Result):
    """A model trained here, with the exact member / non-member split it was trained on.

    `members` / `non_members` are row subsets of the input frame (label column included);
    `member_rows` are their positions in the input frame. Membership was drawn by independent coin
    flips; `fair_coin` marks (members first, then non-members) the rows a fair coin decided, which the
    audit's one-run epsilon bound guesses on. `to_dict()` leaves out the model and rows.
    """

    recipe: str
    recipe_settings: dict
    label: str
    seed: int
    member_share: float
    train_accuracy: float
    test_accuracy: float
    n_members: int
    n_non_members: int
    model: Any = field(repr=False, compare=False)
    members: pd.DataFrame = field(repr=False, compare=False)
    non_members: pd.DataFrame = field(repr=False, compare=False)
    member_rows: np.ndarray = field(repr=False, compare=False)
    fair_coin: Optional[np.ndarray] = field(default=None, repr=False, compare=False)
    membership: str = "independent coin flips"

    def to_dict(self) -> dict[str, Any]:
        from analysis.results import to_jsonable

        skip = {"model", "members", "non_members", "member_rows", "fair_coin"}
        return {k: to_jsonable(v) for k, v in self.__dict__.items() if k not in skip}


def accuracy(model: FittedModel, frame: pd.DataFrame, label: str) -> float:
    """Share of rows whose most probable class is the label."""
    if len(frame) == 0:
        return float("nan")
    proba = np.asarray(model.predict_proba(frame.drop(columns=[label])))
    predicted = np.asarray(model.classes_)[proba.argmax(axis=1)]
    return float(np.mean(predicted == frame[label].to_numpy()))


@dataclass(frozen=True)
class MemberDraw:
    """Members and non-members drawn by independent coin flips; `*_fair_coin` mark the rows whose
    membership a fair coin decided (the canaries of a one-run audit), aligned with each frame."""

    members: pd.DataFrame
    non_members: pd.DataFrame
    member_rows: np.ndarray
    members_fair_coin: np.ndarray
    non_members_fair_coin: np.ndarray


def draw_members(frame: pd.DataFrame, label: str, *, member_share: float = 0.5, seed: int = 0) -> MemberDraw:
    """Independent, seeded coin flips over the rows with a label: each is a member with probability
    `member_share` (see the module docstring for the fair-coin part)."""
    if label not in frame.columns:
        raise ValueError(f"label column {label!r} is not in the table (columns: {list(frame.columns)})")
    if not 0 < member_share < 1:
        raise ValueError(f"member_share must be strictly between 0 and 1, got {member_share!r}")
    labelled = np.flatnonzero(frame[label].notna().to_numpy())
    if len(labelled) < 4:
        raise ValueError(f"label column {label!r} has only {len(labelled)} non-missing values")
    rng = np.random.default_rng(seed)
    for _ in range(1000):  # only tiny tables ever redraw (fewer than 2 members or non-members)
        fixed = rng.random(len(labelled)) < abs(2 * member_share - 1)
        coin = rng.random(len(labelled)) < 0.5
        is_member = np.where(fixed, member_share > 0.5, coin)
        if 2 <= is_member.sum() <= len(labelled) - 2:
            break
    member_rows, non_rows = labelled[is_member], labelled[~is_member]
    return MemberDraw(members=frame.iloc[member_rows].reset_index(drop=True),
                      non_members=frame.iloc[non_rows].reset_index(drop=True), member_rows=member_rows,
                      members_fair_coin=~fixed[is_member], non_members_fair_coin=~fixed[~is_member])


def split_members(frame: pd.DataFrame, label: str, *, member_share: float = 0.5,
                  seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """`draw_members` as (members, non_members, member_rows)."""
    draw = draw_members(frame, label, member_share=member_share, seed=seed)
    return draw.members, draw.non_members, draw.member_rows


MEMBER_FLAGS = ("1", "true", "yes", "1.0")


def declared_members(frame: pd.DataFrame, label: str, *, member_column: Optional[str] = None,
                     first_share: float = 0.5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The member / non-member split a model file's owner declares, for rows with a label.

    With `member_column`, rows whose value reads as 1/true/yes are members (the column is dropped);
    otherwise the first `first_share` of the rows trained the model. Returns (members, non_members).
    """
    if label not in frame.columns:
        raise ValueError(f"label column {label!r} is not in the table (columns: {list(frame.columns)})")
    rows = frame[frame[label].notna()].reset_index(drop=True)
    if member_column is not None:
        if member_column not in rows.columns:
            raise ValueError(f"member column {member_column!r} is not in the table")
        flags = rows[member_column].astype(str).str.lower().isin(MEMBER_FLAGS).to_numpy()
        rows = rows.drop(columns=[member_column])
        return rows[flags].reset_index(drop=True), rows[~flags].reset_index(drop=True)
    if not 0 < first_share < 1:
        raise ValueError(f"first_share must be strictly between 0 and 1, got {first_share!r}")
    cut = int(len(rows) * first_share)
    return rows.iloc[:cut].reset_index(drop=True), rows.iloc[cut:].reset_index(drop=True)


def train_model(frame: pd.DataFrame, label: str, *, recipe: ModelRecipe | str, member_share: float = 0.5,
                seed: int = 0, progress: Optional[ProgressCallback] = None) -> TrainedModel:
    """Split `frame` into members / non-members and fit `recipe` on the members.

    Rows with a missing label are left out of both sets. The label needs at least two classes among
    the members.
    """
    if isinstance(recipe, str):
        recipe = get_recipe(recipe)
    draw = draw_members(frame, label, member_share=member_share, seed=seed)
    members, non_members = draw.members, draw.non_members
    if members[label].nunique() < 2:
        raise ValueError(f"label column {label!r} has a single class among the training rows")
    model = recipe.fit(members.drop(columns=[label]), members[label].to_numpy(), seed=seed, progress=progress)
    return TrainedModel(
        recipe=recipe.name, recipe_settings=recipe.describe(), label=label, seed=seed,
        member_share=float(member_share), train_accuracy=accuracy(model, members, label),
        test_accuracy=accuracy(model, non_members, label), n_members=len(members),
        n_non_members=len(non_members), model=model, members=members, non_members=non_members,
        member_rows=draw.member_rows,
        fair_coin=np.concatenate([draw.members_fair_coin, draw.non_members_fair_coin]))
