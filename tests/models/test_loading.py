"""Safe model loading: skops with the recipes' types trusted automatically and others confirmed, Keras
behind the config allow-list, pickles refused, and a clear message for a file that is not a model or a
model that does not fit the data. Hostile files: tests/security/test_model_files.py."""

from __future__ import annotations

import dataclasses
import io
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from analysis.models.loading import ModelLoadError, UntrustedTypesError, inspect_model, load_model
from analysis.models.recipes import train_model


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(18, 90, 300), "income": rng.normal(50, 10, 300),
                          "city": rng.choice(["Oslo", "Rome"], 300)})
    frame["y"] = (frame["age"] > 50).astype(int)
    return frame


@pytest.fixture(scope="module")
def trained(table):
    return train_model(table, "y", recipe="random_forest", seed=0)


def test_skops_random_forest_loads_with_its_types_trusted_automatically(table, trained):
    data = sio.dumps(trained.model)
    info = inspect_model(data, "forest.skops")
    assert info.kind == "sklearn" and info.untrusted_types == []
    assert {"numpy.dtype", "sklearn.tree._tree.Tree"} <= set(info.auto_trusted_types)
    loaded = load_model(data, "forest.skops")
    model = loaded.bind(table, "y")
    x = table.drop(columns=["y"])
    assert np.allclose(model.predict_proba(x), trained.model.predict_proba(x))
    assert loaded.fingerprint == info.fingerprint and loaded.trusted_types == []
    assert loaded.recipe().fit(x, table["y"].to_numpy(), seed=0).predict_proba(x).shape == (300, 2)


def test_other_sklearn_types_load_only_after_trust(table):
    from analysis.models.recipes import get_recipe

    knn = train_model(table, "y", recipe=get_recipe("nearest_neighbor", metric="manhattan"), seed=0)
    data = sio.dumps(knn.model)
    assert inspect_model(data, "knn.skops").untrusted_types == ["sklearn.metrics._dist_metrics.ManhattanDistance64"]
    with pytest.raises(UntrustedTypesError) as caught:
        load_model(data, "knn.skops")
    assert caught.value.types == ["sklearn.metrics._dist_metrics.ManhattanDistance64"]
    loaded = load_model(data, "knn.skops", trusted_types=caught.value.types)
    assert loaded.trusted_types == caught.value.types


def test_pickle_and_joblib_are_refused_with_conversion_hint(trained):
    blob = pickle.dumps({"not": "loaded"})
    for name in ("model.pkl", "model.joblib", "model.pickle"):
        with pytest.raises(ModelLoadError, match="skops.io.dump"):
            load_model(blob, name)
    with pytest.raises(ModelLoadError, match="pickle"):
        load_model(blob, "disguised.skops")  # a pickle renamed to .skops is caught by its content


def test_not_a_model_file_gets_a_clear_message():
    with pytest.raises(ModelLoadError, match="not a model file"):
        load_model(b"age,income\n1,2\n", "table.skops")
    with pytest.raises(ModelLoadError, match="model files must be"):
        load_model(b"whatever", "notes.csv")
    with pytest.raises(ModelLoadError, match="not a LightGBM text model"):
        load_model(b"whatever", "notes.txt")
    with pytest.raises(ModelLoadError, match="not an XGBoost model"):
        load_model(b'{"not": "a model"}', "config.json")
    with pytest.raises(ModelLoadError, match="not an ONNX model"):
        load_model(b"whatever", "model.onnx")
    with pytest.raises(ModelLoadError, match="not a fitted classifier"):
        load_model(sio.dumps({"a": [1, 2]}), "dict.skops")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelLoadError, match=r"entries a keras file does not have \(readme.txt\)"):
        load_model(buffer.getvalue(), "fake.keras")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("metadata.json", "{}")
    with pytest.raises(ModelLoadError, match="no config.json"):
        load_model(buffer.getvalue(), "fake.keras")


def test_model_whose_inputs_do_not_fit_the_data(table, trained):
    data = sio.dumps(trained.model)
    loaded = load_model(data, "m.skops")
    with pytest.raises(ModelLoadError, match=r"expects column\(s\) \['city'\]"):
        loaded.bind(table.drop(columns=["city"]), "y")
    relabelled = table.assign(y=table["y"].map({0: "no", 1: "yes"}))
    with pytest.raises(ModelLoadError, match="also holds"):
        loaded.bind(relabelled, "y")
    # A model fitted on an array takes the numeric columns in order; a width mismatch is refused.
    array_model = LogisticRegression().fit(np.random.default_rng(0).normal(size=(50, 3)), [0, 1] * 25)
    blob = sio.dumps(array_model)
    loaded_array = load_model(blob, "array.skops")
    with pytest.raises(ModelLoadError, match="takes 3 inputs but the data has 2 numeric"):
        loaded_array.bind(table, "y")
    assert loaded_array.bind(table.assign(extra=1.0), "y").predict_proba(table.assign(extra=1.0)).shape == (300, 2)


def test_keras_file_loads_and_lambda_layers_are_refused_before_keras_sees_them(table, tmp_path):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Dense(4, activation="relu"),
                                 tf.keras.layers.Dense(2, activation="softmax")])
    path = tmp_path / "mlp.keras"
    model.save(path, save_format="keras_v3")  # not HDF5 by another test's thread state (see hostile_models)
    loaded = load_model(path.read_bytes(), "mlp.keras")
    assert loaded.kind == "keras"
    fitted = loaded.bind(table, "y")  # numeric columns age, income in table order
    proba = fitted.predict_proba(table.drop(columns=["y"]))
    assert proba.shape == (300, 2) and np.allclose(proba.sum(axis=1), 1)
    with pytest.raises(ModelLoadError, match="takes 2 inputs but the data has 3"):
        loaded.bind(table.assign(extra=1.0), "y")
    # Reference models for LiRA/RMIA: the same architecture rebuilt from its config, fresh weights.
    recipe = dataclasses.replace(loaded.recipe(), epochs=1)
    retrained = recipe.fit(table.drop(columns=["y"]), table["y"].to_numpy(), seed=0)
    assert retrained.predict_proba(table.drop(columns=["y"])).shape == (300, 2)
    assert list(retrained.classes_) == [0, 1]

    unsafe = tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Lambda(lambda t: t * 2),
                                  tf.keras.layers.Dense(2, activation="softmax")])
    bad_path = tmp_path / "lambda.keras"
    unsafe.save(bad_path, save_format="keras_v3")
    with pytest.raises(ModelLoadError, match=r"layer 'lambda' is a 'Lambda'"):
        load_model(bad_path.read_bytes(), "lambda.keras")
