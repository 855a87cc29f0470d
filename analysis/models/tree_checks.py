"""The shape of one decision tree stored as child-index arrays, checked before a native predictor walks it.

Used by the XGBoost, LightGBM and scikit-learn (.skops) checks (`xgboost_checks`, `lightgbm_checks`,
`skops_trees`). A predictor follows child indices from the root until it reaches a leaf and reads
the split feature of every node on the way: an index past the array reads (or writes) outside it, and
a node reachable twice (a cycle) makes the walk endless. Vectorised, so a tree of millions of nodes
costs milliseconds.
"""

from __future__ import annotations

import numpy as np

from analysis.models.archive import ModelLoadError


def int_array(values, what: str) -> np.ndarray:
    """`values` (a list from JSON, or an array) as int64; ModelLoadError when they are not integers."""
    try:
        array = np.asarray(values)
        if array.dtype.kind == "f" and array.size and not np.all(np.isfinite(array) & (array == np.round(array))
                                                                 & (np.abs(array) < 2.0 ** 62)):
            raise ValueError
        if array.size and array.dtype.kind not in "iuf" or array.ndim != 1:
            raise ValueError
        return array.astype(np.int64)
    except (ValueError, TypeError, OverflowError):
        raise ModelLoadError(f"{what} is not a list of integers; refused.") from None


def check_child_links(internal: np.ndarray, left: np.ndarray, right: np.ndarray, n_nodes: int, what: str) -> None:
    """Refuse unless each internal node's children are nodes of the tree, the root is nobody's child and
    no node is the child of two nodes: then the walk from the root is a tree (finite, no cycle).

    `internal`: boolean mask of nodes that have children; `left` / `right`: their child indices."""
    children = np.concatenate([left[internal], right[internal]])
    if children.size == 0:
        return
    low, high = int(children.min()), int(children.max())
    if low == 0:
        raise ModelLoadError(f"{what} has a node whose child is the root node (a cycle); refused before a "
                             "prediction walks it forever.")
    if low < 1 or high >= n_nodes:
        bad = low if low < 1 else high
        raise ModelLoadError(f"{what} has a child index {bad} outside its {n_nodes} nodes; refused before the "
                             "native loader reads past the tree.")
    counts = np.bincount(children, minlength=n_nodes)
    if counts.max() > 1:
        node = int(np.argmax(counts))
        raise ModelLoadError(f"{what} reaches node {node} {int(counts.max())} times (a cycle or a shared "
                             "node); refused before a prediction walks it forever.")


def check_features(features: np.ndarray, internal: np.ndarray, width: int, what: str, field: str) -> None:
    """Refuse a split feature of an internal node outside [0, width)."""
    used = features[internal]
    if used.size and (int(used.min()) < 0 or int(used.max()) >= width):
        bad = int(used.min()) if int(used.min()) < 0 else int(used.max())
        raise ModelLoadError(f"{what} splits on feature {bad} ({field}), but the model has {width} features; "
                             "refused before the native loader reads past the row.")


def bounded_int(value, what: str, low: int, high: int) -> int:
    """An integer field (JSON number or numeric string) within [low, high]; ModelLoadError otherwise."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ModelLoadError(f"{what} is not an integer; refused.") from None
    if not low <= number <= high:
        raise ModelLoadError(f"{what} is {number}, outside {low}..{high:,}; refused.")
    return number
