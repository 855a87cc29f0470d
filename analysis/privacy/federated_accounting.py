"""Client-level privacy accounting of DP-FedAvg (Flower computes none), with dp_accounting.

The privacy unit is one *client* (all of its records at once), under add-or-remove-one-client
adjacency. Each round, the server clips every sampled client's model update to L2 norm `clip_norm`,
sums the clipped updates, divides the sum by the fixed m = the expected number of clients per round
(not by the number of results received: McMahan et al. 2018; `federated.strategies`) and adds Gaussian
noise of standard deviation `noise_multiplier * clip_norm / m`. One client more or less moves that
aggregate by at most clip_norm / m, so each round is a Gaussian mechanism with noise multiplier
`noise_multiplier`, which is what is accounted here. (Flower's own FedAvg average divides by the number
of results; one client then moves it by up to 2 clip_norm / m and the true epsilon was that of
noise_multiplier / 2, e.g. 17.7 instead of 8 for the README's run. The simulation no longer uses it.)

One round = one Gaussian mechanism over the clients taking part, composed over `rounds`:
- all clients every round (`clients_per_round == total_clients`, the default): plain composition of
  `rounds` Gaussian mechanisms, exactly what the simulation does;
- fewer clients per round: modelled as Poisson sampling with rate q = clients_per_round /
  total_clients (the usual DP-FedAvg analysis, McMahan et al. 2018). Flower samples a fixed number of
  clients uniformly without replacement, for which the Poisson analysis is the standard
  approximation, not a proof. The assumption is written into every `ClientPrivacyAccounting`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

from analysis.results import Result

PRIVACY_UNIT = "one client (all of its records), add-or-remove-one-client adjacency"
ADJACENCY = ("add-or-remove-one-client adjacency; the aggregate divides the sum of clipped updates by the fixed "
             "expected number of clients per round m (McMahan et al. 2018), so one client moves it by at most "
             "C/m, the sensitivity the noise sigma C/m is calibrated to")
ACCOUNTANT = "RDP (calibration and the headline epsilon) and PLD (tighter epsilon, shown beside it)"
ALL_CLIENTS = ("all clients take part in every round: `rounds`-fold composition of the Gaussian "
               "mechanism (this is exactly what the simulation runs)")
POISSON = ("clients are modelled as Poisson-sampled each round with rate q = clients_per_round / "
           "total_clients; Flower samples a fixed number of clients without replacement, for which "
           "this is the usual approximation")
_RDP_ORDERS = tuple([1 + x / 10.0 for x in range(1, 100)] + list(range(11, 64)) + [128, 256, 512, 1024])


@dataclass(frozen=True)
class ClientPrivacyAccounting(Result):
    """The client-level (epsilon, delta) of DP-FedAvg, with everything needed to recompute it."""

    rdp_epsilon: float
    pld_epsilon: float
    delta: float
    noise_multiplier: float
    sampling_rate: float
    rounds: int
    clients_per_round: int
    total_clients: int
    clip_norm: Optional[float] = None
    target_epsilon: Optional[float] = None
    sampling_assumption: str = ALL_CLIENTS
    privacy_unit: str = PRIVACY_UNIT
    accountant: str = ACCOUNTANT
    warnings: list[str] = field(default_factory=list)
    adjacency: str = ADJACENCY

    @property
    def epsilon(self) -> float:
        """The headline epsilon: the RDP value (the one a target epsilon is calibrated against)."""
        return self.rdp_epsilon


def default_client_delta(total_clients: int) -> float:
    """min(1 / (10 K), 1e-5) for K clients: well below the 1/K at which one client may leak outright."""
    if total_clients < 1:
        raise ValueError(f"total_clients must be >= 1, got {total_clients!r}")
    return min(1.0 / (10 * total_clients), 1e-5)


def _validate(*, clients_per_round: int, total_clients: int, rounds: int, delta: float) -> float:
    if total_clients < 1:
        raise ValueError(f"total_clients must be >= 1, got {total_clients!r}")
    if not 1 <= clients_per_round <= total_clients:
        raise ValueError(f"clients_per_round must be in [1, total_clients={total_clients}], "
                         f"got {clients_per_round!r}")
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds!r}")
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta!r}")
    return clients_per_round / total_clients


def client_dp_event(noise_multiplier: float, *, sampling_rate: float, rounds: int):
    """The dp_accounting event of DP-FedAvg: one (possibly Poisson-sampled) Gaussian per round."""
    import dp_accounting

    gaussian = dp_accounting.GaussianDpEvent(noise_multiplier)
    per_round = gaussian if sampling_rate >= 1.0 else dp_accounting.PoissonSampledDpEvent(sampling_rate, gaussian)
    return dp_accounting.SelfComposedDpEvent(per_round, int(rounds))


def _rdp(noise_multiplier: float, sampling_rate: float, rounds: int, delta: float) -> float:
    import dp_accounting

    if noise_multiplier <= 0:
        return math.inf
    accountant = dp_accounting.rdp.RdpAccountant(list(_RDP_ORDERS))
    event = client_dp_event(noise_multiplier, sampling_rate=sampling_rate, rounds=rounds)
    return float(accountant.compose(event).get_epsilon(delta))


def _pld(noise_multiplier: float, sampling_rate: float, rounds: int, delta: float) -> float:
    import dp_accounting

    if noise_multiplier <= 0:
        return math.inf
    accountant = dp_accounting.pld.PLDAccountant()
    event = client_dp_event(noise_multiplier, sampling_rate=sampling_rate, rounds=rounds)
    return float(accountant.compose(event).get_epsilon(delta))


def client_level_epsilon(*, noise_multiplier: float, clients_per_round: int, total_clients: int,
                         rounds: int, delta: Optional[float] = None, clip_norm: Optional[float] = None,
                         target_epsilon: Optional[float] = None,
                         include_pld: bool = True) -> ClientPrivacyAccounting:
    """Client-level epsilon of DP-FedAvg at `delta` (None: min(1/(10 K), 1e-5) for K total clients)."""
    delta = default_client_delta(total_clients) if delta is None else float(delta)
    rate = _validate(clients_per_round=clients_per_round, total_clients=total_clients, rounds=rounds,
                     delta=delta)
    if not noise_multiplier >= 0:
        raise ValueError(f"noise_multiplier must be >= 0, got {noise_multiplier!r}")
    warnings: list[str] = []
    if noise_multiplier == 0:
        warnings.append("noise multiplier is 0: clipping alone gives no differential privacy "
                        "(epsilon is infinite).")
    if delta >= 1.0 / total_clients:
        warnings.append(f"delta = {delta:.3g} is at least 1/K = {1.0 / total_clients:.3g}: a mechanism "
                        "that publishes one random client's data meets this delta.")
    if total_clients < 100:
        warnings.append(f"only {total_clients} clients: DP-FedAvg noise is scaled to one client's "
                        "update, so with few clients it swamps the average (utility suffers).")
    rdp = _rdp(noise_multiplier, rate, rounds, delta)
    pld = _pld(noise_multiplier, rate, rounds, delta) if include_pld else math.nan
    return ClientPrivacyAccounting(
        rdp_epsilon=rdp, pld_epsilon=pld, delta=delta, noise_multiplier=float(noise_multiplier),
        sampling_rate=float(rate), rounds=int(rounds), clients_per_round=int(clients_per_round),
        total_clients=int(total_clients), clip_norm=clip_norm, target_epsilon=target_epsilon,
        sampling_assumption=ALL_CLIENTS if rate >= 1.0 else POISSON, warnings=warnings)


def calibrate_client_noise(target_epsilon: float, *, clients_per_round: int, total_clients: int,
                           rounds: int, delta: Optional[float] = None) -> float:
    """The smallest noise multiplier whose client-level RDP epsilon is at most `target_epsilon`."""
    import dp_accounting

    if not (target_epsilon > 0 and math.isfinite(target_epsilon)):
        raise ValueError(f"target_epsilon must be a positive finite number, got {target_epsilon!r}")
    delta = default_client_delta(total_clients) if delta is None else float(delta)
    rate = _validate(clients_per_round=clients_per_round, total_clients=total_clients, rounds=rounds,
                     delta=delta)
    sigma = dp_accounting.calibrate_dp_mechanism(
        lambda: dp_accounting.rdp.RdpAccountant(list(_RDP_ORDERS)),
        lambda s: client_dp_event(s, sampling_rate=rate, rounds=rounds), target_epsilon, delta,
        bracket_interval=dp_accounting.LowerEndpointAndGuess(1e-3, 1.0), tol=1e-4)
    return float(sigma)
