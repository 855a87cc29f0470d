"""The model worker: a limited child process where untrusted model code runs.

Native parsers and predictors (XGBoost, LightGBM, onnxruntime, scikit-learn's Cython trees, HDF5) can
crash, hang or allocate without bound on a crafted 2 KB file, and Keras' safe mode is not a sandbox.
So everything that parses, binds, scores or retrains a user-supplied model runs here, never in the
Streamlit server or the CLI's own process; the gate's checks before the loaders are a second line.

The worker is `python -m analysis.models.sandbox`, started with `subprocess` and talking over a socket
pair framed by `multiprocessing.connection` (bytes only, see `analysis.models.wire`: no pickle). Before it
reads a request it
- limits its memory (RLIMIT_DATA and RLIMIT_AS; the app also kills it when its resident size passes the
  limit), its CPU time per call (RLIMIT_CPU), the files it may write (RLIMIT_FSIZE) and core dumps;
- leaves the network: its own network namespace, with no interface but a downed loopback (Linux
  `unshare(CLONE_NEWNET)`, as root, else inside a new user namespace); where the platform refuses,
  the parameter allow-lists (LightGBM, XGBoost) are what keeps a file from connecting, and `doctor`
  says so;
- works in its own temporary directory (HOME, TMPDIR, the working directory), removed afterwards,
  with an environment that carries only what Python and the settings need.
The app waits for each reply at most `worker_timeout_seconds`. A crash, hang or limit hit ends the
worker and raises `SandboxError` (a `ModelLoadError`: exit 2 in the CLI, a page error) naming what
happened and the setting to raise. At most `worker_max_busy` workers compute at once in one app
process; the others wait their turn, and the wait is reported through the progress callback.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from multiprocessing.connection import Connection
from typing import Any, Callable, Optional

from analysis.models.gate import ModelLoadError
from analysis.models.wire import Remote, WireError, decode, encode
from analysis.settings import PROJECT_ROOT, get_settings

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "PYTHONHASHSEED")
_MAX_MESSAGE_CHARS = 2000
_POLL_SECONDS = 0.1
_ERROR_CLASSES = ("ModelLoadError", "UntrustedTypesError", "RefusedTypesError", "ValueError")


# Settings a worker never needs: the history database's URL may carry credentials.
_ENV_WITHHELD = frozenset({"PRIVACY_AUDIT_HISTORY_URL"})


def settings_env() -> dict[str, str]:
    """The PRIVACY_AUDIT_* settings a worker inherits (those in _ENV_WITHHELD aside)."""
    return {k: v for k, v in os.environ.items() if k.startswith("PRIVACY_AUDIT_") and k not in _ENV_WITHHELD}


class SandboxError(ModelLoadError):
    """The worker crashed, hung or hit a limit; the message says which, in page words."""


class _Slots:
    """How many workers may compute at once in this process, and who waits (tickets, no data)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._busy = 0
        self._queue: list[int] = []
        self._next = 0

    def acquire(self, limit: int, waiting: Optional[Callable[[int], None]]) -> None:
        """Take a place among `limit`; while waiting, `waiting(ahead)` is called about once a second
        (outside the lock: it may draw on a page). Whatever it raises (a page's Cancel) leaves the queue."""
        with self._lock:
            ticket, self._next = self._next, self._next + 1
            self._queue.append(ticket)
        try:
            while True:
                with self._lock:
                    if self._busy < limit and self._queue[0] == ticket:
                        self._queue.pop(0)
                        self._busy += 1
                        self._lock.notify_all()
                        return
                    ahead = self._queue.index(ticket) + max(0, self._busy - limit + 1)
                if waiting is not None:
                    waiting(ahead)
                with self._lock:
                    if not (self._busy < limit and self._queue[0] == ticket):
                        self._lock.wait(timeout=1.0)
        except BaseException:
            with self._lock:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                self._lock.notify_all()
            raise

    def release(self) -> None:
        with self._lock:
            self._busy -= 1
            self._lock.notify_all()


SLOTS = _Slots()


def keep(value: Any) -> "_Kept":
    """Worker side: return `keep(obj)` to keep `obj` in the worker; the app receives a `Remote` handle."""
    return _Kept(value)


class _Kept:
    def __init__(self, value: Any):
        self.value = value


_SIGNALS = {signal.SIGSEGV: "SIGSEGV, a memory fault", signal.SIGABRT: "SIGABRT, an abort",
            signal.SIGBUS: "SIGBUS", signal.SIGFPE: "SIGFPE", signal.SIGILL: "SIGILL",
            signal.SIGXCPU: "SIGXCPU, its CPU-time limit", signal.SIGKILL: "SIGKILL"}


class ModelWorker:
    """One limited worker process; `call("analysis.mod:function", *args)` runs a function there.

    Calls are serialized (one at a time per worker). The worker starts on the first call and ends on
    `close()`, when the object is garbage-collected, after a crash, or once it has not been used for
    `worker_idle_seconds` (setting; `idle` is then True and a call raises `WorkerIdleClosed`: what it held is
    gone, and `remote.RemoteLoadedModel` loads its file again). `nice` lowers its CPU priority (the app's
    worker pool). The class attributes are the words its errors use.
    """

    NAME = "model worker"
    CRASHED = "the model file crashed the model worker"
    TIMEOUT_SETTING = "PRIVACY_AUDIT_WORKER_TIMEOUT_SECONDS"
    LARGE_HINT = "if the model is legitimate but large, raise its memory limit"
    WHAT = "the model"
    CLOSE_WHEN_IDLE = True  # a session that loaded a model and went away must not keep its memory

    def __init__(self, *, memory_mb: Optional[float] = None, timeout_seconds: Optional[float] = None,
                 nice: int = 0):
        settings = get_settings()
        self.memory_mb = float(memory_mb or settings.worker_memory_mb)
        self.timeout_seconds = float(timeout_seconds or settings.worker_timeout_seconds)
        self.nice = int(nice)
        self._lock = threading.Lock()
        self._process: Optional[subprocess.Popen] = None
        self._conn: Optional[Connection] = None
        self._tmpdir: Optional[str] = None
        self._dead: Optional[str] = None
        self._isolation: dict[str, Any] = {}
        self.idle = False  # closed for not being used (see the class)
        self.last_used = time.monotonic()

    # -- lifecycle -------------------------------------------------------------------------------
    def _start(self) -> None:
        parent_sock, child_sock = socket.socketpair()
        self._tmpdir = tempfile.mkdtemp(prefix="privacy-audit-worker-")
        env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
        env.update(settings_env())
        env.update({"HOME": self._tmpdir, "TMPDIR": self._tmpdir, "PYTHONPATH": str(PROJECT_ROOT),
                    "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
                    "RAY_USAGE_STATS_ENABLED": "0"})
        self._process = subprocess.Popen(
            [sys.executable, "-m", "analysis.models.sandbox", str(child_sock.fileno()), str(self.memory_mb),
             str(self.timeout_seconds), str(self.nice)],
            pass_fds=[child_sock.fileno()], cwd=self._tmpdir, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        child_sock.close()
        self._conn = Connection(parent_sock.detach())
        hello = self._receive("starting", self.timeout_seconds)
        self._isolation = hello if isinstance(hello, dict) else {}
        if self.CLOSE_WHEN_IDLE:
            _IDLE_WATCH.add(self)

    @property
    def isolation(self) -> dict[str, Any]:
        """What the worker reported at start: its network isolation and limits (starts it if needed)."""
        with self._lock:
            if self._process is None and not self._dead and not self.idle:
                self._start()
        return dict(self._isolation)

    def close(self) -> None:
        process, conn, tmpdir = self._process, self._conn, self._tmpdir
        self._process = self._conn = self._tmpdir = None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass
        if process is not None and process.poll() is None:
            _kill(process)
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def __enter__(self) -> "ModelWorker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- calls -----------------------------------------------------------------------------------
    def call(self, target: str, *args: Any, activity: str = "running the model", progress=None,
             **kwargs: Any) -> Any:
        """Run `target` ("analysis.module:function") in the worker with these arguments; return its result."""
        self.last_used = time.monotonic()  # before the lock: the idle watch checks again under it
        waiting = None
        if progress is not None:
            waiting = lambda ahead: progress(0.0, f"waiting for a free {self.NAME}: {ahead} ahead")
        with self._lock:
            if self._dead:
                raise SandboxError(self._dead)
            SLOTS.acquire(get_settings().worker_max_busy, waiting)
            try:
                return self._request(target, args, kwargs, activity)
            finally:
                SLOTS.release()

    def run(self, target: str, *args: Any, activity: str, **kwargs: Any) -> Any:
        """`call` for a caller that already holds one of the SLOTS (the app's worker pool)."""
        self.last_used = time.monotonic()
        with self._lock:
            return self._request(target, args, kwargs, activity)

    def _request(self, target: str, args: tuple, kwargs: dict, activity: str) -> Any:
        if not target.startswith("analysis."):
            raise ValueError("the model worker runs functions of the analysis package only")
        if self._dead:
            raise SandboxError(self._dead)
        if self.idle:
            raise WorkerIdleClosed(f"the {self.NAME} was closed after {get_settings().worker_idle_seconds:.0f} s "
                                   f"without use (setting PRIVACY_AUDIT_WORKER_IDLE_SECONDS); load {self.WHAT} again")
        try:
            if self._process is None:
                self._start()
            self._conn.send_bytes(encode({"target": target, "args": list(args), "kwargs": kwargs}))
            reply = self._receive(activity, self.timeout_seconds)
        except (EOFError, OSError):
            raise self._fail(activity) from None
        finally:
            self.last_used = time.monotonic()
        if "error" in reply:
            raise _rebuild_error(reply["error"], self)
        return reply["result"]

    def _receive(self, activity: str, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        limit_kb = self.memory_mb * 1024
        while True:
            try:
                ready = self._conn.poll(_POLL_SECONDS)
            except (EOFError, OSError):
                raise self._fail(activity) from None
            if ready:
                try:
                    return decode(self._conn.recv_bytes(), allow_frames=False)
                except (EOFError, OSError):
                    raise self._fail(activity) from None
                except WireError as exc:
                    self._dead = f"the {self.NAME} sent a reply that does not decode ({exc}) while {activity}"
                    self.close()
                    raise SandboxError(self._dead) from None
            if self._process.poll() is not None:
                raise self._fail(activity)
            if _resident_kb(self._process.pid) > limit_kb:
                self._dead = (f"{self.WHAT} needed more than {self.memory_mb:.0f} MB of memory while "
                              f"{activity}; "
                              "the worker was stopped (setting PRIVACY_AUDIT_WORKER_MEMORY_MB)")
                self.close()
                raise SandboxError(self._dead)
            if time.monotonic() > deadline:
                self._dead = (f"{activity} stopped after {timeout:.0f} s, the {self.NAME}'s time limit "
                              f"(setting {self.TIMEOUT_SETTING})")
                self.close()
                raise SandboxError(self._dead)

    def _fail(self, activity: str) -> SandboxError:
        code = None
        if self._process is not None:
            try:
                code = self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        if code is not None and code < 0:
            number = -code
            try:
                what = _SIGNALS.get(signal.Signals(number), signal.Signals(number).name)
            except ValueError:
                what = "an unknown signal"
            self._dead = f"{self.CRASHED} while {activity} (signal {number}: {what})"
            if number == signal.SIGXCPU:
                self._dead = (f"{activity} used more than {self.timeout_seconds:.0f} s of CPU, the "
                              f"{self.NAME}'s limit (setting {self.TIMEOUT_SETTING})")
            if number in (signal.SIGABRT, signal.SIGKILL):
                self._dead += (f"; {self.LARGE_HINT} "
                               f"(PRIVACY_AUDIT_WORKER_MEMORY_MB, now {self.memory_mb:.0f})")
        else:
            self._dead = f"the {self.NAME} stopped while {activity} (exit code {code})"
        self.close()
        return SandboxError(self._dead)


class WorkerIdleClosed(SandboxError):
    """The worker was closed for not being used; what it held is gone (see ModelWorker)."""


class _IdleWatch:
    """Closes workers unused for `worker_idle_seconds`, from one daemon thread per process. It holds the
    workers weakly (a worker no session references still closes when garbage-collected) and never one that
    is in a call (it takes the worker's own lock, without waiting)."""

    def __init__(self) -> None:
        self._workers: "weakref.WeakSet[ModelWorker]" = weakref.WeakSet()
        self._lock = threading.Lock()
        self._wake = threading.Event()  # a new worker: read the setting again now
        self._thread: Optional[threading.Thread] = None

    def add(self, worker: ModelWorker) -> None:
        with self._lock:
            self._workers.add(worker)
            self._wake.set()
            if self._thread is None and get_settings().worker_idle_seconds > 0:
                self._thread = threading.Thread(target=self._run, name="model-worker-idle-watch", daemon=True)
                self._thread.start()

    def close_idle(self) -> int:
        """Close every worker idle for longer than the setting; the number closed."""
        limit = get_settings().worker_idle_seconds
        if limit <= 0:
            return 0
        closed = 0
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            if not worker.alive or time.monotonic() - worker.last_used < limit:
                continue
            if worker._lock.acquire(blocking=False):
                try:
                    if worker.alive and time.monotonic() - worker.last_used >= limit:
                        worker.close()
                        worker.idle = True
                        closed += 1
                finally:
                    worker._lock.release()
        return closed

    def _run(self) -> None:
        while True:
            limit = get_settings().worker_idle_seconds
            self._wake.wait(max(0.2, min(30.0, limit / 4)) if limit > 0 else 30.0)
            self._wake.clear()
            try:
                self.close_idle()
            except Exception:  # noqa: BLE001 - the watch must outlive one bad worker
                pass


_IDLE_WATCH = _IdleWatch()


def _rebuild_error(error: dict, worker: ModelWorker) -> Exception:
    message = str(error.get("message", ""))[:_MAX_MESSAGE_CHARS]
    kind = error.get("kind")
    if kind == "MemoryError":
        return SandboxError(f"{worker.WHAT} needed more than {worker.memory_mb:.0f} MB of memory "
                            f"({message}); "
                            f"raise PRIVACY_AUDIT_WORKER_MEMORY_MB if {worker.WHAT} is legitimate")
    if kind in ("UntrustedTypesError", "RefusedTypesError"):
        from analysis.models import loading

        cls = getattr(loading, kind)
        exc = cls.__new__(cls)
        ModelLoadError.__init__(exc, message)
        exc.types = [str(t) for t in error.get("types", [])]
        return exc
    if kind == "ValueError":
        return ValueError(message)  # our own ValueError text (the worker sends only safe messages)
    return ModelLoadError(message)


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _resident_kb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0


# ------------------------------------------------------------------------------------------------
# The worker side.


def leave_network() -> str:
    """Enter a network namespace of our own; returns what was achieved, in words."""
    if not sys.platform.startswith("linux"):
        return "none on this platform: parameter allow-lists only"
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET) == 0:
        return "own network namespace (no interfaces)"
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        return "own user and network namespace (no interfaces)"
    return "none (namespaces refused by the platform): parameter allow-lists only"


def apply_limits(memory_mb: float, cpu_seconds: float) -> dict[str, Any]:
    memory = int(memory_mb * 1024 * 1024)
    limits = {"memory_mb": memory_mb}
    for name, value in (("RLIMIT_DATA", memory), ("RLIMIT_AS", memory + 4 * 1024 ** 3),
                        ("RLIMIT_FSIZE", 256 * 1024 * 1024), ("RLIMIT_CORE", 0)):
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
            limits[name] = value
        except (ValueError, OSError):
            limits[name] = "not set"
    limits["cpu_seconds_per_call"] = cpu_seconds
    return limits


def _cpu_budget(seconds: float) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    now = used.ru_utime + used.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(now + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def worker_selftest(probe: str, port: int = 0) -> dict:
    """What `doctor` and the tests ask a worker to do to itself, to show each limit holds."""
    if probe == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if probe == "hang":
        while True:
            pass
    if probe == "memory":
        hog = [bytearray(64 * 1024 * 1024) for _ in range(10_000)]
        return {"allocated_mb": 64 * len(hog)}
    if probe == "network":
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return {"connected": True}
        except OSError as exc:
            return {"connected": False, "error": type(exc).__name__}
    if probe == "tmpdir":
        return {"cwd": os.getcwd(), "home": os.environ.get("HOME", ""), "tmp": tempfile.gettempdir()}
    if probe == "environment":
        return {"names": sorted(os.environ)}
    raise ValueError(f"unknown probe {probe!r}")


def isolation_report() -> dict:
    """Start a worker and ask it what isolation it has (for `privacy-audit doctor`)."""
    with ModelWorker() as worker:
        worker.call("analysis.models.sandbox:worker_selftest", "tmpdir", activity="starting")
        return dict(worker.isolation)


def _resolve(target: str) -> Callable:
    module_name, _, function = target.partition(":")
    if not module_name.startswith("analysis.") or not function or function.startswith("__"):
        raise ValueError("the model worker runs functions of the analysis package only")
    return getattr(importlib.import_module(module_name), function)


def _serve(conn: Connection, hello: dict, cpu_seconds: float) -> None:
    from analysis.errors import raised_here, safe_message

    store: dict[int, Any] = {}

    def resolve(value):
        if isinstance(value, Remote):
            return store[value.id]
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, tuple):
            return tuple(resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    def wrap(value):
        if isinstance(value, _Kept):
            handle = len(store) + 1
            store[handle] = value.value
            return Remote(handle)
        if isinstance(value, tuple):
            return tuple(wrap(v) for v in value)
        if isinstance(value, list):
            return [wrap(v) for v in value]
        if isinstance(value, dict):
            return {k: wrap(v) for k, v in value.items()}
        return value

    conn.send_bytes(encode(hello))
    while True:
        try:
            request = decode(conn.recv_bytes(), allow_frames=True)
        except EOFError:
            return
        _cpu_budget(cpu_seconds)
        try:
            function = _resolve(request["target"])
            result = function(*resolve(request["args"]), **resolve(request["kwargs"]))
            conn.send_bytes(encode({"result": wrap(result)}))
        except MemoryError:
            conn.send_bytes(encode({"error": {"kind": "MemoryError", "message": "out of memory"}}))
        except Exception as exc:  # the app decides what to show from `kind`; the text is value-free
            kind = type(exc).__name__ if type(exc).__name__ in _ERROR_CLASSES else "other"
            if kind == "ValueError" and not raised_here(exc):
                kind = "other"
            conn.send_bytes(encode({"error": {"kind": kind, "message": safe_message(exc),
                                              "types": list(getattr(exc, "types", []) or [])}}))


def main(argv: list[str]) -> None:
    fd, memory_mb = int(argv[0]), float(argv[1])
    cpu_seconds = float(argv[2]) if len(argv) > 2 else get_settings().worker_timeout_seconds
    network = leave_network()  # first: before any library can start a thread or open a socket
    limits = apply_limits(memory_mb, cpu_seconds)
    if len(argv) > 3 and int(argv[3]) > 0:  # the pool's workers yield the CPU to the app's own threads
        limits["nice"] = os.nice(int(argv[3]))
    conn = Connection(fd)
    _serve(conn, {"network": network, "limits": limits, "pid": os.getpid()}, cpu_seconds)


if __name__ == "__main__":
    # Run the imported module's main, so `keep` and the server share one `_Kept` class.
    from analysis.models import sandbox as _module

    _module.main(sys.argv[1:])
