"""Decision trees inside a .skops file, checked from the archive before skops builds them.

scikit-learn's Cython trees (`sklearn.tree._tree.Tree`, and `TreePredictor` of histogram gradient
boosting) trust their node arrays: a child or feature index of 1e8 reads outside memory (SIGSEGV) and
a cycle makes prediction loop forever. Both types are trusted automatically (the built-in recipes
need them), so `check_skops_trees` runs on the archive before `skops.io.loads`: it walks schema.json,
finds every Tree / TreePredictor (a single tree, each tree of a forest, of gradient boosting, of
bagging, inside pipelines), reads their .npy arrays with `np.load(allow_pickle=False)` after checking
each array header's size against the bytes present, and refuses, naming the estimator and the field,
unless:
- `nodes` has `node_count` rows, `values` has shape (node_count, n_outputs, max n_classes);
- children are nodes of the tree, the root is nobody's child, no node has two parents;
- split features are below the input width: the tree's `n_features`, its estimator's
  `n_features_in_` and, for trees inside an ensemble (`estimators_`), the ensemble's;
- a categorical split of a TreePredictor names a bitset inside its bitset arrays.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any, Optional

import numpy as np

from analysis.models.archive import MB, ModelLoadError, _shown, limits, read_member
from analysis.models.tree_checks import check_child_links, check_features

_TREE = ("sklearn.tree._tree", "Tree")
_PREDICTOR = ("sklearn.ensemble._hist_gradient_boosting.predictor", "TreePredictor")
_ENSEMBLE_KEYS = frozenset({"estimators_", "_predictors", "estimator_", "base_estimator_"})
MAX_OUTPUTS = 100_000


def check_skops_trees(archive: zipfile.ZipFile, schema: Any, name: str) -> int:
    """Check every tree in the parsed schema.json of an open .skops archive; the number of trees checked."""
    budget = [limits().uncompressed_bytes]
    checked = 0
    stack: list[tuple[Any, tuple]] = [(schema, ())]
    while stack:  # iterative: schema.json is depth-limited already, but a deep walk need not recurse
        node, owners = stack.pop()
        if isinstance(node, list):
            stack.extend((item, owners) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        kind = (node.get("__module__"), node.get("__class__"))
        if kind == _TREE or kind == _PREDICTOR:
            reader = _Arrays(archive, name, budget)
            what = f"'{name}': a {_owner_label(owners)} tree"
            if kind == _TREE:
                _check_tree(node, reader, what, _width(owners))
            else:
                _check_predictor(node, reader, what, _width(owners), _binner(owners))
            checked += 1
            continue
        width = _n_features_in(node) if node.get("__loader__") == "ObjectNode" else None
        if node.get("__loader__") == "ObjectNode":
            here = owners + ((str(kind[1]), width),)
            fields = node.get("content", {}).get("content") if isinstance(node.get("content"), dict) else None
            if isinstance(fields, dict) and isinstance(fields.get("_bin_mapper"), dict):
                here += (("binner", fields["_bin_mapper"]),)
        else:
            here = owners
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                stack.append((value, here + ((f"key:{key}", None),) if key in _ENSEMBLE_KEYS else here))
    return checked


def _owner_label(owners: tuple) -> str:
    names = [n for n, _ in owners if not n.startswith("key:") and n != "binner"]
    return _shown(names[-1]) if names else "a"


def _width(owners: tuple) -> Optional[int]:
    """The smallest n_features_in_ among the tree's estimator and the ensembles holding it."""
    widths, through_ensemble = [], True
    estimators_seen = 0
    for label, width in reversed(owners):
        if label == "binner":
            continue
        if label.startswith("key:"):
            through_ensemble = True
            continue
        if width is None:
            continue
        if estimators_seen and not through_ensemble:
            break
        widths.append(width)
        estimators_seen += 1
        through_ensemble = False
    return min(widths) if widths else None


def _n_features_in(node: dict) -> Optional[int]:
    state = node.get("content")
    fields = state.get("content") if isinstance(state, dict) else None
    if not isinstance(fields, dict) or "n_features_in_" not in fields:
        return None
    return _json_int(fields["n_features_in_"], "n_features_in_")


def _json_int(node: Any, what: str) -> int:
    try:
        value = json.loads(node["content"]) if isinstance(node, dict) and node.get("is_json") else None
    except (ValueError, TypeError):
        value = None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ModelLoadError(f"{what} is not a non-negative integer; refused.")
    return value


class _Arrays:
    """Arrays of the archive by schema node, read without pickle and within the size budget."""

    def __init__(self, archive: zipfile.ZipFile, name: str, budget: list):
        self.archive, self.name, self.budget = archive, name, budget

    def read(self, node: Any, what: str) -> np.ndarray:
        if not isinstance(node, dict) or node.get("__loader__") != "NdArrayNode":
            raise ModelLoadError(f"{what} is not stored as an array; refused.")
        if node.get("type") == "json":
            try:
                return np.asarray(node.get("content"))
            except (ValueError, TypeError):
                raise ModelLoadError(f"{what} is not an array of numbers; refused.") from None
        member = node.get("file")
        if not isinstance(member, str):
            raise ModelLoadError(f"{what} names no array file; refused.")
        raw = read_member(self.archive, member, self.name, self.budget[0])
        self.budget[0] -= len(raw)
        return load_npy(raw, f"{what} ({_shown(member)})")


def load_npy(raw: bytes, what: str) -> np.ndarray:
    """np.load without pickle, after the header's shape and dtype were checked against the bytes present
    (NumPy allocates the declared size before it finds the data missing)."""
    stream = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(stream)
        shape, _, dtype = np.lib.format._read_array_header(stream, version)
    except Exception as exc:
        raise ModelLoadError(f"{what} is not a NumPy array file ({type(exc).__name__}).") from None
    if dtype.hasobject:
        raise ModelLoadError(f"{what} holds Python objects; refused.")
    size = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if size > len(raw) - stream.tell():
        raise ModelLoadError(f"{what} declares {size / MB:,.1f} MB but holds {len(raw) / MB:,.1f} MB; refused.")
    try:
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except Exception as exc:
        raise ModelLoadError(f"{what} is not a readable NumPy array ({type(exc).__name__}).") from None


def _fields(node: dict, what: str) -> dict:
    state = node.get("content")
    fields = state.get("content") if isinstance(state, dict) else None
    if not isinstance(fields, dict):
        raise ModelLoadError(f"{what} has no state; refused.")
    return fields


def _node_field(nodes: np.ndarray, field: str, what: str) -> np.ndarray:
    if nodes.dtype.names is None or field not in nodes.dtype.names or nodes.ndim != 1:
        raise ModelLoadError(f"{what}: the node array has no {field} field; refused.")
    values = nodes[field]
    if values.dtype.kind not in "iub":
        raise ModelLoadError(f"{what}: {field} is not an integer field; refused.")
    return values.astype(np.int64)


def _check_tree(node: dict, arrays: _Arrays, what: str, width: Optional[int]) -> None:
    reduce = node.get("__reduce__")
    args = reduce.get("args", {}).get("content") if isinstance(reduce, dict) else None
    if not isinstance(args, list) or len(args) != 3:
        raise ModelLoadError(f"{what} does not have the arguments of a scikit-learn Tree; refused.")
    n_features = _json_int(args[0], f"{what}: n_features")
    n_classes = arrays.read(args[1], f"{what}: n_classes")
    n_outputs = _json_int(args[2], f"{what}: n_outputs")
    if not 1 <= n_outputs <= MAX_OUTPUTS or n_classes.shape != (n_outputs,) or n_classes.dtype.kind not in "iu" \
            or int(n_classes.min()) < 1 or int(n_classes.max()) > MAX_OUTPUTS:
        raise ModelLoadError(f"{what}: n_classes / n_outputs do not describe a tree's outputs; refused.")
    fields = _fields(node, what)
    node_count = _json_int(fields.get("node_count"), f"{what}: node_count")
    nodes = arrays.read(fields.get("nodes"), f"{what}: nodes")
    values = arrays.read(fields.get("values"), f"{what}: values")
    max_depth = _json_int(fields.get("max_depth"), f"{what}: max_depth")
    if node_count < 1 or nodes.shape != (node_count,):
        raise ModelLoadError(f"{what}: nodes has {len(nodes) if nodes.ndim else 0} rows but node_count is "
                             f"{node_count}; refused.")
    expected = (node_count, n_outputs, int(n_classes.max()))
    if values.shape != expected:
        raise ModelLoadError(f"{what}: values has shape {values.shape}, not {expected}; refused.")
    if max_depth > node_count:
        raise ModelLoadError(f"{what}: max_depth {max_depth} is over its {node_count} nodes; refused.")
    left = _node_field(nodes, "left_child", what)
    right = _node_field(nodes, "right_child", what)
    internal = left != -1
    if ((right != -1) != internal).any():
        raise ModelLoadError(f"{what}: a node has one child index -1 and the other not; refused.")
    check_child_links(internal, left, right, node_count, what)
    if width is None:
        raise ModelLoadError(f"{what}: the estimator holding it has no n_features_in_; refused.")
    limit = min(n_features, width)
    check_features(_node_field(nodes, "feature", what), internal, limit, what, "feature")


def _binner(owners: tuple) -> Optional[dict]:
    """The `_bin_mapper` of the histogram gradient boosting estimator holding a TreePredictor."""
    return next((node for label, node in reversed(owners) if label == "binner"), None)


def _check_predictor(node: dict, arrays: _Arrays, what: str, width: Optional[int], binner: Optional[dict]) -> None:
    if width is None:
        raise ModelLoadError(f"{what}: the estimator holding it has no n_features_in_; refused.")
    fields = _fields(node, what)
    nodes = arrays.read(fields.get("nodes"), f"{what}: nodes")
    if nodes.ndim != 1 or len(nodes) < 1:
        raise ModelLoadError(f"{what}: nodes is empty; refused.")
    n = len(nodes)
    internal = _node_field(nodes, "is_leaf", what) == 0
    left = _node_field(nodes, "left", what)
    right = _node_field(nodes, "right", what)
    check_child_links(internal, left, right, n, what)
    features = _node_field(nodes, "feature_idx", what)
    check_features(features, internal, width, what, "feature_idx")
    categorical = internal & (_node_field(nodes, "is_categorical", what) != 0)
    if categorical.any():
        used = _node_field(nodes, "bitset_idx", what)[categorical]
        for key in ("binned_left_cat_bitsets", "raw_left_cat_bitsets"):
            bitsets = arrays.read(fields.get(key), f"{what}: {key}")
            if bitsets.ndim != 2 or bitsets.shape[1] != 8 or int(used.max()) >= len(bitsets) or int(used.min()) < 0:
                raise ModelLoadError(f"{what}: a categorical split names a bitset outside {key}; refused.")
        # Prediction looks each categorical feature up in the known-categories bitsets the binner builds:
        # the feature must be categorical there, with category values that fit a 256-bit bitset.
        marked = _categorical_features(binner, arrays, what, width)
        if not all(marked.get(int(f), False) for f in np.unique(features[categorical])):
            raise ModelLoadError(f"{what}: a categorical split uses a feature the binner does not treat as "
                                 "categorical; refused.")


def _categorical_features(binner: Optional[dict], arrays: _Arrays, what: str, width: int) -> dict:
    """{feature: True} for the binner's categorical features, after their category values were checked."""
    if not isinstance(binner, dict):
        raise ModelLoadError(f"{what}: categorical splits without the estimator's binner; refused.")
    fields = _fields(binner, what)
    flags = arrays.read(fields.get("is_categorical_"), f"{what}: is_categorical_") \
        if isinstance(fields.get("is_categorical_"), dict) and fields["is_categorical_"].get("__loader__") == \
        "NdArrayNode" else None
    if flags is None or flags.ndim != 1 or len(flags) != width:
        raise ModelLoadError(f"{what}: the binner's is_categorical_ does not have one flag per feature; refused.")
    thresholds = fields.get("bin_thresholds_", {})
    items = thresholds.get("content") if isinstance(thresholds, dict) else None
    if not isinstance(items, list) or len(items) != width:
        raise ModelLoadError(f"{what}: the binner's bin_thresholds_ do not have one entry per feature; refused.")
    marked = {}
    for feature in np.flatnonzero(flags):
        values = arrays.read(items[int(feature)], f"{what}: bin_thresholds_")
        if values.size and (not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 255):
            raise ModelLoadError(f"{what}: a categorical feature's categories are outside 0..255; refused.")
        marked[int(feature)] = True
    return marked
