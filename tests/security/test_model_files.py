"""Hostile model files are refused before any loader reads them (exit 2 from the CLI, nothing runs);
the tool's own models load without any trust step; scoring errors never echo a cell value."""

from __future__ import annotations

import io
import json
import re
import os
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from analysis.models import gate
from analysis.models.loading import ModelLoadError, RefusedTypesError, UntrustedTypesError, inspect_model, load_model
from analysis.models.recipes import train_model
from analysis.settings import PROJECT_ROOT
from tests.security import hostile_models

SECRET = "ann.secret@example.com"


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(18, 90, 200), "income": rng.normal(50, 10, 200),
                          "city": rng.choice(["Oslo", "Rome"], 200)})
    frame["y"] = (frame["age"] > 50).astype(int)
    return frame


@pytest.fixture(scope="module")
def split(tmp_path_factory, table):
    folder = tmp_path_factory.mktemp("split")
    table.iloc[:100].to_csv(folder / "A.csv", index=False)
    table.iloc[100:].to_csv(folder / "B.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def keras_mlp_bytes(tmp_path_factory):
    """A real small Keras MLP saved by Keras itself (Dense, Dropout, BatchNormalization)."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Dense(8, activation="relu"),
                                 tf.keras.layers.Dropout(0.1), tf.keras.layers.BatchNormalization(),
                                 tf.keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    path = tmp_path_factory.mktemp("keras") / "mlp.keras"
    model.save(path, save_format="keras_v3")  # not HDF5 by another test's thread state (see hostile_models)
    return path.read_bytes()


def run_attack(model_path, split, cwd, *extra) -> subprocess.CompletedProcess:
    """`python -m analysis attack` (the CLI) in a subprocess, run from `cwd` (where a marker would appear)."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, "-m", "analysis", "attack", "--model", str(model_path),
                           "--members", str(split / "A.csv"), "--non-members", str(split / "B.csv"),
                           "--label", "y", "--attacks", "loss", "--quiet", *extra],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


HOSTILE = {
    "keras_lambda_os_system": ("lambda.keras", lambda marker: hostile_models.keras_lambda_os_system(f"touch {marker}"),
                               "layer 'evil' is a 'Lambda'"),
    "keras_tfoplambda_write_file": ("tfop.keras", lambda marker: hostile_models.keras_tfoplambda_write_file(str(marker)),
                                    "layer 'tf.io.write_file' is a 'TFOpLambda'"),
    "keras_inflating_config": ("big.keras", lambda marker: hostile_models.keras_inflating_config(400),
                               "expands 1,0"),
    "skops_inflating_schema": ("big.skops", lambda marker: hostile_models.skops_inflating_schema(400),
                               "expands 1,0"),
    "skops_os_system": ("system.skops", lambda marker: hostile_models.skops_os_system(), "refused outright"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_model_file_is_refused_with_exit_2_and_runs_nothing(case, split, tmp_path):
    file_name, build, message = HOSTILE[case]
    marker = tmp_path / "MARKER"
    data = build(marker)
    assert len(data) < 1 << 20  # small on disk: the danger is in what it expands to or names
    (tmp_path / file_name).write_bytes(data)
    result = run_attack(tmp_path / file_name, split, tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists()


def test_trusting_a_type_outside_sklearn_numpy_scipy_is_refused(split, tmp_path):
    (tmp_path / "system.skops").write_bytes(hostile_models.skops_os_system())
    result = run_attack(tmp_path / "system.skops", split, tmp_path, "--trust", "os.system")
    assert result.returncode == 2
    assert "cannot trust os.system" in result.stderr
    assert "--trust os.system" not in result.stderr


def test_keras_file_with_a_huge_extra_entry_is_refused_before_extraction(split, tmp_path, keras_mlp_bytes):
    huge = hostile_models.keras_extra_entry(keras_mlp_bytes, megabytes=600)  # over the 512 MB default
    assert len(huge) < 2 << 20
    (tmp_path / "extra.keras").write_bytes(huge)
    result = run_attack(tmp_path / "extra.keras", split, tmp_path)
    assert result.returncode == 2 and "over the limit of 512 MB" in result.stderr
    small = hostile_models.keras_extra_entry(keras_mlp_bytes, megabytes=1)  # under the size limit
    with pytest.raises(ModelLoadError, match=r"entries a keras file does not have \(assets/padding.bin\)"):
        load_model(small, "extra.keras")


def test_the_hostile_keras_files_really_run_code_in_plain_keras(tmp_path):
    """Proof that the two Keras files above are hostile: tf.keras with safe_mode=True runs both."""
    lam, tfop = tmp_path / "lambda.keras", tmp_path / "tfop.keras"
    lam.write_bytes(hostile_models.keras_lambda_os_system(f"touch {tmp_path / 'RAN_LAMBDA'}"))
    tfop.write_bytes(hostile_models.keras_tfoplambda_write_file(str(tmp_path / "RAN_TFOP")))
    script = ("import sys, tensorflow as tf\n"
              "for p in sys.argv[1:]:\n"
              "    try: tf.keras.models.load_model(p, safe_mode=True, compile=False)\n"
              "    except Exception: pass\n")
    subprocess.run([sys.executable, "-c", script, str(lam), str(tfop)], cwd=tmp_path, capture_output=True,
                   timeout=300)
    assert (tmp_path / "RAN_LAMBDA").exists() and (tmp_path / "RAN_TFOP").exists()


@pytest.mark.parametrize("recipe", ["random_forest", "logistic_regression", "gradient_boosting"])
def test_our_own_skops_models_load_with_no_trust_step(recipe, table):
    trained = train_model(table, "y", recipe=recipe, seed=0)
    data = sio.dumps(trained.model)
    info = inspect_model(data, f"{recipe}.skops")
    assert info.untrusted_types == [] and info.refused_types == []
    loaded = load_model(data, f"{recipe}.skops")
    x = table.drop(columns=["y"])
    assert np.allclose(loaded.bind(table, "y").predict_proba(x), trained.model.predict_proba(x))


def test_other_sklearn_types_need_confirmation_without_a_paste_line(table):
    from analysis.models.recipes import get_recipe

    trained = train_model(table, "y", recipe=get_recipe("nearest_neighbor", metric="manhattan"), seed=0)
    data = sio.dumps(trained.model)
    with pytest.raises(UntrustedTypesError) as caught:
        load_model(data, "knn.skops")
    assert caught.value.types == ["sklearn.metrics._dist_metrics.ManhattanDistance64"]
    assert "--trust" not in str(caught.value)
    assert load_model(data, "knn.skops", trusted_types=caught.value.types).kind == "sklearn"
    with pytest.raises(ModelLoadError, match="cannot trust sklearn.datasets.fetch_openml"):
        load_model(data, "knn.skops", trusted_types=caught.value.types + ["sklearn.datasets.fetch_openml"])


def test_refused_types_are_never_loaded_even_when_listed():
    with pytest.raises(RefusedTypesError, match="os.system"):
        load_model(hostile_models.skops_os_system(), "system.skops",
                   trusted_types=["sklearn.metrics._dist_metrics.ManhattanDistance64"])


# Functions and classes inside NumPy / scikit-learn that read files, fetch URLs or cache to disk.
IO_NAMES = ["numpy.genfromtxt", "numpy.fromregex", "numpy.recfromcsv", "numpy.lib._npyio_impl.genfromtxt",
            "numpy.DataSource", "numpy.lib._datasource.DataSource", "sklearn.utils._joblib.Memory",
            "numpy.core._multiarray_umath.absolute", "sklearn.pipeline.make_pipeline"]


@pytest.mark.parametrize("type_name", IO_NAMES)
def test_trusting_io_functions_or_non_model_classes_is_refused(type_name):
    with pytest.raises(ModelLoadError, match=f"cannot trust {re.escape(type_name)}"):
        gate.check_trust_request([type_name])


def test_trusting_io_names_through_the_cli_exits_2(split, tmp_path):
    (tmp_path / "system.skops").write_bytes(hostile_models.skops_os_system())
    for type_name in IO_NAMES[:7]:  # the reviewer's names
        result = run_attack(tmp_path / "system.skops", split, tmp_path, "--trust", type_name)
        assert result.returncode == 2, (type_name, result.stderr)
        assert f"cannot trust {type_name}" in result.stderr and "Traceback" not in result.stderr


def test_model_state_classes_stay_confirmable():
    assert gate.check_trust_request(["sklearn.metrics._dist_metrics.ManhattanDistance64", "sklearn.neighbors.BallTree",
                                "sklearn.linear_model.LogisticRegression", "numpy.float64",
                                "scipy.sparse._csr.csr_matrix"])


def test_real_keras_mlp_loads(keras_mlp_bytes, table):
    loaded = load_model(keras_mlp_bytes, "mlp.keras")
    proba = loaded.bind(table, "y").predict_proba(table.drop(columns=["y"]))
    assert proba.shape == (200, 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)


def _functional_with(layer: dict) -> dict:
    return {"module": "keras.src.engine.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": {"name": "m", "layers": [hostile_models._input_layer(), layer],
                       "input_layers": [["input_1", 0, 0]], "output_layers": [["out", 0, 0]]}}


def _dense(**config) -> dict:
    return {"module": "keras.layers", "class_name": "Dense", "registered_name": None, "name": "out",
            "config": {"name": "out", "units": 2, "activation": "softmax", **config},
            "inbound_nodes": [[["input_1", 0, 0, {}]]]}


@pytest.mark.parametrize("layer, message", [
    (_dense(activation={"module": "os", "class_name": "function", "config": "system",
                        "registered_name": "function"}), "function serialized as an object"),
    (_dense(activation="system"), "not a built-in Keras activation"),
    (_dense(kernel_initializer={"module": "my_pkg.init", "class_name": "GlorotUniform", "config": {}}),
     "names module 'my_pkg.init', outside Keras"),
    (_dense(kernel_regularizer={"module": "keras.regularizers", "class_name": "L2",
                                "registered_name": "Custom>L2", "config": {}}), "custom (registered) object"),
    ({**_dense(), "inbound_nodes": [[["_CONSTANT_VALUE", -1, "rm -rf /", {}]]]}, "_CONSTANT_VALUE"),
    ({**_dense(), "class_name": "SlicingOpLambda"}, "'SlicingOpLambda'"),
])
def test_keras_config_allow_list_names_the_layer(layer, message):
    with pytest.raises(ModelLoadError, match="layer 'out'") as caught:
        gate.check_keras_config(_functional_with(layer), "m.keras")
    assert message in str(caught.value)
    gate.check_keras_config(_functional_with(_dense()), "m.keras")  # the plain layer passes


def test_deeply_nested_json_is_refused_without_recursion_error():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", "[" * 100_000 + "]" * 100_000)
        archive.writestr("metadata.json", "{}")
    with pytest.raises(ModelLoadError, match="nests deeper than 100 levels"):
        load_model(buffer.getvalue(), "deep.keras")


def test_weights_with_an_external_link_are_refused(tmp_path):
    import h5py

    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as handle:
        handle["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/data")
    with pytest.raises(ModelLoadError, match="link outside the weights file"):
        gate.check_h5_weights(path.read_bytes(), "w.keras", 1 << 20)


def test_scoring_errors_name_the_column_never_the_value(split, tmp_path):
    """A model fitted on a numeric 'email' column, given real addresses: the message names the column."""
    from analysis.models.recipes import get_recipe

    rng = np.random.default_rng(1)
    fitted_on = pd.DataFrame({"email": rng.normal(size=80), "age": rng.integers(18, 90, 80)})
    labels = (fitted_on["age"] > 50).astype(int).to_numpy()
    model = get_recipe("logistic_regression").fit(fitted_on, labels, seed=0)
    data = pd.DataFrame({"email": [SECRET, "bob.private@example.org"] * 20, "age": rng.integers(18, 90, 40),
                         "y": [0, 1] * 20})
    loaded = load_model(sio.dumps(model), "email.skops")
    with pytest.raises(ModelLoadError) as caught:
        loaded.bind(data, "y")
    message = str(caught.value)
    assert "column 'email' holds text where the model expects numbers" in message
    assert "@" not in message and "secret" not in message
    # The same through the CLI: the message reaches stderr (and CI logs) without the value.
    (tmp_path / "email.skops").write_bytes(sio.dumps(model))
    data.iloc[:20].to_csv(tmp_path / "A.csv", index=False)
    data.iloc[20:].to_csv(tmp_path / "B.csv", index=False)
    result = run_attack(tmp_path / "email.skops", tmp_path, tmp_path)
    assert result.returncode == 2 and "column 'email'" in result.stderr
    assert "example.com" not in result.stderr + result.stdout


@pytest.mark.parametrize("build, message", [
    (lambda: hostile_models.onnx_external_data("../../etc/passwd"), "in an external file ('../../etc/passwd')"),
    (hostile_models.onnx_custom_domain, "domain(s) com.example.evil"),
])
def test_hostile_onnx_is_refused_with_exit_2_and_reads_nothing_outside(build, message, split, tmp_path):
    workdir = tmp_path / "a" / "b"
    workdir.mkdir(parents=True)
    (workdir / "hostile.onnx").write_bytes(build())
    result = run_attack(workdir / "hostile.onnx", split, workdir)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert "root:" not in result.stderr + result.stdout  # nothing of /etc/passwd was read into a message


def test_onnx_constant_of_shape_bomb_is_refused_before_onnxruntime_allocates(split, tmp_path):
    data = hostile_models.onnx_constant_of_shape_bomb(20000)
    assert len(data) < 1000  # a few hundred bytes asking for 400 million floats
    (tmp_path / "bomb.onnx").write_bytes(data)
    result = run_attack(tmp_path / "bomb.onnx", split, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "node 'bomb' (ConstantOfShape)" in result.stderr and "[20000, 20000]" in result.stderr
    assert "setting max_onnx_tensor_elements" in result.stderr and "Traceback" not in result.stderr


def _onnx_sized_by(nodes: list, initializers: list, extra_inputs: list = ()) -> bytes:
    """softmax(x + sum(big)) where `nodes` make the tensor 'big'."""
    from onnx import TensorProto, helper

    graph = helper.make_graph([*nodes, helper.make_node("ReduceSum", ["big"], ["total"], keepdims=1),
                               helper.make_node("Add", ["x", "total"], ["logits"]),
                               helper.make_node("Softmax", ["logits"], ["probabilities"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2]), *extra_inputs],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])],
                              initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def _ints(name: str, values: list[int]):
    from onnx import TensorProto, helper

    return helper.make_tensor(name, TensorProto.INT64, [len(values)], vals=values)


def test_onnx_sizes_set_by_data_or_inputs_are_refused_and_batch_shapes_pass(table):
    from onnx import TensorProto, helper

    node = helper.make_node
    from_data = _onnx_sized_by([node("ReduceMax", ["x"], ["m"], keepdims=0),
                                node("Cast", ["m"], ["mi"], to=TensorProto.INT64), node("Reshape", ["mi", "one"], ["s"]),
                                node("ConstantOfShape", ["s"], ["big"], name="fill")], [_ints("one", [1])])
    with pytest.raises(ModelLoadError, match=r"node 'fill' \(ConstantOfShape\) has an output size that cannot be "
                                             r"known before it runs \(its size input 'm' is computed by a ReduceMax"):
        load_model(from_data, "data.onnx")
    from_input = _onnx_sized_by([node("ConstantOfShape", ["s"], ["big"], name="fill")], [],
                                [helper.make_tensor_value_info("s", TensorProto.INT64, [2])])
    with pytest.raises(ModelLoadError, match="its size input 's' is a model input"):
        load_model(from_input, "input.onnx")
    batch_wide = _onnx_sized_by([node("Shape", ["x"], ["sh"]), node("Slice", ["sh", "zero", "one"], ["n"]),
                                 node("Concat", ["n", "k"], ["s"], axis=0),
                                 node("ConstantOfShape", ["s"], ["big"], name="fill")],
                                [_ints("zero", [0]), _ints("one", [1]), _ints("k", [20000, 20000])])
    with pytest.raises(ModelLoadError, match=r"shape \[10000, 20000, 20000\] \(4,000,000,000,000 elements with "
                                             r"10,000 rows scored at once"):
        load_model(batch_wide, "batch.onnx")
    expand_to_batch = _onnx_sized_by([node("Shape", ["x"], ["s"]), node("Expand", ["x", "s"], ["big"])], [])
    proba = load_model(expand_to_batch, "expand.onnx").bind(table, "y").predict_proba(table.drop(columns=["y"]))
    assert proba.shape == (200, 2)


def test_onnx_over_the_size_limit_is_refused(split, tmp_path):
    (tmp_path / "mlp.onnx").write_bytes(hostile_models.onnx_valid_mlp())
    env_limit = {"PRIVACY_AUDIT_MAX_MODEL_UNCOMPRESSED_MB": "0.00001"}
    result = subprocess.run([sys.executable, "-m", "analysis", "attack", "--model", str(tmp_path / "mlp.onnx"),
                             "--members", str(split / "A.csv"), "--non-members", str(split / "B.csv"),
                             "--label", "y", "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env_limit})
    assert result.returncode == 2 and "setting max_model_uncompressed_mb" in result.stderr


def test_valid_onnx_with_one_tensor_input_takes_the_numeric_columns(table):
    loaded = load_model(hostile_models.onnx_valid_mlp(), "mlp.onnx")
    proba = loaded.bind(table, "y").predict_proba(table.drop(columns=["y"]))
    assert proba.shape == (200, 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert "numeric feature columns in table order" in loaded.input_description()
    assert loaded.recipe().describe()["suggested_from_graph"] == "keras_mlp"
