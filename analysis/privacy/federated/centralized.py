"""`run_centralized`: the baseline on the same split and model, all training rows in one place."""

from __future__ import annotations

import time
from typing import Callable, Optional, Sequence

import pandas as pd

from analysis.privacy.federated.assemble import _finish
from analysis.privacy.federated.model import (
    ModelCache, _Evaluator, _initial_weights, _local_fit, _ModelSpec, _round_seed)
from analysis.privacy.federated.partition import _prepare
from analysis.privacy.federated.results import FederatedResult, RoundMetrics
from analysis.privacy.federated.settings import DEFAULT_ATTACKS, FederatedCancelled, _settings
from analysis.progress import ProgressCallback, report


def run_centralized(frame: pd.DataFrame, label: str, *, rounds: int = 5, local_epochs: int = 2,
                    batch_size: int = 64, learning_rate: float = 1e-3, hidden: Sequence[int] = (64, 32),
                    test_size: float = 0.5, max_rows: Optional[int] = None, audit_rows: int = 5000,
                    attacks: Sequence[str] = DEFAULT_ATTACKS, seed: int = 0,
                    progress: Optional[ProgressCallback] = None,
                    cancel: Optional[Callable[[], bool]] = None) -> FederatedResult:
    """The centralized baseline on the same split and model: all training rows in one place.

    A "round" is `local_epochs` epochs (Adam restarted each round, as for one federated client), so
    the per-round curve lines up with FedAvg's, and FedAvg with one client equals this run.
    """
    settings = _settings("centralized", dict(
        clients=1, rounds=rounds, local_epochs=local_epochs, batch_size=batch_size,
        learning_rate=learning_rate, hidden=hidden, test_size=test_size, max_rows=max_rows,
        audit_rows=audit_rows, attacks=attacks, seed=seed))
    start = time.perf_counter()
    report(progress, 0.0, "preparing the data")
    data = _prepare(frame, label, settings)
    spec = _ModelSpec(n_inputs=int(data.x_train.shape[1]), n_classes=len(data.classes),
                      hidden=settings.hidden, learning_rate=settings.learning_rate,
                      batch_size=settings.batch_size, local_epochs=settings.local_epochs, seed=settings.seed)
    weights = _initial_weights(spec)
    models = ModelCache()  # this run's own model: never shared with another run in the process
    evaluator = _Evaluator(spec, data, settings.seed)
    history, final = [], {}
    for server_round in range(settings.rounds + 1):
        loss = None
        if server_round > 0:
            if cancel is not None and cancel():
                raise FederatedCancelled(f"centralized training cancelled after {server_round - 1} of "
                                         f"{settings.rounds} rounds")
            weights, loss = _local_fit(spec, weights, data.x_train, data.y_train,
                                       seed=_round_seed(settings.seed, 0, server_round), models=models)
        metrics = evaluator.metrics(weights)
        final["weights"], final["metrics"] = weights, metrics
        history.append(RoundMetrics(round=server_round, accuracy_score=metrics["accuracy_score"],
                                    log_loss=metrics["log_loss"], train_accuracy_score=metrics["train_accuracy_score"],
                                    clients_trained=1 if server_round else 0, mean_client_loss=loss))
        report(progress, 0.05 + 0.8 * server_round / settings.rounds,
               f"round {server_round}/{settings.rounds}: accuracy {metrics['accuracy_score']:.3f}")
    return _finish(settings, label, data, spec, final, history, [len(data.train)], None, None, None, [],
                   start, progress, mode="centralized")
