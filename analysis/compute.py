"""Where work runs: in process, joblib on this machine, Ray when RAY_ADDRESS names a cluster, or the app's
worker pool ("workers", `analysis.worker_pool`: warm sandboxed processes, what the dashboard asks for).

`parallel_map` returns results in input order whatever the backend, so a scan or a set of reference
models gives the same answer locally and on Ray.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Callable, Iterator, Optional, Sequence, TypeVar

from analysis.progress import ProgressCallback, report
from analysis.settings import get_settings

T = TypeVar("T")
R = TypeVar("R")
BACKENDS = ("auto", "serial", "joblib", "ray", "workers")


def resolve_backend(backend: str = "auto") -> str:
    """'auto' means Ray when a cluster address is configured, joblib otherwise ("workers" only when asked)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend != "auto":
        return backend
    return "ray" if get_settings().ray_address else "joblib"


def parallel_map(fn: Callable[[T], R], items: Sequence[T], *, n_jobs: Optional[int] = None,
                 backend: str = "auto", progress: Optional[ProgressCallback] = None,
                 label: str = "task") -> list[R]:
    """Apply `fn` to each item, in parallel, returning results in the order of `items`.

    `fn` and the items must be picklable (module-level functions, plain data); for "workers", `fn` is a
    module-level function of the analysis package and the items and results cross the sandbox's wire.
    """
    items = list(items)
    total = max(1, len(items))
    kind = resolve_backend(backend)
    if kind == "workers":
        from analysis.worker_pool import pool_map

        return pool_map(fn, items, progress=progress, label=label)
    jobs = n_jobs or get_settings().n_jobs
    if kind == "serial" or jobs == 1 or len(items) <= 1:
        results = []
        for i, item in enumerate(items):
            results.append(fn(item))
            report(progress, (i + 1) / total, f"{label} {i + 1}/{len(items)}")
        return results
    if kind == "ray":
        return _ray_map(fn, items, progress, label)
    from joblib import Parallel, delayed

    results = []
    runner = Parallel(n_jobs=jobs, return_as="generator")
    for i, value in enumerate(runner(delayed(fn)(item) for item in items)):
        results.append(value)
        report(progress, (i + 1) / total, f"{label} {i + 1}/{len(items)}")
    return results


def _ray_map(fn: Callable[[T], R], items: list[T], progress: Optional[ProgressCallback], label: str) -> list[R]:
    import ray

    if not ray.is_initialized():
        address = get_settings().ray_address or None
        ray.init(address=address, **({} if address else _LOCAL_RAY_OPTIONS))
    remote_call = ray.remote(_call)
    fn_ref = ray.put(fn)
    refs = [remote_call.remote(fn_ref, item) for item in items]
    index = {ref: i for i, ref in enumerate(refs)}
    results: list[Any] = [None] * len(refs)
    pending, done_count = list(refs), 0
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        for ref in ready:
            results[index[ref]] = ray.get(ref)
            done_count += 1
            report(progress, done_count / len(refs), f"{label} {done_count}/{len(refs)} (Ray)")
    return results


def _call(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


# A local Ray kept small: no dashboard, a modest object store, quiet logs.
_LOCAL_RAY_OPTIONS = dict(num_cpus=2, include_dashboard=False, object_store_memory=256 * 1024 * 1024,
                          logging_level=logging.WARNING, log_to_driver=False, configure_logging=True)


@contextlib.contextmanager
def local_ray(num_cpus: int = 2) -> Iterator[None]:
    """Start a small local Ray instance for the block and shut it down after (tests, one-off runs)."""
    import ray

    started = not ray.is_initialized()
    if started:
        ray.init(**{**_LOCAL_RAY_OPTIONS, "num_cpus": num_cpus})
    try:
        yield
    finally:
        if started:
            ray.shutdown()
