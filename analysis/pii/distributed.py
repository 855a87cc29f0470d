"""Partitioned scans: split rows into partitions and count matches on each, in process, on joblib
workers, or on Ray (when RAY_ADDRESS is set or backend="ray"), via `analysis.compute.parallel_map`.

Each partition carries only its own rows as plain lists, and a worker builds its engine once per
process; counts are merged in partition order, so every backend gives the same ScanResult.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analysis.pii.columns import ColumnPlan, merge_stats, scan_partition
from analysis.progress import ProgressCallback
from analysis.settings import get_settings

# Below this many cells to analyse in a partition-worthy way, one process beats starting workers.
PARALLEL_MIN_CELLS = 60_000
RAY_PARTITION_ROWS = 50_000


def choose_backend(backend: str, work_cells: int) -> str:
    """Resolve 'auto': Ray when an address is configured; joblib for big jobs; else in process."""
    from analysis.compute import resolve_backend

    kind = resolve_backend(backend)
    if backend == "auto" and kind == "joblib" and (work_cells < PARALLEL_MIN_CELLS or get_settings().n_jobs <= 1):
        return "serial"
    return kind


def partition_bounds(rows: int, parts: int) -> list[tuple[int, int]]:
    parts = max(1, min(parts, rows)) if rows else 1
    edges = np.linspace(0, rows, parts + 1).astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def scan_partitions(frame: pd.DataFrame, plans: Sequence[ColumnPlan], *, backend: str = "auto",
                    threshold: float, allow: Sequence[str] = (), deny: Sequence[str] = (),
                    partitions: Optional[int] = None, progress: Optional[ProgressCallback] = None,
                    label: str = "partition") -> dict[str, dict]:
    """Merged per-column stats of `frame` (only the columns in `plans`)."""
    from analysis.compute import parallel_map

    settings = get_settings()
    kind = choose_backend(backend, len(frame) * len(plans))
    if partitions is None:
        if kind == "serial":
            partitions = 1
        elif kind == "ray":
            partitions = max(settings.n_jobs, -(-len(frame) // RAY_PARTITION_ROWS))
        else:
            partitions = settings.n_jobs
    tasks = []
    for start, end in partition_bounds(len(frame), partitions):
        part = frame.iloc[start:end]
        tasks.append({"model": settings.spacy_model, "plans": [p.to_dict() for p in plans],
                      "values": {p.name: part[p.name].tolist() for p in plans},
                      "threshold": threshold, "allow": list(allow), "deny": list(deny)})
    if kind == "serial" and len(tasks) == 1:
        results = [scan_partition(tasks[0], progress=progress)]  # finer progress in process
    else:
        results = parallel_map(scan_partition, tasks, backend=kind, progress=progress, label=label)
    return merge_stats(results)
