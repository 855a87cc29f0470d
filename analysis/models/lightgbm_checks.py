"""LightGBM text models, parsed and checked in Python before `lgb.Booster` sees them.

LightGBM trusts its text format: `split_feature` or a child index of 1e8, `num_leaves=1e9`, a
`tree_sizes` header that lies about where each tree starts, a cycle between nodes or a negative leaf
index crash its parser or make prediction loop forever. `check_lightgbm` reads the header and every
`Tree=` block itself and refuses, naming the tree and the field, unless:
- `num_leaves` is within 1..131,072 (LightGBM's own maximum) and every per-node array has
  `num_leaves - 1` entries, every per-leaf array `num_leaves`;
- child indices are internal nodes (>= 0) or `~leaf` with the leaf below `num_leaves`, the root is
  nobody's child and no node or leaf is reached twice (`tree_checks.check_child_links`);
- `split_feature` (and a linear tree's `leaf_features`) is within `max_feature_idx`; categorical
  splits name `cat_boundaries` segments inside `cat_threshold`;
- `tree_sizes`, when present, gives the exact size of each block (else LightGBM reads at wrong offsets);
- the objective is a classification one.

Reference models are trained with `lgb.train` and the file's `parameters:` block: only the training
parameters in `ALLOWED_PARAMETERS` are kept, each within its range; everything else (machines,
num_machines, local_listen_port, time_out, any file or path, threads, device, tree_learner, ...) is
dropped and listed in `dropped`. The native loader is given the text without that block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from analysis.models.gate import ModelLoadError, _shown
from analysis.models.tree_checks import bounded_int, check_child_links, check_features

MAX_LEAVES = 131_072
MAX_CLASSES = 100_000
MAX_FEATURES = 10_000_000
CLASSIFIER_OBJECTIVES = frozenset({"binary", "multiclass", "multiclassova", "cross_entropy", "cross_entropy_lambda"})


def _number(low: float, high: float, integer: bool = False):
    def parse(raw: str):
        value = int(raw) if integer else float(raw)
        if not low <= value <= high:
            raise ValueError
        return value
    return parse


def _choice(*values: str):
    def parse(raw: str):
        if raw not in values:
            raise ValueError
        return raw
    return parse


def _flag(raw: str) -> bool:
    if raw not in ("0", "1", "true", "false"):
        raise ValueError
    return raw in ("1", "true")


# Training parameters kept for reference models, with the values allowed. Nothing else reaches lgb.train.
ALLOWED_PARAMETERS = {
    "boosting": _choice("gbdt", "dart", "rf", "goss"),
    "objective": _choice(*sorted(CLASSIFIER_OBJECTIVES)),
    "data_sample_strategy": _choice("bagging", "goss"),
    "learning_rate": _number(1e-12, 10.0),
    "num_leaves": _number(2, MAX_LEAVES, integer=True),
    "max_depth": _number(-1, 1000, integer=True),
    "min_data_in_leaf": _number(0, 1e9, integer=True),
    "min_sum_hessian_in_leaf": _number(0.0, 1e12),
    "lambda_l1": _number(0.0, 1e12),
    "lambda_l2": _number(0.0, 1e12),
    "min_gain_to_split": _number(0.0, 1e12),
    "max_delta_step": _number(-1e12, 1e12),
    "feature_fraction": _number(1e-12, 1.0),
    "feature_fraction_bynode": _number(1e-12, 1.0),
    "bagging_fraction": _number(1e-12, 1.0),
    "pos_bagging_fraction": _number(1e-12, 1.0),
    "neg_bagging_fraction": _number(1e-12, 1.0),
    "bagging_freq": _number(0, 1_000_000, integer=True),
    "num_class": _number(1, MAX_CLASSES, integer=True),
    "is_unbalance": _flag,
    "scale_pos_weight": _number(1e-12, 1e12),
    "sigmoid": _number(1e-12, 1e6),
    "boost_from_average": _flag,
    "extra_trees": _flag,
    "path_smooth": _number(0.0, 1e12),
    "max_bin": _number(2, 4096, integer=True),
    "min_data_in_bin": _number(1, 1_000_000, integer=True),
    "drop_rate": _number(0.0, 1.0),
    "skip_drop": _number(0.0, 1.0),
    "max_drop": _number(-1, 1_000_000, integer=True),
    "xgboost_dart_mode": _flag,
    "uniform_drop": _flag,
    "top_rate": _number(0.0, 1.0),
    "other_rate": _number(0.0, 1.0),
    "max_cat_threshold": _number(1, 10_000, integer=True),
    "max_cat_to_onehot": _number(1, 10_000, integer=True),
    "min_data_per_group": _number(1, 1e9, integer=True),
    "cat_l2": _number(0.0, 1e12),
    "cat_smooth": _number(0.0, 1e12),
    "use_missing": _flag,
    "zero_as_missing": _flag,
    "linear_tree": _flag,
    "linear_lambda": _number(0.0, 1e12),
}
# Not dropped as unsafe but set by the recipe itself (rounds, seeds, threads, verbosity).
_SET_BY_RECIPE = frozenset({"num_iterations", "seed", "num_threads", "verbosity", "deterministic", "bagging_seed",
                            "feature_fraction_seed", "extra_seed", "drop_seed", "data_random_seed",
                            "objective_seed"})


@dataclass(frozen=True)
class LightGBMText:
    objective: str
    num_class: int
    num_features: int
    num_trees: int
    params: dict            # the allow-listed training parameters, typed
    dropped: tuple          # names of the parameters in the file that were not kept
    native_text: str        # what the native loader gets: the file without its parameters block


def check_lightgbm(text: str, name: str) -> LightGBMText:
    """Parse and check a LightGBM text model; ModelLoadError naming the tree and field otherwise."""
    if not text.startswith("tree\n"):
        raise ModelLoadError(f"'{name}' is not a LightGBM text model (it does not start with 'tree').")
    end = text.find("\nend of trees")
    if end < 0:
        raise ModelLoadError(f"'{name}' is not a complete LightGBM model (no 'end of trees' line).")
    first = text.find("\nTree=")
    first = end + 1 if first < 0 or first > end else first + 1
    header = _key_values(text[:first])
    max_feature_idx = bounded_int(header.get("max_feature_idx"), f"'{name}': max_feature_idx", 0, MAX_FEATURES)
    num_class = bounded_int(header.get("num_class", 1), f"'{name}': num_class", 1, MAX_CLASSES)
    per_iteration = bounded_int(header.get("num_tree_per_iteration", 1), f"'{name}': num_tree_per_iteration",
                                1, MAX_CLASSES)
    if per_iteration not in (1, num_class):
        raise ModelLoadError(f"'{name}': num_tree_per_iteration ({per_iteration}) is neither 1 nor num_class "
                             f"({num_class}); refused.")
    width = max_feature_idx + 1
    for key in ("feature_names", "feature_infos", "monotone_constraints"):
        if key in header and len(header[key].split()) != width:
            raise ModelLoadError(f"'{name}': {key} lists {len(header[key].split())} features, max_feature_idx says "
                                 f"{width}; refused.")
    objective = _objective(header.get("objective", ""), name, num_class)
    blocks = _tree_blocks(text[first:end + 1])
    if len(blocks) % per_iteration:
        raise ModelLoadError(f"'{name}' holds {len(blocks)} trees, not a whole number of rounds of "
                             f"{per_iteration}; refused.")
    if "tree_sizes" in header:
        sizes = header["tree_sizes"].split()
        actual = [str(len(block.encode("utf-8"))) for block in blocks]
        if sizes != actual:
            raise ModelLoadError(f"'{name}': the tree_sizes header does not match the size of its {len(blocks)} tree "
                                 "blocks; refused before LightGBM reads at the offsets it gives.")
    for index, block in enumerate(blocks):
        _check_tree(_key_values(block), f"'{name}': tree {index}", width)
    params, dropped = _training_parameters(text[end:])
    start = text.find("\nparameters:\n", end)
    stop = text.find("\nend of parameters", start) if start >= 0 else -1
    native = text if start < 0 or stop < 0 else text[:start + 1] + text[stop + len("\nend of parameters"):].lstrip("\n")
    return LightGBMText(objective=objective, num_class=num_class, num_features=width, num_trees=len(blocks),
                        params=params, dropped=dropped, native_text=native)


def _key_values(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


def _tree_blocks(text: str) -> list[str]:
    """Each block from its 'Tree=' line to the next one (blank lines included, as tree_sizes counts)."""
    starts = [m.start() for m in re.finditer(r"^Tree=", text, flags=re.M)]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def _objective(raw: str, name: str, num_class: int) -> str:
    parts = raw.split()
    if not parts or parts[0] not in CLASSIFIER_OBJECTIVES:
        shown = _shown(parts[0]) if parts else "none"
        raise ModelLoadError(f"'{name}' is a LightGBM model with objective {shown!r}, not a classifier.")
    for part in parts[1:]:
        key, sep, value = part.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z_]+", key) or not re.fullmatch(r"-?[0-9.eE+-]+", value):
            raise ModelLoadError(f"'{name}': the objective's parameter {_shown(key)!r} is not a number; refused.")
        declared = bounded_int(value, f"'{name}': the objective's num_class", 1, MAX_CLASSES) if key == "num_class" \
            else num_class
        if declared != num_class:
            raise ModelLoadError(f"'{name}': the objective says a different num_class than the header; refused.")
    return parts[0]


def _ints(values: dict, key: str, length: int, what: str) -> np.ndarray:
    array = _numbers(values, key, length, what)
    if not np.all(array == np.round(array)) or (np.abs(array) > 2.0 ** 62).any():
        raise ModelLoadError(f"{what}: {key} holds values that are not integers; refused.")
    return array.astype(np.int64)


def _numbers(values: dict, key: str, length: int | None, what: str) -> np.ndarray:
    if key not in values:
        raise ModelLoadError(f"{what} has no {key}; refused.")
    tokens = values[key].split()
    if length is not None and len(tokens) != length:
        raise ModelLoadError(f"{what}: {key} has {len(tokens)} entries, num_leaves implies {length}; refused.")
    try:
        array = np.asarray(tokens, dtype=np.float64)
    except ValueError:
        raise ModelLoadError(f"{what}: {key} holds something that is not a number; refused.") from None
    if not np.all(np.isfinite(array)) and key not in ("threshold", "leaf_value", "split_gain", "internal_value"):
        raise ModelLoadError(f"{what}: {key} holds infinite or missing values; refused.")
    return array


def _check_tree(values: dict, what: str, width: int) -> None:
    leaves = bounded_int(values.get("num_leaves"), f"{what}: num_leaves", 1, MAX_LEAVES)
    num_cat = bounded_int(values.get("num_cat", 0), f"{what}: num_cat", 0, max(leaves - 1, 0))
    _numbers(values, "leaf_value", leaves, what)
    for key in ("leaf_weight", "leaf_count", "leaf_const"):
        if values.get(key):  # optional; written empty for a one-leaf tree
            _numbers(values, key, leaves, what)
    if leaves > 1:
        nodes = leaves - 1
        for key in ("threshold", "split_gain", "internal_value", "internal_weight", "internal_count"):
            if values.get(key) or key == "threshold":
                _numbers(values, key, nodes, what)
        left = _ints(values, "left_child", nodes, what)
        right = _ints(values, "right_child", nodes, what)
        features = _ints(values, "split_feature", nodes, what)
        decision = _ints(values, "decision_type", nodes, what)
        if decision.size and (int(decision.min()) < 0 or int(decision.max()) > 15):
            raise ModelLoadError(f"{what}: decision_type is outside 0..15; refused.")
        everything = np.ones(nodes, dtype=bool)
        check_features(features, everything, width, what, "split_feature")
        # Internal children are nodes 1..nodes-1; a negative child is ~leaf. Leaves become nodes + leaf,
        # so one check covers both ranges, the root and the "reached once" rule.
        as_nodes = lambda child: np.where(child >= 0, child, nodes + ~child)  # noqa: E731
        leaf_index = ~np.concatenate([left[left < 0], right[right < 0]])
        if leaf_index.size and int(leaf_index.max()) >= leaves:
            raise ModelLoadError(f"{what} names leaf {int(leaf_index.max())} but has {leaves} leaves (num_leaves); "
                                 "refused before LightGBM reads past the tree.")
        if (left >= nodes).any() or (right >= nodes).any():
            raise ModelLoadError(f"{what} has a child index outside its {nodes} internal nodes; refused before "
                                 "LightGBM reads past the tree.")
        check_child_links(everything, as_nodes(left), as_nodes(right), nodes + leaves, what)
        categorical = (decision & 1).astype(bool)
        if categorical.any() or num_cat:
            boundaries = _ints(values, "cat_boundaries", num_cat + 1, what)
            thresholds = _numbers(values, "cat_threshold", None, what)
            if boundaries[0] != 0 or (np.diff(boundaries) < 0).any() or boundaries[-1] != len(thresholds):
                raise ModelLoadError(f"{what}: cat_boundaries do not split cat_threshold; refused.")
            indices = _numbers(values, "threshold", nodes, what)[categorical]
            if indices.size and (not np.all(indices == np.round(indices)) or indices.min() < 0
                                 or indices.max() >= num_cat):
                raise ModelLoadError(f"{what}: a categorical split names a category set outside its {num_cat}; "
                                     "refused.")
    if values.get("is_linear", "0") not in ("0", ""):
        per_leaf = _ints(values, "num_features", leaves, what)
        if per_leaf.min() < 0 or per_leaf.max() > width:
            raise ModelLoadError(f"{what}: a linear leaf uses more features than the model has; refused.")
        total = int(per_leaf.sum())
        leaf_features = _ints(values, "leaf_features", total, what) if total else np.zeros(0, np.int64)
        if total:
            _numbers(values, "leaf_coeff", total, what)
        check_features(leaf_features, np.ones(total, dtype=bool), width, what, "leaf_features")


def _training_parameters(tail: str) -> tuple[dict, tuple]:
    """The allow-listed, typed training parameters of the `parameters:` block, and the names dropped."""
    start = tail.find("\nparameters:\n")
    stop = tail.find("\nend of parameters", start)
    if start < 0 or stop < 0:
        return {}, ()
    kept, dropped = {}, []
    for line in tail[start:stop].splitlines():
        match = re.fullmatch(r"\[([A-Za-z0-9_]+): ?(.*)\]", line.strip())
        if not match:
            continue
        key, raw = match.group(1), match.group(2).strip()
        parse = ALLOWED_PARAMETERS.get(key)
        if key in _SET_BY_RECIPE:
            continue
        if parse is None:
            dropped.append(key)
            continue
        try:
            kept[key] = parse(raw)
        except (ValueError, OverflowError):
            dropped.append(key)
    return kept, tuple(sorted(set(_shown(d) for d in dropped)))
