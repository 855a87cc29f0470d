"""Recipes: documented preprocessing, seeded reproducibility, member/non-member split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models.base import FittedModel, ModelRecipe
from analysis.models.recipes import (available_recipes, feature_kinds, get_recipe, split_members,
                                     train_model)
from analysis.tables import load_sample


@pytest.fixture(scope="module")
def customers():
    return load_sample("customers.csv").frame.sample(400, random_state=0).reset_index(drop=True)


def test_preprocessing_drops_identifiers_and_one_hot_encodes_categories(customers):
    kinds = feature_kinds(customers.drop(columns=["churned"]))
    assert {"age", "tenure_months", "amount"} <= set(kinds["numeric"])
    assert {"sex", "plan", "health_condition"} <= set(kinds["categorical"])
    assert {"customer_name", "email", "notes", "address"} <= set(kinds["dropped"])


@pytest.mark.parametrize("name", ["logistic_regression", "gradient_boosting", "random_forest",
                                  "nearest_neighbor", "unpruned_tree"])
def test_every_recipe_trains_a_fitted_model_over_raw_columns(customers, name):
    recipe = get_recipe(name, **({"max_iter": 20} if name == "gradient_boosting" else {}))
    assert isinstance(recipe, ModelRecipe)
    trained = train_model(customers, "churned", recipe=recipe, member_share=0.6, seed=1)
    assert isinstance(trained.model, FittedModel)
    # Membership is drawn by coin flips (p = 0.6): about 240 of 400, not exactly.
    assert trained.n_members + trained.n_non_members == 400 and abs(trained.n_members - 240) < 40
    assert len(trained.fair_coin) == 400 and trained.fair_coin.sum() > 0
    proba = trained.model.predict_proba(trained.non_members.drop(columns=["churned"]))
    assert proba.shape == (trained.n_non_members, 2) and np.allclose(proba.sum(axis=1), 1)
    assert 0 <= trained.test_accuracy <= 1 and 0 <= trained.train_accuracy <= 1
    assert trained.to_dict()["recipe"] == name and "model" not in trained.to_dict()


def test_same_seed_same_model_and_split(customers):
    a = train_model(customers, "churned", recipe="random_forest", seed=4)
    b = train_model(customers, "churned", recipe="random_forest", seed=4)
    c = train_model(customers, "churned", recipe="random_forest", seed=5)
    x = customers.drop(columns=["churned"])
    assert np.array_equal(a.member_rows, b.member_rows)
    assert np.array_equal(a.model.predict_proba(x), b.model.predict_proba(x))
    assert not np.array_equal(a.member_rows, c.member_rows)


def test_split_is_disjoint_and_skips_missing_labels():
    frame = pd.DataFrame({"x": range(20), "y": [0, 1] * 9 + [None, None]})
    members, non_members, rows = split_members(frame, "y", member_share=0.5, seed=0)
    assert len(members) + len(non_members) == 18
    assert set(members["x"]).isdisjoint(non_members["x"])
    with pytest.raises(ValueError, match="member_share"):
        split_members(frame, "y", member_share=1.0)
    with pytest.raises(ValueError, match="label column 'nope'"):
        split_members(frame, "nope")


def test_unknown_recipe_and_offered_recipes():
    with pytest.raises(ValueError, match="unknown recipe 'svm'"):
        get_recipe("svm")
    offered = available_recipes()
    assert {"logistic_regression", "gradient_boosting", "random_forest"} <= set(offered)
    assert offered.get("keras_mlp", "Keras MLP") == "Keras MLP"


def test_declared_members_by_flag_column_or_first_share():
    import pandas as pd

    from analysis.models.recipes import declared_members

    frame = pd.DataFrame({"x": range(6), "y": [0, 1, 0, 1, None, 1],
                          "trained": ["yes", "no", "TRUE", "0", "1", "false"]})
    members, non_members = declared_members(frame, "y", member_column="trained")
    assert members["x"].tolist() == [0, 2] and non_members["x"].tolist() == [1, 3, 5]  # unlabelled row 4 left out
    assert "trained" not in members.columns
    members, non_members = declared_members(frame.drop(columns=["trained"]), "y", first_share=0.4)
    assert members["x"].tolist() == [0, 1] and non_members["x"].tolist() == [2, 3, 5]
