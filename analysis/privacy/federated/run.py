"""`run_federated`: train with Flower (FedAvg or DP-FedAvg) over K simulated clients on this machine.

The simulation runs in a worker thread; the caller's thread reports progress and polls cancel, so a
UI callback bound to the caller's thread (e.g. Streamlit's) works.
"""

from __future__ import annotations

import functools
import os
import queue
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np
import pandas as pd

from analysis.errors import safe_message
from analysis.privacy.dp import POISSON, DPConfig
from analysis.privacy.federated.assemble import _finish
from analysis.privacy.federated.client import _client_fn, _ClientSpec
from analysis.privacy.federated.model import _Evaluator, _initial_weights, _ModelSpec
from analysis.privacy.federated.noise import _resolve_client_noise, _resolve_sample_noise
from analysis.privacy.federated.partition import _prepare, partition_rows
from analysis.privacy.federated.results import FederatedResult, RoundMetrics
from analysis.privacy.federated.settings import DEFAULT_ATTACKS, STRATEGIES, FederatedCancelled, _settings
from analysis.privacy.federated.simulation import (
    _LOG_TAIL, _RUN_LOCK, CLIENT_NUM_CPUS, _captured_logs, _seeded_globals, _small_ray, _telemetry_off)
from analysis.privacy.federated.strategies import _recording_strategy, compose_strategy
from analysis.progress import ProgressCallback, report, scaled

CANARY_CLIENT = 0  # the one client that holds a run's canaries


def run_federated(frame: pd.DataFrame, label: str, *, clients: int = 10, rounds: int = 5,
                  strategy: str = "fedavg", partition: str = "iid", clip_norm: float = 1.0,
                  noise_multiplier: Optional[float] = None, target_epsilon: Optional[float] = None,
                  delta: Optional[float] = None, clients_per_round: Optional[int] = None,
                  local_epochs: int = 2, batch_size: int = 64, learning_rate: float = 1e-3,
                  hidden: Sequence[int] = (64, 32), client_dp: Optional[DPConfig] = None,
                  test_size: float = 0.5, max_rows: Optional[int] = None, audit_rows: int = 5000,
                  attacks: Sequence[str] = DEFAULT_ATTACKS, seed: int = 0,
                  canaries: Optional[pd.DataFrame] = None,
                  progress: Optional[ProgressCallback] = None,
                  cancel: Optional[Callable[[], bool]] = None) -> FederatedResult:
    """Train the tabular MLP with Flower (FedAvg or DP-FedAvg) over `clients` partitions of `frame`.

    frame: raw rows including `label`. strategy: "fedavg" or "dp-fedavg" (server-side fixed clipping:
    `clip_norm`, and `noise_multiplier` or a client-level `target_epsilon`; neither means noise 1.0).
    partition: "iid" or a column name (non-IID, see `partition_rows`). client_dp: DP-SGD inside each
    client (sample-level epsilon). Returns a `FederatedResult` (utility per round, final metrics,
    membership attacks on the final model, client/sample epsilon). Raises FederatedCancelled when
    `cancel()` turns True (checked before every round).

    canaries: extra training rows (the table's columns) that all sit in ONE client, `CANARY_CLIENT`,
    appended to its rows after the partition is drawn, so the real rows' split and partition are those of
    the run without them. They join the shared preprocessor's fit (as a centralized run's canaries join
    its fit), that client's local training (its DP-SGD samples them like any of its rows) and its row
    count in `partition_sizes` and in the sample-level accounting; they never enter `n_train`, the
    held-out utility, the training accuracy or the membership attacks (`analysis.canary_audit`).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    settings = _settings(strategy, dict(
        clients=clients, rounds=rounds, partition=partition, clip_norm=clip_norm,
        noise_multiplier=noise_multiplier, target_epsilon=target_epsilon, delta=delta,
        clients_per_round=clients_per_round, local_epochs=local_epochs, batch_size=batch_size,
        learning_rate=learning_rate, hidden=hidden, client_dp=client_dp, test_size=test_size,
        max_rows=max_rows, audit_rows=audit_rows, attacks=attacks, seed=seed))
    start = time.perf_counter()
    report(progress, 0.0, "preparing the data")
    data = _prepare(frame, label, settings, canaries)
    parts = partition_rows(data.train, clients=settings.clients, by=settings.partition, seed=settings.seed)
    sizes = [int(len(p)) for p in parts]
    sizes[CANARY_CLIENT] += data.n_canaries  # the accounting counts every row a client trains on
    client_noise, client_privacy = _resolve_client_noise(settings)
    sample_noise, sample_privacy = _resolve_sample_noise(settings, sizes)
    spec = _ModelSpec(n_inputs=int(data.x_train.shape[1]), n_classes=len(data.classes),
                      hidden=settings.hidden, learning_rate=settings.learning_rate,
                      batch_size=settings.batch_size, local_epochs=settings.local_epochs, seed=settings.seed)
    init = _initial_weights(spec)
    evaluator = _Evaluator(spec, data, settings.seed)
    history: list[RoundMetrics] = []
    final: dict[str, Any] = {}
    sim_progress = scaled(progress, 0.1, 0.85)
    events: queue.Queue = queue.Queue()  # progress from Flower's server thread, reported by the caller's
    stop = threading.Event()             # set by the caller's thread: cancel() fired or it was interrupted

    def evaluate(server_round, parameters):
        from flwr.common import parameters_to_ndarrays

        weights = parameters_to_ndarrays(parameters) if not isinstance(parameters, list) else parameters
        metrics = evaluator.metrics(weights)
        final["weights"], final["metrics"] = weights, metrics
        trained, mean_loss = recording.client_metrics.get(server_round, (0, None))
        history.append(RoundMetrics(round=int(server_round), accuracy_score=metrics["accuracy_score"],
                                    log_loss=metrics["log_loss"],
                                    train_accuracy_score=metrics["train_accuracy_score"],
                                    clients_trained=trained, mean_client_loss=mean_loss))
        handled = threading.Event()
        events.put((server_round / settings.rounds,
                    f"round {server_round}/{settings.rounds}: accuracy {metrics['accuracy_score']:.3f}", handled))
        while not handled.wait(0.1) and not stop.is_set():  # the next round starts once cancel was polled
            pass
        return metrics["log_loss"], {"accuracy": metrics["accuracy_score"]}

    if cancel is not None and cancel():
        raise FederatedCancelled("federated training cancelled before it started")
    os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")  # before flwr is imported: no telemetry calls
    report(progress, 0.05, "starting Flower (Ray) with a small footprint")
    data_dir = tempfile.mkdtemp(prefix="pad-fl-")
    try:
        for i, index in enumerate(parts):
            x, y = data.x_train[index], data.y_train[index]
            if i == CANARY_CLIENT and data.n_canaries:
                x, y = np.concatenate([x, data.x_canary]), np.concatenate([y, data.y_canary])
            np.savez(Path(data_dir) / f"client_{i}.npz", x=x, y=y)
        client_spec = _ClientSpec(model=spec, data_dir=data_dir, uniform_weights=settings.dp_enabled,
                                  dp_noise=sample_noise,
                                  dp_clip=settings.client_dp.clip_norm if settings.client_dp else None,
                                  dp_poisson=settings.client_dp is None or settings.client_dp.sampling == POISSON)
        from flwr.client import ClientApp
        from flwr.server import ServerApp, ServerAppComponents, ServerConfig
        from flwr.simulation import run_simulation
        import ray  # noqa: F401 - imported before the log capture: Ray installs its handlers on import

        _telemetry_off()
        # One simulation at a time per process (one Ray; the flwr/ray loggers and the global RNGs Flower
        # samples from are the run's while it holds the lock); the capture comes after the imports,
        # which install Flower's console handler.
        with _RUN_LOCK, _captured_logs() as logs:
            strategy_obj = compose_strategy(settings, init=init, client_noise=client_noise)
            recording = _recording_strategy(strategy_obj, evaluate=evaluate, cancel=stop.is_set)
            server_app = ServerApp(server_fn=lambda context: ServerAppComponents(
                strategy=recording, config=ServerConfig(num_rounds=settings.rounds)))
            client_app = ClientApp(client_fn=functools.partial(_client_fn, client_spec))
            crashed: list[BaseException] = []

            def simulate() -> None:
                try:
                    with _seeded_globals(settings.seed), _small_ray(logs):
                        run_simulation(server_app=server_app, client_app=client_app,
                                       num_supernodes=settings.clients,
                                       backend_config={"client_resources": {"num_cpus": CLIENT_NUM_CPUS,
                                                                            "num_gpus": 0.0},
                                                       "init_args": {}, "actor": {"tensorflow": 0}})
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    crashed.append(exc)

            # The simulation runs in a worker thread; this thread reports progress and polls cancel, so
            # a UI callback (e.g. Streamlit's, bound to this thread) works. If reporting raises (a
            # rerun), the simulation is told to stop after the current round and Ray is shut down
            # before the exception goes on.
            worker = threading.Thread(target=simulate, name="flower-simulation", daemon=True)
            worker.start()
            try:
                while worker.is_alive() or not events.empty():
                    if cancel is not None and not stop.is_set() and cancel():
                        stop.set()
                    try:
                        fraction, message, handled = events.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    try:
                        report(sim_progress, fraction, message)
                        if cancel is not None and not stop.is_set() and cancel():
                            stop.set()
                    finally:
                        handled.set()
            except BaseException:
                stop.set()
                worker.join()
                raise
            worker.join()
            if crashed:
                failure = safe_message(crashed[0])
                raise RuntimeError(f"the Flower simulation failed: {failure}") from crashed[0]
        log_tail = list(logs.lines)[-_LOG_TAIL:]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if recording.failures:
        raise RuntimeError(f"federated training failed in a client: {recording.failures[0]}")
    if recording.cancelled:
        raise FederatedCancelled(f"federated training cancelled after {max(0, len(history) - 1)} of "
                                 f"{settings.rounds} rounds")
    if len(history) != settings.rounds + 1 or "weights" not in final:
        tail = "; ".join(log_tail[-5:])
        raise RuntimeError(f"the Flower simulation finished {max(0, len(history) - 1)} of {settings.rounds} "
                           f"rounds ({tail})")
    return _finish(settings, label, data, spec, final, history, sizes, client_noise, client_privacy,
                   sample_privacy, log_tail, start, progress, mode="federated", canary_client=CANARY_CLIENT)
