"""Benchmark: the Report page's quick audit alone, warm, with its PII scan in process vs in the worker pool.

    .venv/bin/python benchmarks/worker_pool.py [--runs 2]

Runs `run_audit_on_table(customers.csv, quick_audit_config(...), partial=True)` as the page does, once
cold per backend (engine loads), then `--runs` warm runs each, and prints per backend the best warm wall
time and the CPU time this process (standing in for the Streamlit server) spent in it: with the pool, the
scan's GIL-bound work leaves the server, which is what lets every other session's page be drawn.
"""

from __future__ import annotations

import argparse
import time

from analysis.audit import quick_audit_config, run_audit_on_table
from analysis.settings import SAMPLE_DATA_DIR
from analysis.tables import load_table
from analysis.worker_pool import pool


def _timed(table, backend: str) -> tuple[float, float]:
    config = quick_audit_config(label="churned", scan_backend=backend)
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = run_audit_on_table(table, config, partial=True)
    assert not outcome.failures, outcome.failures
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    table = load_table(SAMPLE_DATA_DIR / "customers.csv")
    rows = {}
    for backend in ("serial", "workers"):
        cold = _timed(table, backend)
        warm = min((_timed(table, backend) for _ in range(args.runs)), key=lambda t: t[0])
        rows[backend] = (cold, warm)
        print(f"{backend:8s} cold {cold[0]:6.2f} s wall | warm best of {args.runs}: {warm[0]:6.2f} s wall, "
              f"{warm[1]:6.2f} s CPU in this process ({warm[1] / warm[0]:.0%} of the wall time)", flush=True)
    serial, workers = rows["serial"][1], rows["workers"][1]
    print(f"pool / in process, warm wall time: {workers[0] / serial[0]:.2f}x; "
          f"CPU in this process: {workers[1]:.2f} s vs {serial[1]:.2f} s ({workers[1] / serial[1]:.2f}x)")
    pool().close()


if __name__ == "__main__":
    main()
