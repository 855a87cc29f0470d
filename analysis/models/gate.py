"""The model-file gate: every check a model file passes before any loader sees its bytes.

- Zip archives (.keras, .skops): the central directory is read first, nothing extracted. Refused
  when the total uncompressed size, the member count or one member's compression ratio is over its
  limit (settings `max_model_uncompressed_mb`, `max_archive_members`, `max_compression_ratio`), when a
  member name is not one the format writes, or a name appears twice. Reads through `zipfile` stop at
  the declared size, so a declared size that lies cannot expand past the limit either.
- JSON inside (config.json, schema.json) is read with a bounded read (`max_model_config_mb`) and a
  nesting-depth limit (`max_model_json_depth`) before it is parsed.
- `.keras`: config.json is checked against an allow-list (`check_keras_config`): Keras layer classes
  from `KERAS_LAYERS`, initializers / regularizers / constraints from Keras' own lists, activations
  named as strings from `KERAS_ACTIVATIONS`; `Lambda`, `TFOpLambda`, functions serialized as dicts,
  modules outside Keras, custom (registered) objects and `_CONSTANT_VALUE` nodes are refused, naming
  the layer; the parameter count and widest layer are computed from the config (`keras_size`) and
  refused over `max_keras_params` / `max_keras_layer_width`. Keras then loads a fresh archive rebuilt
  from the checked members only
  (`clean_keras_archive`), whose weights file was checked for external links and oversized data.
- `.skops`: types are sorted by `sort_skops_types` into trusted automatically (`SKOPS_AUTO_TRUSTED`,
  what the built-in recipes need), needing the user's confirmation (`confirmable`: CLASSES inside
  scikit-learn / NumPy / SciPy that hold model state: estimators, skops' helper classes, dtypes and
  scalar types, sparse matrices) and refused outright (functions, I/O-like names such as genfromtxt,
  DataSource or Memory, anything else), whatever the user says (`check_trust_request`).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from analysis.settings import get_settings

from analysis.models.archive import (KERAS_MEMBERS, MB, Limits, ModelLoadError, _shown, check_file_size,  # noqa: F401
                                      limits, open_archive, read_member)

# ---------------------------------------------------------------- archives



def read_json_member(archive: zipfile.ZipFile, member: str, name: str) -> Any:
    lim = limits()
    raw = read_member(archive, member, name, lim.json_bytes)
    return parse_json(raw, f"{member} in '{name}'", lim.json_depth)


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


def check_json_depth(raw: bytes, what: str, max_depth: int) -> None:
    """Refuse JSON nested deeper than `max_depth` (strings removed, brackets counted, no parsing)."""
    import numpy as np

    codes = np.frombuffer(_JSON_STRING.sub(b'""', raw), dtype=np.uint8)
    steps = np.zeros(len(codes), dtype=np.int32)
    steps[(codes == 0x5B) | (codes == 0x7B)] = 1
    steps[(codes == 0x5D) | (codes == 0x7D)] = -1
    if len(steps) and int(np.cumsum(steps).max()) > max_depth:
        raise ModelLoadError(f"{what} nests deeper than {max_depth} levels (setting max_model_json_depth).")


def parse_json(raw: bytes, what: str, max_depth: int) -> Any:
    """json.loads after the depth check (no RecursionError, no deep structure)."""
    check_json_depth(raw, what, max_depth)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ModelLoadError(f"{what} is not valid JSON ({type(exc).__name__}).") from None


# ---------------------------------------------------------------- Keras

KERAS_LAYERS = frozenset({
    # containers
    "Sequential", "Functional", "Model",
    # core and tabular
    "InputLayer", "Dense", "EinsumDense", "Dropout", "AlphaDropout", "GaussianDropout", "GaussianNoise",
    "SpatialDropout1D", "ActivityRegularization", "BatchNormalization", "LayerNormalization",
    "UnitNormalization", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU",
    "Embedding", "Flatten", "Reshape", "Permute", "RepeatVector", "Masking", "Normalization",
    "Discretization", "CategoryEncoding", "Rescaling",
    # merging
    "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot",
    # sequences
    "Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D",
    "SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed",
})
KERAS_INITIALIZERS = frozenset({
    "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
    "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal",
    "Identity"})
KERAS_REGULARIZERS = frozenset({"L1", "L2", "L1L2", "OrthogonalRegularizer"})
KERAS_CONSTRAINTS = frozenset({"MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "RadialConstraint"})
KERAS_ACTIVATIONS = frozenset({
    "linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "softmax", "log_softmax", "tanh", "elu", "selu",
    "softplus", "softsign", "gelu", "swish", "silu", "exponential", "leaky_relu", "mish"})
KERAS_INITIALIZER_NAMES = frozenset({
    "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal", "variance_scaling",
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "orthogonal", "identity", "uniform", "normal"})
KERAS_REGULARIZER_NAMES = frozenset({"l1", "l2", "l1_l2"})
KERAS_CONSTRAINT_NAMES = frozenset({"max_norm", "min_max_norm", "non_neg", "unit_norm", "radial_constraint"})
_KERAS_OBJECTS = KERAS_LAYERS | KERAS_INITIALIZERS | KERAS_REGULARIZERS | KERAS_CONSTRAINTS
# compile_config is never deserialized (load with compile=False) and is dropped before loading.
_IGNORED_KEYS = frozenset({"compile_config"})
_NAMED_FUNCTION_KEYS = {"activation": KERAS_ACTIVATIONS, "recurrent_activation": KERAS_ACTIVATIONS}


def check_keras_config(config: Any, name: str) -> None:
    """Raise ModelLoadError naming the layer when config.json holds anything outside the allow-list."""
    if not isinstance(config, dict) or config.get("class_name") not in {"Sequential", "Functional", "Model"}:
        raise ModelLoadError(f"'{name}' is not a Keras Sequential or Functional model.")
    _walk_keras(config, name, layer="(model)", key="")


def _walk_keras(node: Any, name: str, *, layer: str, key: str) -> None:
    def refuse(why: str) -> None:
        raise ModelLoadError(f"'{name}' was refused before loading: layer {_shown(layer)!r} {why}. Only "
                             "built-in Keras layers with activations named as strings are loaded.")

    if isinstance(node, str):
        if node == "_CONSTANT_VALUE":
            refuse("is fed a constant (_CONSTANT_VALUE) node")
        allowed = _NAMED_FUNCTION_KEYS.get(key)
        if allowed is not None and node not in allowed:
            refuse(f"uses {key} {_shown(node)!r}, not a built-in Keras activation")
        _check_named_object(key, node, refuse)
        return
    if isinstance(node, list):
        for item in node:
            _walk_keras(item, name, layer=layer, key=key)
        return
    if not isinstance(node, dict):
        return
    if "class_name" in node:
        class_name = node.get("class_name")
        module = node.get("module")
        registered = node.get("registered_name")
        inner = node.get("config")
        here = node.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
        if isinstance(here, str) and key != "dtype":
            layer = here
        if not isinstance(class_name, str) or class_name not in _KERAS_OBJECTS:
            refuse(f"is a {_shown(str(class_name))!r}, which is not on the list of allowed Keras classes"
                   if class_name not in ("function", "__lambda__") else "holds a function serialized as an object")
        if module is not None and (not isinstance(module, str) or not (module == "keras" or module.startswith("keras."))):
            refuse(f"names module {_shown(str(module))!r}, outside Keras")
        if registered is not None and registered != class_name:
            refuse(f"is a custom (registered) object {_shown(str(registered))!r}")
        if key in _NAMED_FUNCTION_KEYS:
            refuse(f"uses an object as {key}; activations must be named as strings")
    for child_key, value in node.items():
        if child_key in _IGNORED_KEYS:
            continue
        if child_key in ("function", "function_type", "module") and not isinstance(value, (str, type(None))):
            refuse(f"holds a serialized function under {child_key!r}")
        _walk_keras(value, name, layer=layer, key=child_key if isinstance(child_key, str) else key)


def _check_named_object(key: str, value: str, refuse) -> None:
    """Initializers / regularizers / constraints named as strings must be Keras' own."""
    for suffix, allowed in (("_initializer", KERAS_INITIALIZER_NAMES), ("_regularizer", KERAS_REGULARIZER_NAMES),
                            ("_constraint", KERAS_CONSTRAINT_NAMES)):
        if key.endswith(suffix) and value not in allowed and value.lower() not in {a.lower() for a in _KERAS_OBJECTS}:
            refuse(f"names {key} {_shown(value)!r}, not a built-in Keras one")


def clean_keras_archive(data: bytes, name: str) -> tuple[bytes, dict]:
    """The bytes of a fresh .keras archive holding only the checked members, and the parsed config.

    config.json passed `check_keras_config` (compile_config dropped: the model loads uncompiled);
    model.weights.h5 passed `check_h5_weights`."""
    lim = limits()
    archive = open_archive(data, name, "keras")
    if "config.json" not in archive.namelist():
        raise ModelLoadError(f"'{name}' is a zip file but not a Keras v3 model (no config.json).")
    config = read_json_member(archive, "config.json", name)
    check_keras_config(config, name)
    from analysis.models.keras_size import check_keras_size

    check_keras_size(config, name)  # parameters and layer widths, before Keras allocates them
    config = {k: v for k, v in config.items() if k not in _IGNORED_KEYS}
    metadata = read_member(archive, "metadata.json", name, lim.json_bytes) if "metadata.json" in archive.namelist() \
        else b"{}"
    weights = read_member(archive, "model.weights.h5", name, lim.uncompressed_bytes) \
        if "model.weights.h5" in archive.namelist() else b""
    if weights:
        check_h5_weights(weights, name, lim.uncompressed_bytes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as clean:
        clean.writestr("metadata.json", metadata)
        clean.writestr("config.json", json.dumps(config))
        clean.writestr("model.weights.h5", weights)
    return buffer.getvalue(), config


MAX_H5_OBJECTS = 100_000


def check_h5_weights(weights: bytes, name: str, limit: int) -> None:
    """Refuse HDF5 weights with external or soft links, external storage, virtual datasets, a group or
    dataset reached twice (hard links, including cycles: the walk keeps a visited set), more than
    `MAX_H5_OBJECTS` objects, or data expanding past `limit`."""
    import h5py

    total = 0
    try:
        with h5py.File(io.BytesIO(weights), "r") as handle:
            pending = [handle]
            seen = {handle.id}
            while pending:
                group = pending.pop()
                for key in group.keys():
                    link = group.get(key, getlink=True)
                    if isinstance(link, (h5py.ExternalLink, h5py.SoftLink)):
                        raise ModelLoadError(f"the weights of '{name}' link outside the weights file; refused.")
                    item = group.get(key)
                    if item.id in seen:
                        raise ModelLoadError(f"the weights of '{name}' reach the same object twice (a hard link or "
                                             "a link cycle); refused.")
                    seen.add(item.id)
                    if len(seen) > MAX_H5_OBJECTS:
                        raise ModelLoadError(f"the weights of '{name}' hold over {MAX_H5_OBJECTS:,} objects; refused.")
                    if isinstance(item, h5py.Group):
                        pending.append(item)
                    elif isinstance(item, h5py.Dataset):
                        if item.external:
                            raise ModelLoadError(f"the weights of '{name}' store data in external files; refused.")
                        if item.is_virtual:
                            raise ModelLoadError(f"the weights of '{name}' hold a virtual dataset (data mapped from "
                                                 "other files); refused.")
                        total += int(item.size) * item.dtype.itemsize
                        if total > limit:
                            raise ModelLoadError(f"the weights of '{name}' expand past "
                                                 f"{limit / MB:,.0f} MB (setting max_model_uncompressed_mb).")
    except ModelLoadError:
        raise
    except Exception as exc:  # h5py raises OSError / KeyError / ValueError for a damaged file
        raise ModelLoadError(f"the weights of '{name}' are not a readable HDF5 file ({type(exc).__name__}).") from None


# ---------------------------------------------------------------- skops

# What the built-in recipes (analysis/models/recipes.py) need beyond skops' defaults, measured with
# skops.io.get_untrusted_types on each trained recipe.
SKOPS_AUTO_TRUSTED = frozenset({
    "numpy.dtype",
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
})
SKOPS_CONFIRMABLE_PACKAGES = ("sklearn", "numpy", "scipy")
# Inside those packages, names that read or write files, fetch URLs, cache to disk, run code or change
# the library on import: refused before anything is imported.
_DANGEROUS_PARTS = re.compile(r"(^|[._])(io|load|loads|save|savez|savetxt|loadtxt|fromfile|tofile|memmap|pickle|"
                              r"exec|eval|system|popen|open|file|ctypes|testing|f2py|distutils|datasets|fetch|"
                              r"download|lib\.npyio|format|compile|import)($|[._])", re.IGNORECASE)
_IO_WORDS = re.compile(r"load|save|read|write|fetch|open|file|url|http|request|download|datasource|memory|"
                       r"joblib|cache|genfromtxt|fromregex|recfromcsv|recfromtxt|npyio|pickle|shell|exec|eval|"
                       r"test|experimental|config|compile|import|__", re.IGNORECASE)


@dataclass(frozen=True)
class SkopsTypes:
    auto_trusted: list[str]
    needs_confirmation: list[str]
    refused: list[str]


def confirmable(type_name: str) -> bool:
    """A type a user may trust: a CLASS inside scikit-learn / NumPy / SciPy of a kind that holds model
    state (`_model_state_class`), never a function and never an I/O or code-running name.

    The name is resolved by importing its module (installed library code, nothing from the file) and
    reading the attribute; nothing is called."""
    package = type_name.split(".", 1)[0]
    if package not in SKOPS_CONFIRMABLE_PACKAGES or "." not in type_name or _DANGEROUS_PARTS.search(type_name) \
            or _IO_WORDS.search(type_name) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+",
                                                               type_name):
        return False
    found = _resolve(type_name)
    if not isinstance(found, type):
        return False
    real_name = f"{found.__module__}.{found.__qualname__}"
    return real_name.split(".", 1)[0] in SKOPS_CONFIRMABLE_PACKAGES and not _IO_WORDS.search(real_name) \
        and _model_state_class(found)


def _resolve(type_name: str):
    """The object a dotted name points to (longest importable module prefix, then attributes), or None."""
    import importlib

    parts = type_name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # not a module (or one that fails to import): try a shorter prefix
            continue
        try:
            for attribute in parts[cut:]:
                found = getattr(found, attribute)
        except Exception:
            return None
        return found
    return None


def _model_state_class(cls: type) -> bool:
    """scikit-learn estimators / transformers and the helper classes skops lists for them (trees,
    binners, neighbor trees, distance metrics, losses, criteria), NumPy dtypes, scalar types and random
    generators, SciPy sparse matrices."""
    import numpy as np
    import scipy.sparse
    from sklearn.base import BaseEstimator

    bases = [BaseEstimator, np.dtype, np.generic, np.random.RandomState, np.random.Generator,
             np.random.BitGenerator, scipy.sparse.spmatrix, getattr(scipy.sparse, "sparray", scipy.sparse.spmatrix)]
    for dotted in ("sklearn.tree._tree.Tree", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
                   "sklearn.neighbors.KDTree", "sklearn.neighbors.BallTree", "sklearn.metrics.DistanceMetric",
                   "sklearn._loss.loss.BaseLoss", "sklearn._loss.link.BaseLink", "sklearn.tree._criterion.Criterion",
                   "sklearn.tree._splitter.Splitter"):
        helper = _resolve(dotted)
        if isinstance(helper, type):
            bases.append(helper)
    return issubclass(cls, tuple(bases))


def sort_skops_types(untrusted: Iterable[str]) -> SkopsTypes:
    auto, confirm, refused = [], [], []
    for t in sorted(set(untrusted)):
        (auto if t in SKOPS_AUTO_TRUSTED else confirm if confirmable(t) else refused).append(t)
    return SkopsTypes(auto, confirm, refused)


def check_trust_request(trusted: Optional[Iterable[str]]) -> list[str]:
    """The user's trust list, refused when it names anything outside scikit-learn / NumPy / SciPy."""
    names = [t.strip() for t in (trusted or []) if t and t.strip()]
    bad = [t for t in names if not confirmable(t)]
    if bad:
        raise ModelLoadError(f"cannot trust {', '.join(_shown(t) for t in bad)}: only scikit-learn, NumPy and "
                             "SciPy classes that hold model state can be trusted (estimators, trees, dtypes, "
                             "sparse matrices), never functions or anything that reads or writes files or runs code.")
    return names


def check_skops_archive(data: bytes, name: str) -> None:
    """Archive limits, member names, a bounded, depth-limited read of schema.json, and the node arrays of
    every decision tree inside (`skops_trees.check_skops_trees`), all before skops builds anything."""
    from analysis.models.skops_trees import check_skops_trees

    archive = open_archive(data, name, "skops")
    if "schema.json" not in archive.namelist():
        raise ModelLoadError(f"'{name}' is a zip file but not a skops file (no schema.json).")
    schema = read_json_member(archive, "schema.json", name)
    check_skops_trees(archive, schema, name)
