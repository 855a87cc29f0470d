"""The app's worker pool: a PII scan there equals the scan in process, at most `worker_max_busy` workers
compute at once and a waiting call hears its place, a dead worker is replaced, and the Report page's quick
audit runs its scan there. One warm pool serves the whole module (each worker loads the PII engine once)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from analysis.models.sandbox import SLOTS, SandboxError
from analysis.pii import scan_table
from analysis.settings import SAMPLE_DATA_DIR
from analysis.worker_pool import pool, pool_map, worker_probe


@pytest.fixture(scope="module", autouse=True)
def warm_pool():
    yield pool()
    pool().close()


def _comparable(scan):
    payload = scan.to_dict()
    payload.pop("seconds")
    payload["settings"].pop("backend")
    return payload


def _awkward_table(rows: int = 240) -> pd.DataFrame:
    """Cells of every type a loaded table gives the scan: text, ints in an object column, whole floats,
    NaN, booleans, Timestamps, Decimals, NumPy scalars, and lists / dicts from JSON cells."""
    rng = np.random.default_rng(7)
    first = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda"]
    last = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis"]
    names = [f"{first[i % 8]} {last[(i * 3) % 8]}" for i in range(rows)]
    return pd.DataFrame({
        "customer name": names,
        "email": [f"{n.split()[0].lower()}.{i}@example.com" for i, n in enumerate(names)],
        "signup": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, rows), unit="D"),
        "balance": [Decimal(f"{x:.2f}") for x in rng.uniform(0, 900, rows)],
        "age": [float(a) if i % 9 else np.nan for i, a in enumerate(rng.integers(18, 90, rows))],
        "zip": pd.array([str(z) if i % 7 else None for i, z in enumerate(rng.integers(10000, 99999, rows))],
                        dtype=object),
        "mixed": [[np.int64(i), f" {i} ", float(i), None, True][i % 5] for i in range(rows)],
        "vip": rng.integers(0, 2, rows).astype(bool),
        "tags": [["a", i % 3] if i % 2 else {"k": i % 4} for i in range(rows)],
        "born": [dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28) for i in range(rows)],
        "notes": [f"Called {names[i]} on {i % 28 + 1} March about the order, phone 555-0{i % 1000:03d}"
                  for i in range(rows)],
    })


def test_a_scan_in_the_pool_equals_the_scan_in_process_on_customers():
    from analysis.tables import load_table

    frame = load_table(SAMPLE_DATA_DIR / "customers.csv").frame
    here = scan_table(frame, backend="serial")
    there = scan_table(frame, backend="workers")
    assert _comparable(there) == _comparable(here)
    assert there.settings["backend"] == "workers"
    assert {f.name for f in there.columns if f.kind == "direct_identifier"} >= {"email", "customer_name"}


def test_every_cell_type_reads_the_same_in_the_pool_whatever_the_task_size(monkeypatch):
    import analysis.pii.distributed as distributed

    frame = _awkward_table()
    here = scan_table(frame, sample_rows=0, backend="serial")
    there = scan_table(frame, sample_rows=0, backend="workers")
    assert _comparable(there) == _comparable(here)
    kinds = {f.name: f.kind for f in there.columns}
    assert kinds["email"] == "direct_identifier" and kinds["notes"] == "free_text"
    # many small tasks (a column split across tasks, several columns in one) add up to the same result
    monkeypatch.setattr(distributed, "TASK_MICROSECONDS", 20_000)
    messages: list[str] = []
    small = scan_table(frame, sample_rows=0, backend="workers", progress=lambda f, m: messages.append(m))
    assert _comparable(small) == _comparable(here)
    assert any(m.startswith("sample partition") and "/" in m and "(worker processes)" in m for m in messages)
    assert max(int(m.split()[2].split("/")[1]) for m in messages if m.startswith("sample partition")) > 10


def test_free_text_spans_in_the_pool_equal_those_in_process():
    from analysis.pii import find_text_spans

    notes = _awkward_table()["notes"]
    assert find_text_spans(notes, rows="all", backend="workers") == find_text_spans(notes, rows="all",
                                                                                    backend="serial")


def test_at_most_the_limit_compute_at_once_at_lower_priority(settings_env):
    settings_env(worker_max_busy=2)
    runs = pool_map(worker_probe, [{"seconds": 1.0}] * 6, label="probe")
    assert len({r["pid"] for r in runs}) <= 2 and len(pool().workers()) <= 2
    assert all(r["nice"] >= 5 for r in runs)  # below the server's threads
    events = sorted([(r["start"], 1) for r in runs] + [(r["end"], -1) for r in runs])
    at_once = np.cumsum([e for _, e in events])
    assert at_once.max() == 2  # two at once, never more
    assert SLOTS._busy == 0


def test_a_waiting_call_hears_its_place_and_a_cancel_leaves_the_line(settings_env):
    settings_env(worker_max_busy=1)
    busy = threading.Thread(target=pool_map, args=(worker_probe, [{"seconds": 3.0}]))
    busy.start()
    time.sleep(1.0)
    messages: list[str] = []
    pool_map(worker_probe, [{"seconds": 0}], progress=lambda f, m: messages.append(m))
    busy.join()
    assert any(m == "waiting for a free worker: 1 ahead" for m in messages)

    class Cancelled(Exception):
        pass

    def cancel(fraction, message):  # the page's Cancel: the callback raises at the next report
        raise Cancelled()

    started = time.monotonic()
    with pytest.raises(Cancelled):
        pool_map(worker_probe, [{"seconds": 1.0}] * 5, progress=cancel)
    assert time.monotonic() - started < 2.0  # not after the five tasks
    deadline = time.monotonic() + 5
    while (SLOTS._busy or SLOTS._queue) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert SLOTS._busy == 0 and not SLOTS._queue  # the task in a worker finished; none waits


def test_a_killed_worker_is_replaced_and_the_next_scan_succeeds():
    frame = _awkward_table(60)
    before = scan_table(frame, sample_rows=0, backend="workers")
    workers = pool().workers()
    assert workers
    for worker in workers:  # as the kernel's OOM killer would, between two scans
        os.kill(worker._process.pid, signal.SIGKILL)
        worker._process.wait(timeout=10)
    started = pool().started
    after = scan_table(frame, sample_rows=0, backend="workers")
    assert _comparable(after) == _comparable(before)
    assert pool().started > started


def test_a_worker_is_replaced_after_its_task_allowance(monkeypatch):
    """spaCy's vocabulary keeps the words a worker read: a fresh worker after MAX_TASKS_PER_WORKER tasks."""
    import analysis.worker_pool as worker_pool

    monkeypatch.setattr(worker_pool, "MAX_TASKS_PER_WORKER", 3)
    pool().close()
    pids = [pool_map(worker_probe, [{"seconds": 0}])[0]["pid"] for _ in range(6)]
    assert len(set(pids[:3])) == 1 and len(set(pids)) == 2 and pool().started >= 2


def test_a_crash_or_a_hang_in_a_task_is_a_clear_error_and_the_pool_goes_on(settings_env):
    crashed = r"the worker process crashed while probe 1 of 1 \(signal 9: SIGKILL\)"
    with pytest.raises(SandboxError, match=crashed):
        pool_map(worker_probe, [{"crash": True}], label="probe")
    assert pool_map(worker_probe, [{"seconds": 0}])[0]["pid"]  # a warm worker again
    started = pool().started
    settings_env(pool_timeout_seconds=2)  # a worker started with other settings is replaced
    stopped = r"probe 1 of 1 stopped after 2 s.*PRIVACY_AUDIT_POOL_TIMEOUT_SECONDS"
    with pytest.raises(SandboxError, match=stopped):
        pool_map(worker_probe, [{"seconds": 10}], label="probe")
    assert pool().started > started
    assert pool_map(worker_probe, [{"seconds": 0}])[0]["pid"]
    pool().close()


def test_the_report_pages_quick_audit_scans_in_the_pool(history_url):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("dashboard/app.py", default_timeout=240).run()
    at.switch_page("app_pages/report.py").run()
    at.button(key="report_run_quick").click().run()
    assert not at.exception, at.exception
    scan = at.session_state["report_quick_audit"][1].inputs.scan
    assert scan.settings["backend"] == "workers"
    assert {"email", "customer_name"} <= {f.name for f in scan.columns if f.kind == "direct_identifier"}
    assert pool().workers()  # kept warm for the next session


def test_a_quick_audit_in_the_pool_never_loads_spacy_in_the_calling_process():
    """The server's own memory: with the scan in the pool, spaCy and Presidio live in the workers only."""
    import subprocess
    import sys
    from pathlib import Path

    script = ("import sys\n"
              "from analysis.audit import quick_audit_config, run_audit_on_table\n"
              "from analysis.settings import SAMPLE_DATA_DIR\n"
              "from analysis.tables import load_table\n"
              "table = load_table(SAMPLE_DATA_DIR / 'customers.csv')\n"
              "config = quick_audit_config(label='churned', scan_backend='workers')\n"
              "scan = run_audit_on_table(table, config, partial=True).inputs.scan\n"
              "print(scan.column('email').kind, scan.ner_model is not None, 'spacy' in sys.modules,\n"
              "      'presidio_analyzer' in sys.modules)\n")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": str(root)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["direct_identifier", "True", "False", "False"]


def test_worker_tasks_cover_every_value_once_in_order_within_the_budget(monkeypatch):
    import analysis.pii.distributed as distributed
    from analysis.pii.columns import ColumnPlan

    monkeypatch.setattr(distributed, "TASK_MICROSECONDS", 10_000)
    plans = [ColumnPlan("code", None, "string", False, False, False),
             ColumnPlan("empty", None, "float", False, False, False),
             ColumnPlan("notes", None, "string", True, False, False, "en")]
    distinct = {"code": ([f"C{i}" for i in range(1000)], list(range(1000))), "empty": ([], []),
                "notes": (["short note here", "x" * 5000, "another short note"], [3, 1, 2])}
    common = {"model": "m", "threshold": 0.5, "allow": [], "deny": []}
    tasks = distributed.worker_tasks(distinct, plans, common)
    for name, (values, weights) in distinct.items():
        assert [v for t in tasks for v in t["values"].get(name, [])] == values
        assert [w for t in tasks for w in t["weights"].get(name, [])] == weights
        assert any(name in t["values"] for t in tasks)  # an empty column still gets its stats
    assert [t["values"]["notes"] for t in tasks if "notes" in t["values"]].count(["x" * 5000]) == 1  # alone
    for task in tasks:
        assert [p["name"] for p in task["plans"]] == list(task["values"])
        code = task["values"].get("code", [])
        assert sum(distributed.COST_VALUE + len(v) for v in code) <= 10_000  # within the budget
    assert len([t for t in tasks if "code" in t["values"]]) >= 3
