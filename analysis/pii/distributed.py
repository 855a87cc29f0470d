"""Partitioned scans: count each column's distinct values once, split them into partitions and count
matches on each, in process, on joblib workers, on Ray (when RAY_ADDRESS is set or backend="ray"), or in
the app's worker pool (backend="workers", what the dashboard asks for), via `analysis.compute.parallel_map`.

Each partition carries only its share of each column's distinct values with their row counts, as
plain lists, and a worker builds its engine once per process; counts are merged in partition order,
so every backend gives the same ScanResult. Partitions hold at most PARTITION_VALUES distinct values
per column, so a million-row column is read in steps that move the progress bar (and let a
dashboard Cancel stop the work between them). Worker-pool tasks are cut by estimated work instead
(`worker_tasks`: about `worker_pool.TASK_MICROSECONDS` of one core each) and carry each value as the
string the detectors read (`columns.readable_values`), so any cell type crosses the wire and reads the same.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analysis.pii.columns import ColumnPlan, merge_stats, readable_values, scan_partition
from analysis.pii.text import COST_TEXT, COST_TEXT_CHAR
from analysis.progress import ProgressCallback, report, scaled
from analysis.settings import get_settings
from analysis.worker_pool import TASK_MICROSECONDS

# Below this many distinct values to analyse, one process beats starting workers.
PARALLEL_MIN_CELLS = 60_000
RAY_PARTITION_ROWS = 50_000
# At most this many distinct values of a column per partition: about a second of validators.
PARTITION_VALUES = 50_000
# Work of one distinct value in a worker-pool task, in microseconds of one core (measured alone on the
# 2-core machine: 50,000 pattern-checked values 1.2 s, 50,000 NER values 35 s; free text: pii.text),
# plus a microsecond per character, which also keeps a task of long values far below the wire's
# 64 MB message header.
COST_VALUE, COST_NER_VALUE, COST_CHAR = 25, 700, 1


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


def distinct_counts(series: pd.Series) -> tuple[list, list[int]]:
    """A column's non-null distinct values (in order of first appearance) and how many rows hold each."""
    try:
        counts = series.value_counts(dropna=True, sort=False)
    except TypeError:  # unhashable cells (lists, dicts from JSON): compare them as text
        counts = series.dropna().map(str).value_counts(sort=False)
    return counts.index.tolist(), counts.to_numpy(dtype=np.int64).tolist()


def scan_partitions(frame: pd.DataFrame, plans: Sequence[ColumnPlan], *, backend: str = "auto",
                    threshold: float, allow: Sequence[str] = (), deny: Sequence[str] = (),
                    partitions: Optional[int] = None, progress: Optional[ProgressCallback] = None,
                    label: str = "partition") -> dict[str, dict]:
    """Merged per-column stats of `frame` (only the columns in `plans`)."""
    from analysis.compute import parallel_map

    settings = get_settings()
    distinct = {}
    for i, plan in enumerate(plans):
        report(progress, 0.05 * i / max(1, len(plans)), f"counting distinct values: {plan.name}")
        distinct[plan.name] = distinct_counts(frame[plan.name])
    if backend == "workers":
        tasks = worker_tasks(distinct, plans, {"model": settings.spacy_model, "threshold": threshold,
                                               "allow": list(allow), "deny": list(deny)})
        return merge_stats(parallel_map(scan_partition, tasks, backend="workers",
                                        progress=scaled(progress, 0.05, 1.0), label=label))
    widest = max((len(values) for values, _ in distinct.values()), default=0)
    kind = choose_backend(backend, sum(len(values) for values, _ in distinct.values()))
    if partitions is None:
        if kind == "serial":
            partitions = 1
        elif kind == "ray":
            partitions = max(settings.n_jobs, -(-widest // RAY_PARTITION_ROWS))
        else:
            partitions = settings.n_jobs
        partitions = max(partitions, -(-widest // PARTITION_VALUES))
    bounds = {name: partition_bounds(len(values), partitions) for name, (values, _) in distinct.items()}
    parts = max(len(b) for b in bounds.values()) if bounds else 1
    tasks = []
    for k in range(parts):
        def share(name: str, column: list) -> list:
            edges = bounds[name]
            return column[edges[k][0]:edges[k][1]] if k < len(edges) else []

        tasks.append({"model": settings.spacy_model, "plans": [p.to_dict() for p in plans],
                      "values": {name: share(name, values) for name, (values, _) in distinct.items()},
                      "weights": {name: share(name, weights) for name, (_, weights) in distinct.items()},
                      "threshold": threshold, "allow": list(allow), "deny": list(deny)})
    work = scaled(progress, 0.05, 1.0)
    if kind == "serial":  # in process: each partition reports its own columns too
        results = []
        for k, task in enumerate(tasks):
            results.append(scan_partition(task, progress=scaled(work, k / len(tasks), (k + 1) / len(tasks))))
            report(work, (k + 1) / len(tasks), f"{label} {k + 1}/{len(tasks)}")
    else:
        results = parallel_map(scan_partition, tasks, backend=kind, progress=work, label=label)
    return merge_stats(results)


def worker_tasks(distinct: dict[str, tuple[list, list[int]]], plans: Sequence[ColumnPlan],
                 common: dict) -> list[dict]:
    """`scan_partition` tasks for the worker pool: consecutive slices of each column's distinct values (in
    plan order, then value order, so merged stats equal one pass), packed until a task holds about
    TASK_MICROSECONDS of work. Values travel as the strings the detectors read."""
    pieces: list[list[tuple[ColumnPlan, list, list]]] = [[]]
    spent = 0.0
    for plan in plans:
        values, weights = distinct[plan.name]
        strings = readable_values(values, plan.value_kind)
        lengths = np.array([len(s or "") for s in strings], dtype=float)
        if plan.text:
            costs = COST_TEXT + COST_TEXT_CHAR * lengths
        else:
            costs = (COST_NER_VALUE if plan.ner else COST_VALUE) + COST_CHAR * lengths
        cumulative = np.concatenate([[0.0], np.cumsum(costs)])
        start = 0
        while True:
            # the furthest end whose slice still fits the room left in this task
            limit = cumulative[start] + TASK_MICROSECONDS - spent
            end = int(np.searchsorted(cumulative, limit, side="right")) - 1
            if end <= start < len(strings) and not pieces[-1]:
                end = start + 1  # one value above the budget gets a task of its own
            end = min(max(end, start), len(strings))
            if end > start or not strings:  # an empty column still gets its (zero) stats
                pieces[-1].append((plan, strings[start:end], weights[start:end]))
                spent += float(cumulative[end] - cumulative[start])
            start = end
            if start >= len(strings):
                break
            pieces.append([])  # this task is full
            spent = 0.0
    return [{**common, "plans": [plan.to_dict() for plan, _, _ in piece],
             "values": {plan.name: part for plan, part, _ in piece},
             "weights": {plan.name: part for plan, _, part in piece}} for piece in pieces if piece]
