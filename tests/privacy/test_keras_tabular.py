"""The tabular preprocessing and the Keras MLP recipe meet the model protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models.base import FittedModel, ModelRecipe
from analysis.models.keras_tabular import OTHER, KerasMLPRecipe, TabularPreprocessor, build_mlp_layers


def _frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(18, 80, n).astype(float),
        "city": rng.choice(["Paris", "Oslo", "Rome", "Lima"], n),
        "email": [f"user{i}@example.org" for i in range(n)],
        "member": rng.choice([True, False], n),
    })


def test_preprocessor_imputes_standardizes_and_one_hots():
    train = _frame()
    train.loc[:9, "age"] = np.nan
    prep = TabularPreprocessor(max_categories=2).fit(train)
    assert prep.dropped_columns == ["email"]  # identifier-like: one value per row
    assert set(prep.numeric) == {"age", "member"}
    assert len(prep.categorical["city"]) == 2
    x = prep.transform(train)
    assert x.shape == (200, prep.n_outputs) == (200, 2 + 3)
    assert x.dtype == np.float32 and np.isfinite(x).all()
    age = x[:, prep.feature_names().index("age")]
    assert abs(age.mean()) < 1e-5 and age.std() == pytest.approx(1.0, abs=1e-4)
    median = float(train["age"].median())
    assert age[0] == pytest.approx((median - prep.numeric["age"][1]) / prep.numeric["age"][2], abs=1e-5)
    unseen = prep.transform(_frame(3).assign(city=["Tokyo", None, "Tokyo"]))
    other = prep.feature_names().index(f"city={OTHER}")
    assert unseen[:, other].tolist() == [1.0, 1.0, 1.0]
    assert prep.describe()["dropped_columns"] == ["email"]


def test_preprocessor_rejects_missing_columns_and_unfitted_use():
    with pytest.raises(ValueError, match="not fitted"):
        TabularPreprocessor().transform(_frame())
    prep = TabularPreprocessor().fit(_frame())
    with pytest.raises(ValueError, match="city"):
        prep.transform(_frame().drop(columns=["city"]))


def test_mlp_layers_and_validation():
    layers = build_mlp_layers(5, 3, (16, 8))
    assert [layer.units for layer in layers] == [16, 8, 3]
    with pytest.raises(ValueError, match="n_classes"):
        build_mlp_layers(5, 1)


def test_recipe_fits_a_fitted_model_on_raw_columns():
    frame = _frame(400)
    labels = np.where(frame["age"] > 50, "old", "young")
    recipe = KerasMLPRecipe(hidden=(8,), epochs=2, batch_size=64, learning_rate=0.01)
    assert isinstance(recipe, ModelRecipe) and recipe.name == "keras_mlp"
    model = recipe.fit(frame, labels, seed=0)
    assert isinstance(model, FittedModel)
    assert model.classes_.tolist() == ["old", "young"]
    proba = model.predict_proba(frame.head(7))
    assert proba.shape == (7, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert model.privacy is None and model.training.epochs == 2
    assert recipe.describe()["dp"] is None
    with pytest.raises(ValueError, match="2 classes"):
        recipe.fit(frame, np.full(400, "x"), seed=0)
    with pytest.raises(ValueError, match="epochs"):
        KerasMLPRecipe(epochs=0)
