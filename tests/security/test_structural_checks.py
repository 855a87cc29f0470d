"""Structural checks before native loaders (issue 20): each hostile file is refused by the check in this
process, with a message naming the problem; the native loader never sees it. Real models of every format
pass the same checks (and, where cheap, load and predict the same afterwards).

The tests call the checks, never the native loaders, on hostile files: a missing check must fail a test,
not crash pytest."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from analysis.models import gate
from analysis.models.gate import ModelLoadError
from analysis.models.keras_size import check_keras_size
from analysis.models.lightgbm_checks import ALLOWED_PARAMETERS, check_lightgbm
from analysis.models.onnx_model import check_onnx
from analysis.models.xgboost_checks import check_xgboost, read_ubj
from tests.security import hostile_models as hm

# ---------------------------------------------------------------- XGBoost

XGBOOST = {
    "categorical_segment": "a categorical segment reaches past the",
    "size_leaf_vector": "size_leaf_vector is 1000000000",
    "own_child": "child is the root node (a cycle)",
    "child_1e8": "child index 100000000 outside its 7 nodes",
    "child_minus_5": "child index -5 outside its 7 nodes",
    "split_feature_1e9": "splits on feature 1000000000 (split_indices), but the model has 3 features",
    "tree_info_1e6": "tree_info names output group 1000000, but the model has 1",
    "tree_info_class": "tree_info names output group 1, but the model has 1",
    "short_array": "split_indices has 6 entries but num_nodes is 7",
    "shared_node": "reaches node 1 2 times",
}


@pytest.mark.parametrize("fmt", ["json", "ubj"])
@pytest.mark.parametrize("attack", sorted(XGBOOST))
def test_hostile_xgboost_trees_are_refused_before_load_model(attack, fmt):
    data = hm.xgboost_tree_attack(attack, fmt)
    assert len(data) < 4096
    with pytest.raises(ModelLoadError) as caught:
        check_xgboost(data, f"model.{fmt}")
    assert XGBOOST[attack] in str(caught.value)
    assert str(caught.value).startswith(f"'model.{fmt}'")


@pytest.mark.parametrize("data, message", [
    (b"{L\x00\x00\x00\x00\x00\x00\x00\x05learn[$L#L\x7f\xff\xff\xff\xff\xff\xff\xff", "larger than the file"),
    (b"[" * 200 + b"]" * 200, "nests deeper than 100 levels"),
    (b"{L\x00\x00\x00\x00\x00\x00\x00\x01a[$T#L\x00\x00\x00\x00\x10\x00\x00\x00}", "other than numbers"),
    (b"{L\x00\x00\x00\x00\x00\x00\x00\x01aX}", "unknown type marker"),
])
def test_ubj_reader_checks_every_count_against_the_bytes_left(data, message):
    with pytest.raises(ModelLoadError, match=message):
        read_ubj(data, "'m.ubj'", 100)


def _xgboost_models():
    import xgboost as xgb

    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    x_cat = x.assign(c=pd.Categorical(rng.integers(0, 6, 200)))
    y2, y3 = rng.integers(0, 2, 200), rng.integers(0, 3, 200)
    common = dict(n_estimators=3, n_jobs=1, random_state=0)
    return {
        "binary": (xgb.XGBClassifier(max_depth=3, **common), x, y2),
        "multiclass categorical": (xgb.XGBClassifier(enable_categorical=True, max_cat_to_onehot=1,
                                                     tree_method="hist", **common), x_cat, y3),
        "dart": (xgb.XGBClassifier(booster="dart", **common), x, y2),
        "gblinear": (xgb.XGBClassifier(booster="gblinear", **common), x, y2),
        "multi-output trees": (xgb.XGBClassifier(multi_strategy="multi_output_tree", tree_method="hist", **common),
                               x, y3),
        "random forest": (xgb.XGBRFClassifier(**common), x, y3),
    }


@pytest.mark.parametrize("kind", list(_xgboost_models()))
def test_real_xgboost_models_pass_in_json_and_ubj(kind, tmp_path):
    model, x, y = _xgboost_models()[kind]
    model.fit(x, y)
    for fmt in ("json", "ubj"):
        path = tmp_path / f"m.{fmt}"
        model.save_model(str(path))
        checked = check_xgboost(path.read_bytes(), path.name)
        assert "learner" in checked


def test_ubj_reader_reads_what_xgboost_writes_as_its_json_says(tmp_path):
    model, x, y = _xgboost_models()["multiclass categorical"]
    model.fit(x, y)
    model.save_model(str(tmp_path / "m.json"))
    model.save_model(str(tmp_path / "m.ubj"))
    from_json = json.loads((tmp_path / "m.json").read_bytes())
    from_ubj = read_ubj((tmp_path / "m.ubj").read_bytes(), "m.ubj", 100)
    tree_j = from_json["learner"]["gradient_booster"]["model"]["trees"][1]
    tree_u = from_ubj["learner"]["gradient_booster"]["model"]["trees"][1]
    assert tree_j.keys() == tree_u.keys()
    for key in ("left_children", "right_children", "split_indices", "categories_segments", "categories"):
        assert list(tree_j[key]) == [int(v) for v in tree_u[key]]
    assert np.allclose(tree_j["split_conditions"], tree_u["split_conditions"], atol=1e-6)


# ---------------------------------------------------------------- LightGBM

LIGHTGBM = {
    "split_feature_1e8": "splits on feature 100000000 (split_feature), but the model has 2 features",
    "child_1e8": "child index outside its 2 internal nodes",
    "num_leaves_1e9": "num_leaves is 1000000000, outside 1..131,072",
    "tree_sizes_lie": "the tree_sizes header does not match",
    "cycle": "reaches node 1 2 times",
    "negative_leaf": "names leaf 1000000 but has 3 leaves",
    "cat_boundaries": "cat_boundaries do not split cat_threshold",
}


@pytest.mark.parametrize("attack", sorted(LIGHTGBM))
def test_hostile_lightgbm_trees_are_refused_before_lgb_booster(attack):
    data = hm.lightgbm_tree_attack(attack)
    assert len(data) < 2048
    with pytest.raises(ModelLoadError) as caught:
        check_lightgbm(data.decode(), "model.txt")
    assert LIGHTGBM[attack] in str(caught.value)


def test_the_hand_written_lightgbm_model_is_valid_and_loads():
    import lightgbm as lgb

    checked = check_lightgbm(hm.lightgbm_text().decode(), "model.txt")
    booster = lgb.Booster(model_str=checked.native_text)
    assert booster.num_trees() == 1 and checked.params["num_leaves"] == 3
    assert "parameters:" not in checked.native_text


def test_lightgbm_objective_that_is_not_a_classifier_is_refused():
    data = hm.lightgbm_text(header={"objective": "regression"})
    with pytest.raises(ModelLoadError, match="objective 'regression', not a classifier"):
        check_lightgbm(data.decode(), "model.txt")


def _lightgbm_models():
    import lightgbm as lgb

    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    x_cat = x.assign(c=pd.Categorical(rng.integers(0, 5, 300)))
    y2, y3 = rng.integers(0, 2, 300), rng.integers(0, 3, 300)
    common = dict(n_estimators=4, verbose=-1, n_jobs=1, random_state=0)
    return {
        "binary": (lgb.LGBMClassifier(num_leaves=6, **common), x, y2),
        "multiclass categorical": (lgb.LGBMClassifier(num_leaves=4, **common), x_cat, y3),
        "linear trees": (lgb.LGBMClassifier(linear_tree=True, **common), x, y2),
        "dart": (lgb.LGBMClassifier(boosting_type="dart", **common), x, y2),
        "one-leaf trees": (lgb.LGBMClassifier(min_child_samples=1000, **common), x, y2),
    }


@pytest.mark.parametrize("kind", list(_lightgbm_models()))
def test_real_lightgbm_models_pass_and_predict_the_same_without_their_parameters_block(kind):
    import lightgbm as lgb

    model, x, y = _lightgbm_models()[kind]
    model.fit(x, y)
    checked = check_lightgbm(model.booster_.model_to_string(), "model.txt")
    again = lgb.Booster(model_str=checked.native_text)
    matrix = x.assign(**{c: x[c].cat.codes for c in x.columns if isinstance(x[c].dtype, pd.CategoricalDtype)})
    assert np.allclose(again.predict(matrix.to_numpy(float)), model.booster_.predict(matrix.to_numpy(float)))
    assert set(checked.params) <= set(ALLOWED_PARAMETERS)


def test_lightgbm_network_parameters_never_reach_lgb_train(monkeypatch):
    """machines / num_machines / local_listen_port / time_out / files / threads / device in the file's
    parameters block: reference models are trained without any of them, and nothing connects."""
    import lightgbm as lgb

    from analysis.models.boosted import load_lightgbm

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    data = hm.lightgbm_network_parameters("127.0.0.1", port)
    model = load_lightgbm(data, "network.txt")
    recipe = model.recipe("network.txt")
    described = recipe.describe()
    assert {"machines", "num_machines", "local_listen_port", "time_out", "tree_learner", "device_type",
            "machine_list_filename", "forcedsplits_filename", "output_model"} <= set(described["params_not_used"])
    seen = []
    real_train = lgb.train

    def recording_train(params, *args, **kwargs):
        seen.append(dict(params))
        return real_train(params, *args, **kwargs)

    monkeypatch.setattr(lgb, "train", recording_train)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.random(200), "b": rng.random(200)})
    recipe.fit(frame, (frame["a"] > 0.5).astype(int).to_numpy(), seed=0)
    assert len(seen) == 1
    passed = seen[0]
    assert set(passed) <= set(ALLOWED_PARAMETERS) | {"seed", "num_threads", "verbosity"}
    network = {"machines", "num_machines", "local_listen_port", "time_out", "tree_learner", "device_type"}
    assert not network & set(passed)
    assert passed["num_threads"] == 1 and passed["num_leaves"] == 3
    listener.setblocking(False)
    with pytest.raises(BlockingIOError):
        listener.accept()  # no connection arrived at the address the file named
    listener.close()


def test_lightgbm_parameters_out_of_range_are_dropped_not_passed():
    data = hm.lightgbm_text(parameters={"num_leaves": "1000000000", "max_bin": "100000000", "learning_rate": "nan",
                                        "objective": "regression", "boosting": "../../etc/passwd"})
    checked = check_lightgbm(data.decode(), "model.txt")
    assert not {"num_leaves", "max_bin", "learning_rate", "objective", "boosting"} & set(checked.params)
    assert {"num_leaves", "max_bin", "learning_rate", "objective", "boosting"} <= set(checked.dropped)


# ---------------------------------------------------------------- scikit-learn (.skops)

SKOPS = {
    "child_1e8": "a DecisionTreeClassifier tree has a child index 100000000",
    "feature_1e8": "splits on feature 100000000 (feature), but the model has 3 features",
    "cycle": "child is the root node (a cycle)",
    "forest_last_tree": "a DecisionTreeClassifier tree has a child index 100000000",
    "hgb_cycle": "a HistGradientBoostingClassifier tree has a node whose child is the root node",
    "npy_header": "declares 61,035,156.2 MB but holds",
}


@pytest.mark.parametrize("attack", sorted(SKOPS))
def test_hostile_skops_trees_are_refused_before_skops_builds_them(attack):
    data = hm.skops_tree_attack(attack)
    with pytest.raises(ModelLoadError) as caught:
        gate.check_skops_archive(data, "model.skops")
    assert SKOPS[attack] in str(caught.value)


def test_trees_of_a_forest_cannot_claim_more_features_than_the_forest():
    """The forest checks rows against its own n_features_in_ (3) and then predicts each tree without
    checks: trees claiming 1000 features and splitting on feature 500 are refused."""
    forest = hm._fitted("forest")

    def split_on_500(member, array):
        if "left_child" not in (array.dtype.names or ()):
            return None
        array = array.copy()
        array["feature"][0] = 500
        return array

    source = zipfile.ZipFile(io.BytesIO(hm._skops_rewrite(forest, split_on_500)))
    schema = json.loads(source.read("schema.json"))

    def claim_1000(node):
        if isinstance(node, dict):
            if node.get("__class__") == "DecisionTreeClassifier":
                node["content"]["content"]["n_features_in_"] = {  # (forests' trees are saved without one)
                    "__class__": "int", "__module__": "builtins", "__loader__": "JsonNode", "content": "1000",
                    "is_json": True, "__id__": 1}
            if node.get("__class__") == "Tree":
                node["__reduce__"]["args"]["content"][0]["content"] = "1000"
            for value in node.values():
                claim_1000(value)
        elif isinstance(node, list):
            for value in node:
                claim_1000(value)

    claim_1000(schema)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            archive.writestr(info.filename, json.dumps(schema) if info.filename == "schema.json" else source.read(info))
    with pytest.raises(ModelLoadError, match="splits on feature 500 .feature., but the model has 3 features"):
        gate.check_skops_archive(buffer.getvalue(), "forest.skops")


@pytest.mark.parametrize("kind", ["tree", "forest", "hgb", "gradient_boosting", "pipeline", "hgb_categorical"])
def test_real_sklearn_tree_models_pass(kind):
    import skops.io as sio
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(150, 3)), columns=["age", "income", "score"])
    frame["city"] = pd.Categorical(rng.choice(["Oslo", "Rome", "Lima"], 150))
    y = rng.integers(0, 3, 150)
    if kind in ("tree", "forest", "hgb"):
        model = hm._fitted(kind)
    elif kind == "gradient_boosting":
        model = GradientBoostingClassifier(n_estimators=3, max_depth=2).fit(frame[["age", "income"]], y)
    elif kind == "pipeline":
        model = make_pipeline(make_column_transformer((OneHotEncoder(), ["city"]), remainder="passthrough"),
                              RandomForestClassifier(n_estimators=3, random_state=0)).fit(frame, y)
    else:  # a label the city decides, so the trees split on the categorical column
        model = HistGradientBoostingClassifier(max_iter=3, categorical_features="from_dtype").fit(
            frame, (frame["city"] == "Rome").to_numpy())
        assert sum(int(p.nodes["is_categorical"].sum()) for round_ in model._predictors for p in round_) > 0
    gate.check_skops_archive(sio.dumps(model), f"{kind}.skops")


# ---------------------------------------------------------------- ONNX

@pytest.mark.parametrize("build, rows, message", [
    (hm.onnx_loop_2_62, None, "node 'forever' (Loop) runs a subgraph"),
    (hm.onnx_if_branch, None, "node 'choose' (If) runs a subgraph"),
    (hm.onnx_broadcast_cube, 500, "shape [500, 500, 500] (125,000,000 elements with 500 rows"),
    (hm.onnx_broadcast_cube, 50_000, "shape [10000, 10000, 1] (100,000,000 elements with 10,000 rows"),
    (hm.onnx_constant_of_shape_rows_cubed, 500,
     "node 'fill' (ConstantOfShape) makes a tensor of shape [500, 500, 500]"),
    (hm.onnx_constant_of_shape_rows_cubed, 50_000, "shape [10000, 10000, 10000]"),
    (hm.onnx_expand_rows_squared, 50_000, "node 'square' (Expand) makes a tensor of shape [10000, 10000]"),
    (hm.onnx_tile_rows_squared, 500, "node 'tile' (Tile) makes 250,000,000 elements with 500 rows scored at once "
                                     "(its size computed from the shapes)"),
    (hm.onnx_range_rows_squared, None, "node 'range' (Range) makes 100,000,000 elements with 10,000 rows"),
    (hm.onnx_random_normal, 10, "node 'noise' (RandomNormal) makes a tensor of shape [30000, 30000]"),
    (hm.onnx_window_from_data, 10, "node 'window' (HannWindow) has an output size that cannot be known before it "
                                   "runs (its size input 'm' is computed by a ReduceMax node)"),
    (lambda: hm.onnx_window_from_data("BlackmanWindow"), 10, "(BlackmanWindow) has an output size that cannot be"),
    (hm.onnx_window_constant, 10, "node 'window' (HannWindow) makes a tensor of shape [500000000]"),
])
def test_hostile_onnx_sizes_are_refused_at_the_rows_scored(build, rows, message):
    data = build()
    assert len(data) < 1024
    with pytest.raises(ModelLoadError) as caught:
        check_onnx(data, "model.onnx", rows=rows)
    assert message in str(caught.value)


@pytest.mark.parametrize("build", [hm.onnx_expand_rows_squared, hm.onnx_range_rows_squared])
def test_onnx_rows_squared_passes_at_few_rows_and_is_refused_at_many(build):
    data = build()
    check_onnx(data, "model.onnx", rows=500)  # 250,000 elements
    with pytest.raises(ModelLoadError, match="setting max_onnx_tensor_elements"):
        check_onnx(data, "model.onnx")  # default: the most rows one onnxruntime call gets (onnx_batch_rows)


@pytest.mark.parametrize("build", [hm.onnx_valid_mlp, hm.onnx_torch_like_mlp])
def test_exported_tabular_onnx_models_pass_at_many_rows(build):
    check_onnx(build(), "model.onnx", rows=50_000)


def test_skl2onnx_pipeline_with_strings_passes_at_many_rows():
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    from analysis.models.recipes import get_recipe

    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"age": rng.integers(18, 90, 200).astype(float), "income": rng.normal(50, 10, 200),
                          "city": rng.choice(["Oslo", "Rome", "Lima"], 200)})
    y = (frame["age"] > 50).astype(int).to_numpy()
    for recipe in ("gradient_boosting", "logistic_regression", "random_forest"):
        pipeline = get_recipe(recipe).fit(frame, y, seed=0)
        types = [("age", FloatTensorType([None, 1])), ("income", FloatTensorType([None, 1])),
                 ("city", StringTensorType([None, 1]))]
        check_onnx(to_onnx(pipeline, initial_types=types, target_opset=17).SerializeToString(), f"{recipe}.onnx",
                   rows=50_000)


def test_onnx_scoring_runs_in_chunks_of_the_checked_rows(monkeypatch):
    from analysis.models.loading import load_model
    from analysis.settings import get_settings

    monkeypatch.setenv("PRIVACY_AUDIT_ONNX_BATCH_ROWS", "64")
    get_settings.cache_clear()
    try:
        loaded = load_model(hm.onnx_torch_like_mlp(), "mlp.onnx")
        frame = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 4)), columns=list("abcd"))
        frame["y"] = [0, 1] * 150
        model = loaded.bind(frame, "y")
        session = loaded.estimator.session
        calls = []
        real_run = session.run
        monkeypatch.setattr(session, "run", lambda out, feeds: (calls.append(len(next(iter(feeds.values())))),
                                                                real_run(out, feeds))[1], raising=False)
        proba = model.predict_proba(frame.drop(columns=["y"]))
    finally:
        get_settings.cache_clear()
    assert proba.shape == (300, 2) and max(calls) <= 64 and sum(calls) == 300


# ---------------------------------------------------------------- HDF5 weights and Keras configs

@pytest.mark.parametrize("attack, message", [
    ("hard_link_cycle", "reach the same object twice (a hard link or a link cycle)"),
    ("soft_link", "link outside the weights file"),
    ("external_link", "link outside the weights file"),
    ("virtual_dataset", "hold a virtual dataset"),
])
def test_hostile_hdf5_weights_are_refused(attack, message):
    weights = hm.h5_weights_attack(attack)
    with pytest.raises(ModelLoadError) as caught:
        gate.check_h5_weights(weights, "model.keras", 1 << 20)
    assert message in str(caught.value)
    with pytest.raises(ModelLoadError) as caught:
        gate.clean_keras_archive(hm.keras_with_weights(weights), "model.keras")
    assert message in str(caught.value)


@pytest.mark.parametrize("class_name, config, message", [
    ("Dense", {"units": 100_000_000}, "layer 'huge' (Dense) outputs 100,000,000 values per row"),
    ("CategoryEncoding", {"num_tokens": 2_000_000_000, "output_mode": "multi_hot"},
     "layer 'huge' (CategoryEncoding) outputs 2,000,000,000 values per row"),
    ("Embedding", {"input_dim": 1_000_000, "output_dim": 1000}, "1,000,000,000 or more parameters by layer 'huge'"),
    ("LSTM", {"units": 100_000}, "or more parameters by layer 'huge' (LSTM)"),
    ("Dense", {"units": "1e8"}, "layer 'huge' has units that is not a size"),
])
def test_huge_keras_configs_are_refused_before_keras_builds_them(class_name, config, message):
    with pytest.raises(ModelLoadError) as caught:
        gate.clean_keras_archive(hm.keras_huge_layer(class_name, **config), "model.keras")
    assert message in str(caught.value)


def test_keras_size_limits_are_settings(monkeypatch):
    from analysis.settings import get_settings

    data = hm.keras_huge_layer("Dense", units=5000)
    gate.clean_keras_archive(data, "model.keras")  # 15,000 parameters: fine by default
    monkeypatch.setenv("PRIVACY_AUDIT_MAX_KERAS_PARAMS", "1000")
    get_settings.cache_clear()
    try:
        with pytest.raises(ModelLoadError, match=r"over the limit of 1,000 \(setting max_keras_params\)"):
            gate.clean_keras_archive(data, "model.keras")
    finally:
        get_settings.cache_clear()


def test_real_keras_model_passes_and_its_count_matches_keras():
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    inputs = tf.keras.Input(shape=(6,))
    wide = tf.keras.layers.Dense(32, activation="relu")(inputs)
    normed = tf.keras.layers.BatchNormalization()(wide)
    joined = tf.keras.layers.Concatenate()([normed, inputs])
    outputs = tf.keras.layers.Dense(3, activation="softmax")(tf.keras.layers.Dropout(0.1)(joined))
    model = tf.keras.Model(inputs, outputs)
    config = json.loads(model.to_json())
    params, widest = check_keras_size(config, "model.keras")
    assert params >= model.count_params() and params <= 2 * model.count_params()  # an upper bound, not far off
    assert widest == 38
    data = hm.keras_valid_mlp()
    _, clean_config = gate.clean_keras_archive(data, "mlp.keras")
    assert check_keras_size(clean_config, "mlp.keras") == (42, 8)  # Dense 2 -> 8 -> 2, as Keras counts


def test_onnx_model_scores_in_chunks_of_the_rows_it_was_checked_at(monkeypatch):
    from analysis.models.onnx_model import OnnxModel

    data = hm.onnx_torch_like_mlp()
    check_onnx(data, "mlp.onnx", rows=50)
    model = OnnxModel(data, "keras_mlp", batch_rows=50)
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(120, 4)), columns=list("abcd"))
    classifier = model.bind(frame, np.array([0, 1] * 60), "mlp.onnx")
    calls = []
    real_run = model.session.run
    monkeypatch.setattr(model.session, "run", lambda out, feeds: (calls.append(len(next(iter(feeds.values())))),
                                                                  real_run(out, feeds))[1], raising=False)
    assert classifier.predict_proba(frame).shape == (120, 2)
    assert calls == [50, 50, 20]


@pytest.mark.parametrize("file_name, build, message", [
    ("own_child.json", lambda: hm.xgboost_tree_attack("own_child", "json"), "child is the root node (a cycle)"),
    ("tree_info.ubj", lambda: hm.xgboost_tree_attack("tree_info_class", "ubj"), "tree_info names output group 1"),
    ("cycle.txt", lambda: hm.lightgbm_tree_attack("cycle"), "reaches node 1 2 times"),
    ("cycle.skops", lambda: hm.skops_tree_attack("cycle"), "child is the root node (a cycle)"),
    ("cube.onnx", hm.onnx_broadcast_cube, "(Mul) makes a tensor of shape"),
    ("dense.keras", lambda: hm.keras_huge_layer("Dense", units=100_000_000), "setting max_keras_layer_width"),
])
def test_the_cli_exits_2_with_the_message_for_structural_attacks(file_name, build, message, tmp_path):
    """The whole CLI path (`privacy-audit attack`): exit 2, the check's message, no traceback, no crash."""
    from analysis.settings import PROJECT_ROOT

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.random(40), "b": rng.random(40), "c": rng.random(40), "d": rng.random(40)})
    frame["y"] = (frame["a"] > 0.5).astype(int)
    frame.iloc[:20].to_csv(tmp_path / "A.csv", index=False)
    frame.iloc[20:].to_csv(tmp_path / "B.csv", index=False)
    (tmp_path / file_name).write_bytes(build())
    result = subprocess.run([sys.executable, "-m", "analysis", "attack", "--model", str(tmp_path / file_name),
                             "--members", str(tmp_path / "A.csv"), "--non-members", str(tmp_path / "B.csv"),
                             "--label", "y", "--attacks", "loss", "--quiet"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert result.returncode == 2, result.stderr[-500:]
    assert message in result.stderr and "Traceback" not in result.stderr
