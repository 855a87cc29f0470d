"""Server strategies. Composed, not flagged: FedAvg, and DP-FedAvg = Flower's server-side fixed clipping
wrapped around the same FedAvg, with the aggregation replaced by a fixed denominator; `_recording_strategy`
wraps either to record failures and per-round client metrics and to honour cancel between rounds.

DP-FedAvg's fixed denominator (McMahan et al. 2018, "Learning differentially private recurrent language
models"): the new model is the current one plus the *sum* of the clipped client updates divided by m, the
expected number of sampled clients, not by the number of results received (Flower's FedAvg). One client
more or less then moves the aggregate by at most C/m, the sensitivity the noise sigma C/m and the
accountant (add-or-remove-one-client) assume. Flower's average moves by up to 2C/m (the denominator
changes with the client), which made the true noise multiplier sigma / 2.
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import numpy as np

from analysis.errors import safe_message
from analysis.privacy.federated.settings import FederatedSettings


def _fit_config(server_round: int) -> dict:
    return {"server_round": server_round}


def compose_strategy(settings: FederatedSettings, *, init: Sequence[np.ndarray],
                     client_noise: Optional[float]):
    """FedAvg over `settings.per_round` clients a round, starting from `init`; under DP-FedAvg wrapped in
    server-side fixed clipping (each update clipped to `clip_norm`, Gaussian noise of std
    `client_noise * clip_norm / per_round` on the average)."""
    from flwr.common import ndarrays_to_parameters
    from flwr.server.strategy import DifferentialPrivacyServerSideFixedClipping, FedAvg

    per_round = settings.per_round
    strategy_obj = FedAvg(fraction_fit=per_round / settings.clients, min_fit_clients=per_round,
                          fraction_evaluate=0.0, min_evaluate_clients=0,
                          min_available_clients=settings.clients,
                          initial_parameters=ndarrays_to_parameters(init), evaluate_fn=None,
                          on_fit_config_fn=_fit_config, accept_failures=False)
    if settings.dp_enabled:
        strategy_obj = _fixed_denominator_dp(DifferentialPrivacyServerSideFixedClipping)(
            strategy_obj, noise_multiplier=client_noise, clipping_norm=settings.clip_norm,
            num_sampled_clients=per_round)
    return strategy_obj


def fixed_denominator_aggregate(current: Sequence[np.ndarray], client_params: Sequence[Sequence[np.ndarray]],
                                clip_norm: float, denominator: float) -> list[np.ndarray]:
    """current + sum_i clip(client_i - current, clip_norm) / denominator (L2 norm over all layers)."""
    total = [np.zeros_like(np.asarray(layer, dtype=np.float64)) for layer in current]
    for params in client_params:
        update = [np.asarray(p, dtype=np.float64) - np.asarray(c, dtype=np.float64) for p, c in zip(params, current)]
        norm = float(np.sqrt(sum(float(np.sum(u * u)) for u in update)))
        scale = min(1.0, clip_norm / norm) if norm > 0 else 1.0
        for t, u in zip(total, update):
            t += u * scale
    return [(np.asarray(c, dtype=np.float64) + t / denominator).astype(np.asarray(c).dtype)
            for c, t in zip(current, total)]


def _fixed_denominator_dp(base):
    """Flower's server-side fixed clipping (`base`) with the fixed-denominator aggregation; noise as Flower
    adds it (std noise_multiplier * clipping_norm / num_sampled_clients)."""
    from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
    from flwr.common.differential_privacy import add_gaussian_noise_to_params

    class FixedDenominatorDP(base):
        def __repr__(self) -> str:
            return "DP-FedAvg (server-side fixed clipping, fixed denominator m = expected clients per round)"

        def aggregate_fit(self, server_round, results, failures):
            if failures or not results:
                return None, {}
            aggregate = fixed_denominator_aggregate(
                self.current_round_params, [parameters_to_ndarrays(res.parameters) for _, res in results],
                self.clipping_norm, float(self.num_sampled_clients))
            noised = add_gaussian_noise_to_params(ndarrays_to_parameters(aggregate), self.noise_multiplier,
                                                  self.clipping_norm, self.num_sampled_clients)
            return noised, {}

    return FixedDenominatorDP


def _recording_strategy(inner, *, evaluate: Callable, cancel: Optional[Callable[[], bool]]):
    """Wrap any Flower strategy: record failures, per-round client metrics, and honour `cancel`."""
    from flwr.server.strategy import Strategy

    class Recording(Strategy):
        def __init__(self):
            super().__init__()
            self.inner = inner
            self.failures: list[str] = []
            self.client_metrics: dict[int, tuple[int, Optional[float]]] = {}
            self.cancelled = False

        def __repr__(self) -> str:
            return f"Recording({self.inner!r})"

        def initialize_parameters(self, client_manager):
            return self.inner.initialize_parameters(client_manager)

        def configure_fit(self, server_round, parameters, client_manager):
            if self.failures or self.cancelled or (cancel is not None and cancel()):
                self.cancelled = self.cancelled or not self.failures
                return []
            return self.inner.configure_fit(server_round, parameters, client_manager)

        def aggregate_fit(self, server_round, results, failures):
            if failures:
                self.failures.extend(safe_message(f) if isinstance(f, BaseException)
                                     else "a client returned an error" for f in failures)
                return None, {}
            losses = [float(res.metrics.get("loss", math.nan)) for _, res in results]
            self.client_metrics[server_round] = (len(results), float(np.nanmean(losses)) if losses else None)
            return self.inner.aggregate_fit(server_round, results, failures)

        def configure_evaluate(self, server_round, parameters, client_manager):
            return []

        def aggregate_evaluate(self, server_round, results, failures):
            return None, {}

        def evaluate(self, server_round, parameters):
            if self.cancelled or self.failures:
                return None
            return evaluate(server_round, parameters)

    return Recording()
