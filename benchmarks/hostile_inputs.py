"""Benchmark: peak memory and time to refuse (or load) each hostile file, one fresh process per file.

    .venv/bin/python benchmarks/hostile_inputs.py            # every hostile table (and model, if present)
    .venv/bin/python benchmarks/hostile_inputs.py --only far # rows whose label contains "far"
    .venv/bin/python benchmarks/hostile_inputs.py --only xgboost,lightgbm,skops,onnx,keras  # any of these
    .venv/bin/python benchmarks/hostile_inputs.py --before   # also the plain pandas/json/csv read of each
                                                             # table, capped at 3 GB address space and 90 s

Targets (issue 12): under 1.5 GB peak RSS and under 60 s per file. The files come from
tests/security/hostile_tables.py (HOSTILE_TABLES) and, when that module exists, from
tests/security/hostile_models.py (HOSTILE_MODELS, the same shape: label -> (file name, builder); without
that mapping, its keras_*/skops_*/onnx_* functions that need no argument). Issue 20 added the files that
crash, hang or exhaust native loaders (XGBoost JSON/UBJ and LightGBM trees with wrong indices, .skops
trees with a cycle, ONNX Loop / broadcasting / value-sized ops, HDF5 link cycles, huge Keras layers):
each row is the structural check's refusal, timed in a fresh process like the others.
Each file is written to a temporary folder, then a child process imports the loader and reads it
(`analysis.tables.load_table`, or `analysis.models.loading.load_model` for models). Peak RSS is the
child's VmHWM (/proc/self/status) read after the load: getrusage's ru_maxrss of a child (os.wait4)
also counts the parent's pages at fork time, which here include the hostile files just built; that
figure is used only when the child dies before reporting. A baseline row
(a three-row CSV) shows what the interpreter and imports cost on their own in the same run; "at the
limits" rows show the most a file just inside the default limits can cost.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.security import hostile_tables  # noqa: E402

MEMORY_TARGET_MB = 1536
TIME_TARGET_S = 60.0

# Runs in the child: load one file, print the outcome and the load time on one line.
CHILD = """
import sys, time
kind, path = sys.argv[1], sys.argv[2]
if kind == "table":
    from analysis.tables import load_table as load
    call = lambda: load(path)
else:
    from pathlib import Path
    from analysis.models.loading import load_model
    call = lambda: load_model(Path(path).read_bytes(), Path(path).name)
started = time.perf_counter()
try:
    result = call()
    shape = getattr(getattr(result, "frame", None), "shape", None)
    outcome = f"loaded {shape[0]:,} x {shape[1]:,}" if shape else f"loaded {type(result).__name__}"
except Exception as exc:
    outcome = f"refused ({type(exc).__name__}): {exc}"
elapsed = time.perf_counter() - started
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(f"{elapsed:.3f}\\t{peak_kb}\\t{outcome}")
"""

# The unguarded read each format had before the limits, for comparison; run under a 3 GB address-space cap.
BEFORE = """
import csv, json, resource, sys, time
cap = 3 * 2**30
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
path = sys.argv[1]
import pandas as pd
started = time.perf_counter()
try:
    if path.endswith(".parquet"):
        result = pd.read_parquet(path).shape
    elif path.endswith(".xlsx"):
        result = pd.read_excel(path, header=None, engine="openpyxl").shape
    elif path.endswith(".jsonl"):
        result = len([json.loads(line) for line in open(path, encoding="utf-8")])
    elif path.endswith(".json"):
        result = pd.json_normalize(json.loads(open(path, encoding="utf-8").read())).shape
    else:  # the old loader's CSV path: sniff the first 64 KB / 50 lines, a csv pass, then pandas
        import io
        text = open(path, encoding="utf-8", newline="").read()
        try:
            sep = csv.Sniffer().sniff("\\n".join(text[:65536].splitlines()[:50]), delimiters=",;\\t|").delimiter
        except csv.Error:
            sep = ","
        sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=sep))
        result = pd.read_csv(io.StringIO(text), sep=sep).shape
    outcome = f"read {result}"
except BaseException as exc:
    outcome = f"failed ({type(exc).__name__})"
elapsed = time.perf_counter() - started
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(f"{elapsed:.3f}\\t{peak_kb}\\t{outcome}")
"""


def _baseline() -> bytes:
    return b"name,age\nAnn,34\nBo,51\n"


def _at_the_limits() -> bytes:
    """A Parquet file just inside the default limits: 4,999,999 rows x 6 low-cardinality columns."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows, rng = 4_999_999, np.random.default_rng(0)
    table = pa.table({
        "age": rng.integers(18, 91, rows), "zip": pa.array(rng.integers(10000, 10100, rows).astype(str)),
        "sex": pa.array(rng.choice(["F", "M"], rows)), "score": rng.random(rows).round(2),
        "city": pa.array(rng.choice(["Oslo", "Köln", "Lyon", "Porto"], rows)), "flag": rng.integers(0, 2, rows),
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _large_json() -> bytes:
    """Not hostile, just big: 1,000,000 flat records x 5 fields (about 72 MB), what JSON costs to load."""
    import json
    import random

    rng = random.Random(0)
    return json.dumps([{"age": rng.randint(18, 90), "zip": str(rng.randint(10000, 10100)), "sex": rng.choice("FM"),
                        "score": round(rng.random(), 2), "city": rng.choice(["Oslo", "Lyon"])}
                       for _ in range(1_000_000)]).encode()


def cases() -> list[tuple[str, str, str, object]]:
    """(kind, label, file name, builder) for every file to measure."""
    rows = [("table", "baseline: 3-row CSV", "tiny.csv", _baseline)]
    rows += [("table", label, file_name, build) for label, (file_name, build) in hostile_tables.HOSTILE_TABLES.items()]
    rows.append(("table", "at the limits: parquet 4,999,999 x 6", "limits.parquet", _at_the_limits))
    rows.append(("table", "large json: 1,000,000 records x 5", "large.json", _large_json))
    try:
        from tests.security import hostile_models
    except ImportError:
        print("note: tests/security/hostile_models.py is not there yet; model files are not measured.\n")
    else:
        models = getattr(hostile_models, "HOSTILE_MODELS", None) or _model_builders(hostile_models)
        rows += [("model", label, file_name, build) for label, (file_name, build) in models.items()]
    return rows


def _model_builders(module) -> dict:
    """Without a HOSTILE_MODELS mapping: every public function named keras_*/skops_*/onnx_* that needs no
    argument, its file named by the prefix. Builders that need an argument are listed and skipped."""
    import inspect

    builders, skipped = {}, []
    for name, function in inspect.getmembers(module, inspect.isfunction):
        prefix = name.split("_", 1)[0]
        if name.startswith("_") or function.__module__ != module.__name__ or prefix not in ("keras", "skops", "onnx"):
            continue
        required = [p for p in inspect.signature(function).parameters.values() if p.default is p.empty]
        if required:
            skipped.append(name)
        else:
            builders[name] = (f"{name}.{prefix}", function)
    if skipped:
        print(f"note: model builders that need arguments are not measured: {', '.join(skipped)}\n")
    return builders


def measure_before(path: Path) -> str:
    """The unguarded read of one table in a fresh process (3 GB cap, 90 s): what the limits prevent."""
    child = subprocess.Popen([sys.executable, "-c", BEFORE, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        out, err = child.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return "before: still reading after 90 s (stopped)"
    if child.returncode != 0 or out.count("\t") != 2:
        last = (err.strip().splitlines() or ["no output"])[-1]
        return f"before: died (exit {child.returncode}): {last[:80]}"
    load_s, peak_kb, outcome = out.strip().split("\t", 2)
    return f"before: {outcome}, {int(peak_kb) / 1024:,.0f} MB peak, {float(load_s):.1f} s"


def measure(kind: str, path: Path) -> tuple[float, float, float, str]:
    """(peak RSS MB, wall seconds of the child, load seconds, outcome) for one file in a fresh process."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)  # ru_maxrss of this child only, in KB on Linux
    wall = time.perf_counter() - started
    out, err = child.stdout.read(), child.stderr.read()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0 or "\t" not in out:
        last = (err.strip().splitlines() or ["no output"])[-1]
        return usage.ru_maxrss / 1024, wall, float("nan"), f"CRASHED (exit {child.returncode}): {last}"
    load_s, peak_kb, outcome = out.strip().split("\t", 2)
    return int(peak_kb) / 1024, wall, float(load_s), outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="",
                        help="measure only rows whose label contains this text (comma-separated: any of them)")
    parser.add_argument("--before", action="store_true",
                        help="also run the plain pandas/json/csv read of each table (3 GB cap, 90 s)")
    args = parser.parse_args()
    rows, failures = [], 0
    marker = _model_marker()
    with tempfile.TemporaryDirectory() as folder:
        for kind, label, file_name, build in cases():
            if args.only and not any(part and part in label for part in args.only.split(",")):
                continue
            data = build()
            path = Path(folder) / file_name
            path.write_bytes(data)
            peak, wall, load_s, outcome = measure(kind, path)
            ok = peak < MEMORY_TARGET_MB and wall < TIME_TARGET_S and not outcome.startswith("CRASHED")
            failures += not ok
            if args.before and kind == "table":
                outcome = f"{outcome} | {measure_before(path)}"
            rows.append((label, len(data), peak, wall, load_s, "ok" if ok else "OVER", outcome))
            path.unlink()
            print(f"measured {label}", file=sys.stderr, flush=True)
    print(f"targets: peak RSS < {MEMORY_TARGET_MB} MB, process time < {TIME_TARGET_S:.0f} s (each file in a fresh process)\n")
    print(f"{'file':<40} {'size':>12} {'peak RSS':>10} {'process':>9} {'load':>8}  target  outcome")
    for label, size, peak, wall, load_s, verdict, outcome in rows:
        refused, _, before = outcome.partition(" | ")
        print(f"{label:<40} {size:>12,} {peak:>7,.0f} MB {wall:>7.2f} s {load_s:>6.2f} s  {verdict:<6}  "
              f"{refused[:110]}")
        if before:
            print(f"{'':<40} {'':>12} {'':>10} {'':>9} {'':>8}  {'':<6}  {before}")
    if marker is not None:
        ran = os.path.exists(marker)
        failures += ran
        print(f"\nmarker file written by a model file that ran code: {'PRESENT (code ran!)' if ran else 'absent'}")
    return 1 if failures else 0


def _model_marker():
    """The marker the code-running model files would write; removed first so a leftover cannot count."""
    try:
        from tests.security.hostile_models import MARKER
    except ImportError:
        return None
    if os.path.exists(MARKER):
        os.unlink(MARKER)
    return MARKER


if __name__ == "__main__":
    sys.exit(main())
