"""The noise of a run and its accounting: client-level (DP-FedAvg) and sample-level (DP-SGD in clients).

The two are different privacy units; they are resolved and reported separately, never combined.
"""

from __future__ import annotations

from typing import Optional

from analysis.privacy.federated.settings import DEFAULT_NOISE_MULTIPLIER, FederatedSettings
from analysis.privacy.federated_accounting import (
    ClientPrivacyAccounting, calibrate_client_noise, client_level_epsilon, default_client_delta)


def _resolve_client_noise(settings: FederatedSettings) -> tuple[Optional[float], Optional[ClientPrivacyAccounting]]:
    if not settings.dp_enabled:
        return None, None
    delta = settings.delta if settings.delta is not None else default_client_delta(settings.clients)
    if settings.noise_multiplier is not None:
        noise = float(settings.noise_multiplier)
    elif settings.target_epsilon is not None:
        noise = calibrate_client_noise(settings.target_epsilon, clients_per_round=settings.per_round,
                                       total_clients=settings.clients, rounds=settings.rounds, delta=delta)
    else:
        noise = DEFAULT_NOISE_MULTIPLIER
    accounting = client_level_epsilon(noise_multiplier=noise, clients_per_round=settings.per_round,
                                      total_clients=settings.clients, rounds=settings.rounds, delta=delta,
                                      clip_norm=settings.clip_norm, target_epsilon=settings.target_epsilon)
    return noise, accounting


def _resolve_sample_noise(settings: FederatedSettings, sizes: list[int]):
    """DP-SGD inside clients: noise per client and the worst client's sample-level accounting.

    Each client is assumed to train in every round (no amplification from client sampling), so its
    DP-SGD runs rounds * local_epochs epochs over its own rows. Clients draw Poisson batches (rate
    batch / n, `model._local_fit`), as this accounting assumes; with `client_dp.sampling = "shuffled"`
    they use shuffled fixed-size batches and the accounting says APPROXIMATION.
    """
    if settings.client_dp is None:
        return None, None
    from analysis.privacy.dp import account_training

    dp = settings.client_dp
    epochs = settings.rounds * settings.local_epochs
    noises, accounts = [], []
    for n in sizes:
        batch = min(settings.batch_size, n)
        noise = dp.resolve_noise(n_examples=n, batch_size=batch, epochs=epochs)
        noises.append(float(noise))
        accounts.append(account_training(dp, n_examples=n, batch_size=batch, epochs=epochs, noise_multiplier=noise))
    worst = max(accounts, key=lambda a: a.epsilon)
    return tuple(noises), worst
