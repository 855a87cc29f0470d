"""Equivalence classes as integer codes: the one fast primitive every risk metric builds on.

Each quasi-identifier column is factorized once (missing values are a value of their own), codes
are combined in mixed radix, and classes are numbered densely. Everything after that is
`np.bincount` over integer arrays, so all metrics cost about one `groupby(...).size()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Above this many possible combinations a dense bincount would waste memory: hash instead.
_DENSE_LIMIT = 1 << 16
_INT64_SAFE = 1 << 62


@dataclass(frozen=True)
class ColumnCodes:
    """Integer codes (0..cardinality-1) for one column."""

    name: str
    codes: np.ndarray
    cardinality: int


def encode_column(series: pd.Series, *, sort: bool = False) -> ColumnCodes:
    """Factorize one column; missing values get their own code (last when `sort`).

    With `sort=True` codes follow the values' natural order (used for ordered distances)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False, sort=sort)
    return ColumnCodes(name=str(series.name), codes=codes.astype(np.int64, copy=False),
                       cardinality=max(1, len(uniques)))


def encode_columns(frame: pd.DataFrame, columns: list[str]) -> dict[str, ColumnCodes]:
    return {c: encode_column(frame[c]) for c in columns}


def dense_ids(code: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct values of `code` (each in [0, space)) 0..J-1; return (ids, counts)."""
    if len(code) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if space <= max(_DENSE_LIMIT, 2 * len(code)):
        counts = np.bincount(code, minlength=space)
        present = counts > 0
        rank = np.cumsum(present, dtype=np.int64) - 1
        return rank[code], counts[present]
    ids, uniques = pd.factorize(code, sort=False)
    return ids.astype(np.int64, copy=False), np.bincount(ids, minlength=len(uniques))


def _mixed_code(parts: list[ColumnCodes]) -> tuple[np.ndarray, int]:
    """One integer per record for the combination of `parts` (mixed radix), and the size of its range.
    When the range would overflow int64 the codes so far are first renumbered densely."""
    if not parts:
        raise ValueError("at least one quasi-identifier is needed")
    code = parts[0].codes
    space = parts[0].cardinality
    for part in parts[1:]:
        if space * part.cardinality >= _INT64_SAFE:
            code, counts = dense_ids(code, space)
            space = len(counts)
        code = code * part.cardinality + part.codes
        space *= part.cardinality
    return code, space


def combine(parts: list[ColumnCodes]) -> tuple[np.ndarray, np.ndarray]:
    """Class id per record and class sizes for the combination of `parts` (at least one)."""
    return dense_ids(*_mixed_code(parts))


def combine_sizes(parts: list[ColumnCodes]) -> np.ndarray:
    """Only the class sizes of the combination (cheaper than `combine` when ids are not needed)."""
    code, space = _mixed_code(parts)
    if space <= max(_DENSE_LIMIT, 2 * len(code)):
        counts = np.bincount(code, minlength=space)
        return counts[counts > 0]
    _, counts = dense_ids(code, space)
    return counts


def class_ids(frame: pd.DataFrame, quasi_identifiers: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Class id per record and the size of each class, for `quasi_identifiers` of `frame`."""
    encoded = encode_columns(frame, quasi_identifiers)
    return combine([encoded[c] for c in quasi_identifiers])


def pair_counts(ids: np.ndarray, n_classes: int, values: ColumnCodes, *,
                sorted_pairs: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (class, value) pairs with their counts: (class of pair, value of pair, count).

    With `sorted_pairs` the pairs come ordered by class, then value code."""
    code = ids * values.cardinality + values.codes
    space = n_classes * values.cardinality
    if space <= max(_DENSE_LIMIT, 2 * len(code)):
        counts = np.bincount(code, minlength=space)
        present = np.flatnonzero(counts)
        return present // values.cardinality, present % values.cardinality, counts[present]
    pair_ids, uniq = pd.factorize(code, sort=False)
    counts = np.bincount(pair_ids, minlength=len(uniq))
    if sorted_pairs:
        order = np.argsort(uniq, kind="stable")
        uniq, counts = uniq[order], counts[order]
    return uniq // values.cardinality, uniq % values.cardinality, counts
