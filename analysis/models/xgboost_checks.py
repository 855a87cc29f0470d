"""XGBoost model files (JSON and UBJ), read and checked in Python before `Booster.load_model` sees them.

XGBoost trusts the arrays of its own files: a categorical segment past its array, `size_leaf_vector`
1e9, a node that is its own child, a child index 1e8 or -5, a split feature 1e9, or `tree_info` naming
an output group the model does not have crash the process (SIGSEGV, or heap corruption) from a 1 KB
file. `check_xgboost` parses the file itself (`json` after the depth check, or `read_ubj`, a bounded
UBJSON decoder: every count is checked against the bytes left before anything is allocated) and
refuses, naming the tree and the field, unless for every tree:
- each per-node array has `num_nodes` entries and the categorical arrays agree with each other;
- child indices are nodes of the tree, the root is nobody's child and no node has two parents
  (`tree_checks.check_child_links`), and `parents` agrees with the children;
- split features are below `num_feature`; categorical splits name segments inside `categories`;
- `size_leaf_vector` is 0, 1 or the model's number of output groups (vector-leaf trees), with
  `leaf_weights` one vector per leaf;
and `tree_info` names output groups below `num_class` (or `num_target`), `num_class` agrees with the
objective's, `iteration_indptr` / `num_trees` agree with the trees.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from analysis.models.gate import ModelLoadError, check_json_depth, limits
from analysis.models.tree_checks import bounded_int, check_child_links, check_features, int_array

MAX_CLASSES = 100_000
MAX_FEATURES = 10_000_000
MAX_CATEGORY = 1 << 24  # XGBoost keeps a bit per category up to the largest one named
_PER_NODE = ("left_children", "right_children", "parents", "split_indices", "split_conditions", "split_type",
             "default_left", "base_weights", "loss_changes", "sum_hessian")
_ROOT_PARENT = (-1, 2147483647)


def check_xgboost(data: bytes, name: str) -> dict:
    """The parsed model (dict) after every structural check; ModelLoadError naming the problem otherwise."""
    lim = limits()
    # Read the bytes the way XGBoost will: '{"' is JSON, any other '{' is UBJSON (whatever the extension).
    if data[:1] != b"{":
        raise ModelLoadError(f"'{name}' is not an XGBoost JSON or UBJ model (it does not start with '{{').")
    if data[1:2] != b'"':
        model = read_ubj(data, f"'{name}'", lim.json_depth)
    else:
        check_json_depth(data, f"'{name}'", lim.json_depth)
        try:
            model = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise ModelLoadError(f"'{name}' is not valid JSON ({type(exc).__name__}).") from None
    check_xgboost_model(model, name)
    return model


def check_xgboost_model(model: Any, name: str) -> None:
    learner = _dict(_dict(model, name, "the file").get("learner"), name, "learner")
    params = _dict(learner.get("learner_model_param"), name, "learner_model_param")
    num_feature = bounded_int(params.get("num_feature", 0), f"'{name}': num_feature", 0, MAX_FEATURES)
    num_class = bounded_int(params.get("num_class", 0), f"'{name}': num_class", 0, MAX_CLASSES)
    num_target = bounded_int(params.get("num_target", 1), f"'{name}': num_target", 1, MAX_CLASSES)
    for key in ("feature_names", "feature_types"):
        listed = learner.get(key, [])
        if not isinstance(listed, list) or len(listed) not in (0, num_feature) \
                or not all(isinstance(v, str) for v in listed):
            raise ModelLoadError(f"'{name}': {key} does not list one name per feature ({num_feature}); refused.")
    objective = learner.get("objective")
    if isinstance(objective, dict):
        for value in objective.values():
            if isinstance(value, dict) and "num_class" in value:
                declared = bounded_int(value["num_class"], f"'{name}': the objective's num_class", 0, MAX_CLASSES)
                if declared != num_class:
                    raise ModelLoadError(f"'{name}': the objective says {declared} classes but the model "
                                         f"{num_class}; refused.")
    groups = max(num_class, num_target, 1)
    base_score = str(params.get("base_score", ""))
    if base_score.startswith("[") and base_score.count(",") + 1 not in (1, groups):
        raise ModelLoadError(f"'{name}': base_score has {base_score.count(',') + 1} values for {groups} output "
                             "group(s); refused.")
    booster = _dict(learner.get("gradient_booster"), name, "gradient_booster")
    kind = booster.get("name")
    if kind == "gblinear":
        weights = _dict(booster.get("model"), name, "the linear model").get("weights", [])
        if len(weights) != (num_feature + 1) * groups:
            raise ModelLoadError(f"'{name}': the linear model has {len(weights)} weights, not "
                                 f"{(num_feature + 1) * groups} ({num_feature} features + bias, {groups} groups).")
        return
    if kind == "dart":
        dart = booster
        booster = _dict(booster.get("gbtree"), name, "the dart booster's gbtree")
        trees = _dict(booster.get("model"), name, "gbtree model").get("trees")
        if len(dart.get("weight_drop", [])) != len(trees if isinstance(trees, list) else []):
            raise ModelLoadError(f"'{name}': the dart booster's weight_drop does not have one weight per tree; "
                                 "refused.")
    elif kind != "gbtree":
        raise ModelLoadError(f"'{name}': gradient booster {str(kind)[:20]!r} is not gbtree, dart or gblinear.")
    gbtree = _dict(booster.get("model"), name, "gbtree model")
    trees = gbtree.get("trees")
    if not isinstance(trees, list):
        raise ModelLoadError(f"'{name}': the model has no list of trees; refused.")
    tree_param = _dict(gbtree.get("gbtree_model_param", {}), name, "gbtree_model_param")
    declared_trees = bounded_int(tree_param.get("num_trees", len(trees)), f"'{name}': num_trees", 0, 10 ** 9)
    bounded_int(tree_param.get("num_parallel_tree", 1), f"'{name}': num_parallel_tree", 1, 100_000)
    if declared_trees != len(trees):
        raise ModelLoadError(f"'{name}': num_trees says {declared_trees} but the file holds {len(trees)} trees.")
    info = int_array(gbtree.get("tree_info", []), f"'{name}': tree_info")
    if len(info) != len(trees):
        raise ModelLoadError(f"'{name}': tree_info has {len(info)} entries for {len(trees)} trees; refused.")
    if info.size and (int(info.min()) < 0 or int(info.max()) >= groups):
        bad = int(info.min()) if int(info.min()) < 0 else int(info.max())
        raise ModelLoadError(f"'{name}': tree_info names output group {bad}, but the model has {groups} "
                             f"({num_class} classes, {num_target} targets); refused.")
    if "iteration_indptr" in gbtree:
        indptr = int_array(gbtree["iteration_indptr"], f"'{name}': iteration_indptr")
        if indptr.size == 0 or indptr[0] != 0 or indptr[-1] != len(trees) or (np.diff(indptr) < 0).any():
            raise ModelLoadError(f"'{name}': iteration_indptr does not split the {len(trees)} trees into rounds; "
                                 "refused.")
    _check_cats(gbtree.get("cats"), name, num_feature)
    for index, tree in enumerate(trees):
        check_xgboost_tree(tree, f"'{name}': tree {index}", num_feature, groups)


def check_xgboost_tree(tree: Any, what: str, num_feature: int, groups: int) -> None:
    tree = _dict(tree, what, "the tree")
    param = _dict(tree.get("tree_param"), what, "tree_param")
    n = bounded_int(param.get("num_nodes"), f"{what}: num_nodes", 1, 1 << 31)
    leaf_size = bounded_int(param.get("size_leaf_vector", 0), f"{what}: size_leaf_vector", 0, MAX_CLASSES)
    if leaf_size > 1 and leaf_size != groups:
        raise ModelLoadError(f"{what}: size_leaf_vector is {leaf_size}, but the model has {groups} output "
                             "group(s); refused.")
    tree_features = bounded_int(param.get("num_feature", num_feature), f"{what}: num_feature", 0, MAX_FEATURES)
    width = min(num_feature, tree_features)  # XGBoost sizes each row by the model's num_feature
    arrays = {}
    for field in _PER_NODE:
        if field not in tree:
            continue
        values = tree[field]
        length = len(values) if isinstance(values, (list, np.ndarray)) else -1
        expected = n * max(leaf_size, 1) if field in ("base_weights",) and leaf_size > 1 else n
        if length != expected:
            raise ModelLoadError(f"{what}: {field} has {length} entries but num_nodes is {n}; refused.")
        if field not in ("split_conditions", "base_weights", "loss_changes", "sum_hessian"):
            arrays[field] = int_array(values, f"{what}: {field}")
    for field in ("left_children", "right_children", "split_indices"):
        if field not in arrays:
            raise ModelLoadError(f"{what} has no {field}; refused.")
    left, right = arrays["left_children"], arrays["right_children"]
    internal = left != -1
    vector_leaf = "leaf_weights" in tree
    if vector_leaf:  # a leaf's right_children is its index into leaf_weights
        slots = right[~internal]
        if slots.size and (int(slots.min()) < 0 or int(slots.max()) >= slots.size
                           or len(np.unique(slots)) != slots.size):
            raise ModelLoadError(f"{what}: a leaf points outside leaf_weights (or two leaves share one); refused.")
    elif ((right != -1) != internal).any():
        raise ModelLoadError(f"{what}: a node has one child index -1 and the other not; refused.")
    check_child_links(internal, left, right, n, what)
    if "parents" in arrays:
        parents = arrays["parents"]
        nodes = np.flatnonzero(internal)
        if int(parents[0]) not in _ROOT_PARENT or (parents[left[internal]] != nodes).any() \
                or (parents[right[internal]] != nodes).any():
            raise ModelLoadError(f"{what}: parents do not agree with the child indices; refused.")
    check_features(arrays["split_indices"], internal, width, what, "split_indices")
    if vector_leaf:  # vector-leaf (multi-output) trees: one vector per leaf
        leaves = int(n - internal.sum())
        if len(tree["leaf_weights"]) != leaves * max(leaf_size, 1):
            raise ModelLoadError(f"{what}: leaf_weights has {len(tree['leaf_weights'])} entries for {leaves} leaves "
                                 f"of size {leaf_size}; refused.")
    split_type = arrays.get("split_type", np.zeros(n, dtype=np.int64))
    if ((split_type != 0) & (split_type != 1)).any():
        raise ModelLoadError(f"{what}: split_type holds values other than 0 (numeric) and 1 (categorical); refused.")
    _check_categories(tree, what, n, np.flatnonzero(internal & (split_type == 1)))


def _check_categories(tree: dict, what: str, n: int, categorical_nodes: np.ndarray) -> None:
    nodes = int_array(tree.get("categories_nodes", []), f"{what}: categories_nodes")
    segments = int_array(tree.get("categories_segments", []), f"{what}: categories_segments")
    sizes = int_array(tree.get("categories_sizes", []), f"{what}: categories_sizes")
    categories = int_array(tree.get("categories", []), f"{what}: categories")
    if not len(nodes) == len(segments) == len(sizes):
        raise ModelLoadError(f"{what}: categories_nodes, categories_segments and categories_sizes differ in length; "
                             "refused.")
    if nodes.size and (int(nodes.min()) < 0 or int(nodes.max()) >= n or len(np.unique(nodes)) != len(nodes)):
        raise ModelLoadError(f"{what}: categories_nodes names a node outside the tree (or twice); refused.")
    if set(nodes.tolist()) != set(categorical_nodes.tolist()):
        raise ModelLoadError(f"{what}: the categorical splits and categories_nodes do not match; refused.")
    if segments.size and (int(segments.min()) < 0 or int(sizes.min()) < 0
                          or int((segments + sizes).max()) > len(categories)):
        raise ModelLoadError(f"{what}: a categorical segment reaches past the {len(categories)} categories; "
                             "refused.")
    if categories.size and (int(categories.min()) < 0 or int(categories.max()) >= MAX_CATEGORY):
        raise ModelLoadError(f"{what}: a category is negative or over {MAX_CATEGORY:,}; refused.")


def _check_cats(cats: Any, name: str, num_feature: int) -> None:
    """XGBoost 3's category encoder: one segment of `sorted_idx` per feature, inside the array."""
    if cats is None:
        return
    cats = _dict(cats, name, "cats")
    segments = int_array(cats.get("feature_segments", []), f"'{name}': cats feature_segments")
    sorted_idx = int_array(cats.get("sorted_idx", []), f"'{name}': cats sorted_idx")
    encoded = cats.get("enc", [])
    if not isinstance(encoded, list) or len(encoded) > max(num_feature, 0):
        raise ModelLoadError(f"'{name}': the category encoder has more features than the model; refused.")
    if segments.size and (segments[0] != 0 or (np.diff(segments) < 0).any() or segments[-1] != len(sorted_idx)
                          or len(segments) != len(encoded) + 1):
        raise ModelLoadError(f"'{name}': the category encoder's feature_segments do not cover sorted_idx; refused.")
    if sorted_idx.size:
        for start, stop in zip(segments[:-1], segments[1:]):
            part = sorted_idx[start:stop]
            if part.size and (int(part.min()) < 0 or int(part.max()) >= stop - start):
                raise ModelLoadError(f"'{name}': the category encoder's sorted_idx points outside its feature; "
                                     "refused.")


def _dict(value: Any, name: str, what: str) -> dict:
    if not isinstance(value, dict):
        raise ModelLoadError(f"'{name}' is not an XGBoost model: {what} is missing or not an object.")
    return value


# ---------------------------------------------------------------- UBJSON

_UBJ_NUMBERS = {b"i": ">i1", b"U": ">u1", b"I": ">i2", b"l": ">i4", b"L": ">i8", b"d": ">f4", b"D": ">f8"}


def read_ubj(data: bytes, what: str, max_depth: int) -> Any:
    """Decode Universal Binary JSON (what XGBoost writes to .ubj) with limits: nesting within
    `max_depth`, every length and count checked against the bytes left before anything is allocated,
    typed arrays only of numbers (read as NumPy arrays)."""
    reader = _UbjReader(bytes(data), what, max_depth)
    value = reader.value(reader.marker(), 0)
    if reader.pos != len(reader.data):
        raise ModelLoadError(f"{what} has bytes after its UBJSON value; refused.")
    return value


class _UbjReader:
    def __init__(self, data: bytes, what: str, max_depth: int):
        self.data, self.what, self.max_depth, self.pos = data, what, max_depth, 0

    def fail(self, why: str):
        raise ModelLoadError(f"{self.what} is not a readable UBJSON (XGBoost .ubj) file: {why}.")

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            self.fail("a length reaches past the end of the file")
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def marker(self) -> bytes:
        while True:
            byte = self.take(1)
            if byte != b"N":  # no-op
                return byte

    def number(self, marker: bytes):
        kind = _UBJ_NUMBERS[marker]
        value = np.frombuffer(self.take(int(kind[-1])), dtype=kind)[0]
        return float(value) if marker in (b"d", b"D") else int(value)

    def length(self, marker: bytes | None = None) -> int:
        marker = marker or self.marker()
        if marker not in _UBJ_NUMBERS or marker in (b"d", b"D"):
            self.fail("a length is not an integer")
        count = self.number(marker)
        if count < 0 or count > len(self.data) - self.pos:
            self.fail(f"a length of {count:,} is larger than the file")
        return count

    def text(self) -> str:
        try:
            return self.take(self.length()).decode("utf-8")
        except UnicodeDecodeError:
            self.fail("a string is not UTF-8")

    def value(self, marker: bytes, depth: int):
        if marker in _UBJ_NUMBERS:
            return self.number(marker)
        if marker in (b"S", b"H"):
            return self.text()
        if marker == b"C":
            return self.take(1).decode("latin-1")
        if marker in (b"T", b"F"):
            return marker == b"T"
        if marker == b"Z":
            return None
        if marker in (b"[", b"{"):
            if depth >= self.max_depth:
                raise ModelLoadError(f"{self.what} nests deeper than {self.max_depth} levels "
                                     "(setting max_model_json_depth).")
            return self.container(marker == b"{", depth + 1)
        self.fail(f"unknown type marker {marker!r}")

    def container(self, is_object: bool, depth: int):
        item_type, count = None, None
        marker = self.marker()
        if marker == b"$":
            item_type = self.take(1)
            if item_type not in _UBJ_NUMBERS:
                self.fail("a typed container holds something other than numbers")
            marker = self.marker()
            if marker != b"#":
                self.fail("a typed container has no count")
        if marker == b"#":
            count = self.length()
            if item_type is not None and not is_object:
                kind = _UBJ_NUMBERS[item_type]
                raw = self.take(count * int(kind[-1]))
                return np.frombuffer(raw, dtype=kind).astype(kind.replace(">", "="))
            marker = None
        items: Any = {} if is_object else []
        index = 0
        while True:
            if count is not None:
                if index == count:
                    return items
            else:
                marker = marker or self.marker()
                if marker == (b"}" if is_object else b"]"):
                    return items
            if is_object:
                key = self.take(self.length(marker)).decode("utf-8", errors="replace") if marker \
                    else self.text()
                items[key] = self.number(item_type) if item_type else self.value(self.marker(), depth)
            else:
                items.append(self.number(item_type) if item_type else self.value(marker or self.marker(), depth))
            marker = None
            index += 1
