"""ONNX, XGBoost and LightGBM model files: loaded by their own runtimes behind the gate, fed the
table's columns as stated, and audited with reference models trained like the target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from analysis.attacks.audit import run_audit
from analysis.models.loading import ModelLoadError, load_model
from analysis.models.recipes import get_recipe


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({"age": rng.integers(18, 90, n).astype(float), "income": rng.normal(50, 10, n),
                          "city": rng.choice(["Oslo", "Rome", "Lima"], n)})
    noise = rng.random(n) < 0.3
    frame["y"] = np.where(noise, 1 - (frame["age"] > 50), frame["age"] > 50).astype(int)
    return frame


def _onnx_pipeline(model):
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    types = [("age", FloatTensorType([None, 1])), ("income", FloatTensorType([None, 1])),
             ("city", StringTensorType([None, 1]))]
    return to_onnx(model, initial_types=types, target_opset=17).SerializeToString()


def test_skl2onnx_pipeline_gives_the_same_attack_scores_as_skops(table):
    members, non_members = table.iloc[:200].reset_index(drop=True), table.iloc[200:].reset_index(drop=True)
    pipeline = get_recipe("gradient_boosting", max_iter=30).fit(members.drop(columns=["y"]), members["y"].to_numpy(),
                                                                seed=0)
    from_skops = load_model(sio.dumps(pipeline), "gb.skops")
    from_onnx = load_model(_onnx_pipeline(pipeline), "gb.onnx")
    assert from_onnx.input_description() == ("ONNX inputs by name: age, income, city; output: class probabilities "
                                             "from the ZipMap output 'output_probability'")
    assert from_onnx.recipe().describe()["suggested_from_graph"] == "gradient_boosting"
    results = []
    for loaded in (from_skops, from_onnx):
        model = loaded.bind(members, "y")
        results.append(run_audit(model, members, non_members, "y", attacks=("loss",), seed=0))
    assert abs(results[0].attacks[0].auc - results[1].attacks[0].auc) < 0.01
    x = table.drop(columns=["y"])
    assert np.allclose(from_onnx.bind(table, "y").predict_proba(x), pipeline.predict_proba(x), atol=1e-4)


def test_onnx_input_mismatch_lists_expected_and_available(table):
    pipeline = get_recipe("logistic_regression").fit(table.drop(columns=["y"]), table["y"].to_numpy(), seed=0)
    loaded = load_model(_onnx_pipeline(pipeline), "lr.onnx")
    with pytest.raises(ModelLoadError) as caught:
        loaded.bind(table.rename(columns={"city": "town"}), "y")
    message = str(caught.value)
    assert "expects inputs ['age', 'income', 'city']" in message and "lacks ['city']" in message
    assert "'town'" in message  # the available columns are listed


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_boosted_model_saved_natively_is_audited_with_same_library_lira(library, table, tmp_path):
    members, non_members = table.iloc[:200].reset_index(drop=True), table.iloc[200:].reset_index(drop=True)
    x, y = members[["age", "income"]], members["y"]
    if library == "xgboost":
        import xgboost as xgb

        clf = xgb.XGBClassifier(n_estimators=40, max_depth=4, n_jobs=1, random_state=0).fit(x, y)
        path = tmp_path / "model.ubj"
    else:
        import lightgbm as lgb

        clf = lgb.LGBMClassifier(n_estimators=40, num_leaves=8, min_child_samples=5, n_jobs=1, verbose=-1,
                                 random_state=0).fit(x, y)
        path = tmp_path / "model.txt"
    (clf if library == "xgboost" else clf.booster_).save_model(str(path))
    loaded = load_model(path.read_bytes(), path.name)
    assert loaded.kind == library
    model = loaded.bind(members, "y")
    assert np.allclose(model.predict_proba(members.drop(columns=["y"])), clf.predict_proba(x), atol=1e-5)
    recipe = loaded.recipe()
    assert recipe.describe()["library"] == library and recipe.num_boost_round == 40
    if library == "lightgbm":
        assert recipe.describe()["params_from_file"]["num_leaves"] == 8
    else:
        assert recipe.describe()["params_from_file"]["max_depth"] == 4
    result = run_audit(model, members, non_members, "y", recipe=recipe, attacks=("lira_offline",),
                       reference_models=4, seed=0, backend="serial")
    assert result.attacks[0].name == "lira_offline" and 0.0 <= result.attacks[0].auc <= 1.0
    assert result.settings["recipe"]["library"] == library


def _onnx_linear(weights: list[float], softmax: bool) -> bytes:
    from onnx import TensorProto, helper

    nodes = [helper.make_node("MatMul", ["x", "w"], ["logits" if softmax else "scores"])]
    if softmax:
        nodes.append(helper.make_node("Softmax", ["logits"], ["scores"]))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
                              [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [None, 2])],
                              [helper.make_tensor("w", TensorProto.FLOAT, [2, 2], weights)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_onnx_logits_get_a_softmax_and_probabilities_are_kept(table):
    weights = [0.05, -0.05, 0.02, -0.02]
    x = table[["age", "income"]].to_numpy(dtype=np.float32)
    logits = x @ np.asarray(weights, dtype=np.float32).reshape(2, 2)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    for softmax in (False, True):
        loaded = load_model(_onnx_linear(weights, softmax), "linear.onnx")
        proba = loaded.bind(table, "y").predict_proba(table.drop(columns=["y"]))
        assert np.allclose(proba, expected, atol=1e-5)  # logits: softmax applied; probabilities: kept
    forced = load_model(_onnx_linear(weights, False), "linear.onnx", onnx_output="logits",
                        onnx_columns=["income", "age"])
    assert "fed columns income, age in this order" in forced.input_description()
    swapped = table[["income", "age"]].to_numpy(dtype=np.float32) @ np.asarray(weights, np.float32).reshape(2, 2)
    proba = forced.bind(table, "y").predict_proba(table.drop(columns=["y"]))
    assert np.allclose(np.log(proba[:, 1] / proba[:, 0]), swapped[:, 1] - swapped[:, 0], atol=1e-4)
