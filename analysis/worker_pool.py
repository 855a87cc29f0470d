"""The app's worker pool: heavy, GIL-bound work (the PII scan's partitions) runs in a few warm worker
processes instead of the Streamlit server's threads.

Run in the server, the scan's Python (validators, spaCy NER, Presidio) holds the GIL against every
session's script thread, so a page that only wants to draw its status waits behind it. Here that work
runs in the model sandbox's workers (`analysis.models.sandbox`: memory and time limits, own network
namespace and temp dir, JSON + `.npy` only on the wire, no pickle), at a lower CPU priority (nice
+`WORKER_NICE`), so the server's threads and the browsers get the CPU first.

- Process-wide, at most `worker_max_busy` workers (setting, default 2) compute at once: a call takes
  one of the sandbox's `SLOTS` (shared with model workers), first come first served, and while it
  waits its place is reported ("waiting for a free worker: N ahead").
- Workers start on first use and are kept warm between calls (each builds the PII engine once per
  process, about 10 s); one that crashed, hung or hit a limit is closed and a new one replaces it on
  the next call. Each call has `pool_timeout_seconds` (setting) of wall and CPU time.
- Workers hold no session data between calls: a task comes in, its result goes out, and the worker
  keeps only what it loads once (the PII engine: spaCy pipelines, Presidio recognizers, word lists).
  One exception is spaCy's own: its vocabulary remembers the word forms it has read (the server's
  engine did the same), so a worker is replaced after MAX_TASKS_PER_WORKER tasks, which bounds both
  what it remembers and its memory.
- Only module-level functions of the `analysis` package run there (`pool_map(fn, items)` sends
  `fn.__module__:fn.__name__` and each item). The caller's thread keeps reporting progress while the
  workers compute, so a page's Cancel stops it at once; a task already in a worker finishes there and
  its result is dropped, tasks not started are not sent.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Callable, Optional, Sequence

from analysis.models.sandbox import SLOTS, ModelWorker, settings_env
from analysis.progress import ProgressCallback, report
from analysis.settings import get_settings

WORKER_NICE = 5  # below the server (0): every session's page is drawn before a scan moves on
HEARTBEAT_SECONDS = 0.5  # how often the caller's thread reports progress (and so can be cancelled)
# Callers cut their work into tasks of about this much of one core (the PII scan: pii.distributed), so a
# task fits the pool's time limit (PRIVACY_AUDIT_POOL_TIMEOUT_SECONDS, 300 s) with a wide margin on a
# busy machine where the workers run last, and sessions take turns at the workers every few seconds.
TASK_MICROSECONDS = 5_000_000
MAX_TASKS_PER_WORKER = 200  # then a fresh worker (spaCy's vocabulary keeps the words it read; reload ~10 s)


class PoolWorker(ModelWorker):
    """A sandbox worker of the pool: lower priority, the pool's time limit, errors in the pool's words."""

    NAME = "worker"
    CRASHED = "the worker process crashed"
    TIMEOUT_SETTING = "PRIVACY_AUDIT_POOL_TIMEOUT_SECONDS"
    LARGE_HINT = "if the table is legitimate, raise the worker's memory limit"
    WHAT = "the work"
    CLOSE_WHEN_IDLE = False  # kept warm: a new one takes ~10 s to build its PII engine

    def __init__(self) -> None:
        settings = get_settings()
        super().__init__(memory_mb=settings.worker_memory_mb, timeout_seconds=settings.pool_timeout_seconds,
                         nice=WORKER_NICE)
        self.settings = settings_env()
        self.tasks = 0

    @property
    def usable(self) -> bool:
        """Alive (or not started), started with the settings the app has now (a worker reads them once),
        and not yet at MAX_TASKS_PER_WORKER."""
        return (not self._dead and (self.alive or self._process is None) and self.settings == settings_env()
                and self.tasks < MAX_TASKS_PER_WORKER)


class WorkerPool:
    """Warm `PoolWorker`s; `call` runs one function in a free one (waiting for a slot first)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[PoolWorker] = []
        self.started = 0  # workers started so far (a replaced worker counts again)

    def call(self, target: str, *args: Any, activity: str, waiting: Optional[Callable[[int], None]] = None,
             on_start: Optional[Callable[[], None]] = None, **kwargs: Any) -> Any:
        """Run `target` in a free worker; `waiting(ahead)` while in line, `on_start()` once it has a slot."""
        limit = get_settings().worker_max_busy
        SLOTS.acquire(limit, waiting)
        try:
            if on_start is not None:
                on_start()
            worker = self._take()
            try:
                worker.tasks += 1
                return worker.run(target, *args, activity=activity, **kwargs)
            finally:
                self._give_back(worker, limit)
        finally:
            SLOTS.release()

    def _take(self) -> PoolWorker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.usable:
                    return worker
                worker.close()
            self.started += 1
        return PoolWorker()

    def _give_back(self, worker: PoolWorker, limit: int) -> None:
        with self._lock:
            if worker.usable and len(self._idle) < limit:
                self._idle.append(worker)
                return
        worker.close()

    def workers(self) -> list[PoolWorker]:
        """The idle workers (tests and `doctor`)."""
        with self._lock:
            return list(self._idle)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


_POOL = WorkerPool()


def pool() -> WorkerPool:
    """The process's one pool."""
    return _POOL


class _Cancelled(Exception):
    """The caller stopped waiting (its page was cancelled or another task failed)."""


def target_of(fn: Callable) -> str:
    """"analysis.module:function" for a module-level function of the analysis package."""
    module, name = getattr(fn, "__module__", "") or "", getattr(fn, "__qualname__", "")
    if not module.startswith("analysis.") or not name or "." in name or name.startswith("<"):
        raise ValueError("the worker pool runs module-level functions of the analysis package only")
    return f"{module}:{name}"


def pool_map(fn: Callable, items: Sequence[Any], *, progress: Optional[ProgressCallback] = None,
             label: str = "task") -> list:
    """`[fn(item) for item in items]`, each call in a pool worker, results in input order.

    Items and results cross the sandbox's wire (plain values, lists, dicts, arrays). Up to
    `worker_max_busy` of these items run at once; the caller's thread reports progress every
    HEARTBEAT_SECONDS, so whatever the callback raises (a page's Cancel) stops the map there."""
    target = target_of(fn)
    items = list(items)
    total = len(items)
    if not total:
        return []
    results: list[Any] = [None] * total
    lock = threading.Lock()
    places: dict[int, int] = {}  # task -> place in the line, while it waits
    active: set[int] = set()  # tasks in a worker now
    stop = threading.Event()

    def run(i: int) -> Any:
        def waiting(ahead: int) -> None:
            if stop.is_set():
                raise _Cancelled()
            with lock:
                places[i] = ahead

        def on_start() -> None:
            with lock:
                places.pop(i, None)
                active.add(i)

        if stop.is_set():
            raise _Cancelled()
        try:
            return _POOL.call(target, items[i], activity=f"{label} {i + 1} of {total}", waiting=waiting,
                              on_start=on_start)
        finally:
            with lock:
                places.pop(i, None)
                active.discard(i)

    executor = ThreadPoolExecutor(max_workers=max(1, min(get_settings().worker_max_busy, total)),
                                  thread_name_prefix="worker-pool")
    futures = {executor.submit(run, i): i for i in range(total)}
    try:
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=HEARTBEAT_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                results[futures[future]] = future.result()  # the first error stops the map
            done = total - len(pending)
            with lock:
                ahead = min(places.values()) if places and not active else None
            if ahead is not None:
                message = f"waiting for a free worker: {ahead} ahead"
            else:
                message = f"{label} {done}/{total} (worker processes)"
            report(progress, done / total, message)
    finally:
        stop.set()
        executor.shutdown(wait=False, cancel_futures=True)
    return results


def worker_probe(task: dict) -> dict:
    """Runs in a pool worker for the tests: pause `seconds`, or end the process like a crash (`crash`);
    says which process ran it, at what priority, and when."""
    import signal
    import time

    if task.get("crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    start = time.time()
    time.sleep(float(task.get("seconds", 0)))
    return {"pid": os.getpid(), "nice": os.nice(0), "start": start, "end": time.time()}
