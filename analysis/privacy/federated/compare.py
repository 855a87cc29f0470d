"""`compare_federated`: centralized, FedAvg and DP-FedAvg on the same rows, split, model and seed."""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import pandas as pd

from analysis.privacy.dp import DPConfig
from analysis.privacy.federated.centralized import run_centralized
from analysis.privacy.federated.results import FederatedComparison
from analysis.privacy.federated.run import run_federated
from analysis.privacy.federated.settings import DEFAULT_ATTACKS, STRATEGIES
from analysis.progress import ProgressCallback, scaled


def compare_federated(frame: pd.DataFrame, label: str, *, clients: int = 10, rounds: int = 5,
                      partition: str = "iid", clip_norm: float = 1.0, noise_multiplier: Optional[float] = None,
                      target_epsilon: Optional[float] = None, delta: Optional[float] = None,
                      clients_per_round: Optional[int] = None, local_epochs: int = 2, batch_size: int = 64,
                      learning_rate: float = 1e-3, hidden: Sequence[int] = (64, 32),
                      client_dp: Optional[DPConfig] = None, test_size: float = 0.5,
                      max_rows: Optional[int] = None, audit_rows: int = 5000,
                      attacks: Sequence[str] = DEFAULT_ATTACKS, strategies: Sequence[str] = STRATEGIES,
                      seed: int = 0, progress: Optional[ProgressCallback] = None,
                      cancel: Optional[Callable[[], bool]] = None) -> FederatedComparison:
    """Centralized, then each of `strategies` (default FedAvg and DP-FedAvg) on the same rows and seed."""
    for s in strategies:
        if s not in STRATEGIES:
            raise ValueError(f"strategies must be among {STRATEGIES}, got {s!r}")
    common = dict(rounds=rounds, local_epochs=local_epochs, batch_size=batch_size, learning_rate=learning_rate,
                  hidden=hidden, test_size=test_size, max_rows=max_rows, audit_rows=audit_rows, attacks=attacks,
                  seed=seed, cancel=cancel)
    steps = 1 + len(strategies)

    def part(i: int, name: str) -> Optional[ProgressCallback]:
        sub = scaled(progress, i / steps, (i + 1) / steps)
        return None if sub is None else (lambda f, m: sub(f, f"{name}: {m}"))

    runs = [run_centralized(frame, label, progress=part(0, "Centralized"), **common)]
    for i, s in enumerate(strategies, start=1):
        runs.append(run_federated(frame, label, clients=clients, strategy=s, partition=partition,
                                  clip_norm=clip_norm, noise_multiplier=noise_multiplier,
                                  target_epsilon=target_epsilon, delta=delta,
                                  clients_per_round=clients_per_round, client_dp=client_dp,
                                  progress=part(i, {"fedavg": "FedAvg", "dp-fedavg": "DP-FedAvg"}[s]), **common))
    return FederatedComparison(runs=runs, label=label, seed=seed)
