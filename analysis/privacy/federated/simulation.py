"""Ray and log hygiene for the Flower simulation: a private small Ray per run, captured logs, no strays.

Ray is kept small (2 CPUs, 1 per client actor, a 100 MB object store, no dashboard, worker logs not
forwarded), started in its own temporary directory and shut down after the run; stray Ray processes
of the run are ended by pid. Flower and Ray log lines are captured into the result, not printed.

The capture belongs to the run: only the `flwr` and `ray` loggers, which the run has to itself while
it holds `_RUN_LOCK` (one Flower simulation and one Ray per process). Other loggers and Python's
warnings, which other sessions' work uses, are left alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from typing import Optional
from pathlib import Path

import numpy as np

RAY_NUM_CPUS = 2
CLIENT_NUM_CPUS = 1
RAY_OBJECT_STORE_BYTES = 100 * 1024 * 1024
RAY_TEMP_PREFIX = "pad-ray-"
_LOG_TAIL = 40
RAY_DIRS_STARTED: list[str] = []  # temp dirs of the Ray instances this process started (for checks)
_RUN_LOCK = threading.Lock()  # one Ray per process: concurrent runs (dashboard sessions) take turns

_CAPTURED_LOGGERS = ("flwr", "ray", "ray._private")


class _LogCapture(logging.Handler):
    def __init__(self, keep: int = 400):
        super().__init__(level=logging.INFO)
        self.lines: deque[str] = deque(maxlen=keep)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if str(record.getMessage()).strip():
                self.lines.append(self.format(record).replace("\x1b", "")[:500])
        except Exception:  # pragma: no cover - never let logging break a run
            pass


@contextlib.contextmanager
def _captured_logs():
    """Route the flwr and ray loggers into a buffer for the block (call it holding `_RUN_LOCK`)."""
    capture = _LogCapture()
    saved = []
    # "ray._private" too: ray.init(configure_logging=False) clears the "ray" logger's handlers, and its
    # own warnings (e.g. about signal handlers off the main thread) come from ray._private.* loggers.
    for name in _CAPTURED_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, list(logger.handlers), logger.propagate, logger.level))
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.addHandler(capture)
        logger.propagate = False
        if name == "flwr":
            logger.setLevel(logging.INFO)
    try:
        yield capture
    finally:
        for logger, handlers, propagate, level in saved:
            logger.removeHandler(capture)
            for handler in handlers:
                logger.addHandler(handler)
            logger.propagate = propagate
            logger.setLevel(level)


def ray_processes(marker: str = RAY_TEMP_PREFIX) -> list[int]:
    """Pids of live processes of a run: `marker` (its Ray temp dir) in the command line (raylet,
    gcs_server, helpers) or in the environment (workers and actors, which rename their command line
    to "ray::..." but carry the run's PAD_RAY_DIR variable). Linux /proc only."""
    pids = []
    me = os.getpid()
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            status = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            if status and status[0] == "Z":
                continue
            found = needle in (entry / "cmdline").read_bytes()
            if not found:
                found = needle in (entry / "environ").read_bytes()
        except OSError:
            continue
        if found:
            pids.append(int(entry.name))
    return pids


def _end_stragglers(marker: str, timeout: float = 15.0) -> list[int]:
    """After ray.shutdown: wait for this run's Ray processes to exit, then end the rest by pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not ray_processes(marker):
            return []
        time.sleep(0.2)
    ended = ray_processes(marker)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in ray_processes(marker):
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        time.sleep(1.0)
    return ended


def _telemetry_off() -> None:
    """Flower reads FLWR_TELEMETRY_ENABLED when first imported; force it off even if flwr came first."""
    import flwr.common.telemetry as telemetry

    telemetry.FLWR_TELEMETRY_ENABLED = "0"


@contextlib.contextmanager
def _small_ray(capture: Optional[logging.Handler] = None):
    """A private local Ray for one simulation: own temp dir, small, quiet; shut down afterwards.
    `capture`: the run's log handler, put back on the "ray" logger after ray.init cleared it."""
    import ray

    if ray.is_initialized():
        raise RuntimeError("Ray is already running in this process; the federated simulation starts "
                           "and stops its own small Ray instance (call ray.shutdown() first)")
    temp_dir = tempfile.mkdtemp(prefix=RAY_TEMP_PREFIX, dir="/tmp")
    RAY_DIRS_STARTED.append(temp_dir)
    env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "FLWR_TELEMETRY_ENABLED": "0",
           "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1",
           "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
           "RAY_USAGE_STATS_ENABLED": "0", "RAY_DEDUP_LOGS": "0", "PAD_RAY_DIR": temp_dir}
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray.init(address="local", num_cpus=min(RAY_NUM_CPUS, os.cpu_count() or 1), num_gpus=0,
                 include_dashboard=False, object_store_memory=RAY_OBJECT_STORE_BYTES, log_to_driver=False,
                 logging_level=logging.WARNING, configure_logging=False, _temp_dir=temp_dir,
                 runtime_env={"env_vars": env})
        if capture is not None:  # ray.init dropped the "ray" logger's handlers
            logging.getLogger("ray").addHandler(capture)
        yield temp_dir
    finally:
        with contextlib.suppress(Exception):
            ray.shutdown()
        _end_stragglers(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


@contextlib.contextmanager
def _seeded_globals(seed: int):
    """Flower samples clients with `random` and draws DP noise with `np.random`: seed both, then restore."""
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
