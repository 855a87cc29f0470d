"""Suppression until k holds: drop records (record) or blank quasi-identifier cells first (cell).

Record suppression removes every record whose equivalence class is smaller than k; the remaining
classes are untouched, so k holds after one pass.

Cell suppression (local suppression) replaces quasi-identifier values with a marker, one column
at a time, only in records whose class is still smaller than k; columns with the most distinct
values go first (they split classes the most). Records still in a class below k once all their
quasi-identifiers are blank (fewer than k such records) are then dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.risk import record_class_sizes


@dataclass(frozen=True)
class SuppressionOutcome:
    frame: pd.DataFrame
    records_dropped: int
    cells_suppressed: int
    k_after: int


def suppress(frame: pd.DataFrame, quasi_identifiers: list[str], k: int, *, method: str = "record",
             marker: str = "*") -> SuppressionOutcome:
    if len(frame) == 0:
        return SuppressionOutcome(frame, 0, 0, 0)
    sizes = record_class_sizes(frame, quasi_identifiers)
    cells = 0
    if method == "cell":
        frame = frame.copy()
        order = sorted(quasi_identifiers, key=lambda c: -frame[c].nunique(dropna=False))
        for column in order:
            small = sizes < k
            if not small.any():
                break
            col = frame[column]
            if not (pd.api.types.is_string_dtype(col) and not pd.api.types.is_object_dtype(col)):
                col = col.astype("str")
            col = col.where(~small, marker)
            cells += int(small.sum())
            frame[column] = col
            sizes = record_class_sizes(frame, quasi_identifiers)
    keep = sizes >= k
    dropped = int((~keep).sum())
    out = frame.loc[keep] if dropped else frame
    k_after = int(np.min(sizes[keep])) if keep.any() else 0
    return SuppressionOutcome(out, dropped, cells, k_after)
