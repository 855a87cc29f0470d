"""Client-level privacy accounting of DP-FedAvg (Flower computes none), with dp_accounting.

The privacy unit is one *client* (all of its records at once). Each round, the server clips every
sampled client's model update to L2 norm `clip_norm`, averages the clipped updates over the results it
receives and adds Gaussian noise of standard deviation `noise_multiplier * clip_norm / m` to the
average (Flower's `DifferentialPrivacyServerSideFixedClipping`, m = the clients sampled per round).
Relative to the sensitivity of the sum (`clip_norm`) under add-or-remove-one-client adjacency, that is
a Gaussian mechanism with noise multiplier `noise_multiplier`: the headline epsilon, with Flower's
denominator (the number of results received), as the usual DP-FedAvg analysis has it.

Under replace-one-client adjacency with a fixed denominator m, the average's sensitivity is 2C/m:
the same noise is a Gaussian mechanism with noise multiplier `noise_multiplier / 2`, a larger epsilon
(`replace_one_*_epsilon`; e.g. 17.7 instead of 8.0 for sigma = 1.43, 5 rounds, 10 clients, delta = 1e-5).
Both are reported so that nobody quotes the smaller number in the replace-one setting. With fewer
clients per round than clients, the replace-one figure uses sampling without replacement (Flower's
scheme) and the RDP accountant only (dp_accounting's PLD does not support it).

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
ADJACENCY = ("add-or-remove-one-client adjacency, with Flower's denominator (the average divides by the "
             "number of results the server receives); the epsilon under replace-one-client adjacency with "
             "a fixed denominator m (sensitivity 2C/m) is reported beside it and is larger")
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
    replace_one_rdp_epsilon: Optional[float] = None   # replace-one client, fixed denominator (2C/m)
    replace_one_pld_epsilon: Optional[float] = None   # None when clients are subsampled (no PLD for it)

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


def replace_one_epsilon(noise_multiplier: float, *, clients_per_round: int, total_clients: int, rounds: int,
                        delta: float) -> tuple[float, Optional[float]]:
    """(RDP, PLD) client-level epsilon under replace-one adjacency with the fixed denominator m:
    sensitivity 2C/m, i.e. a Gaussian with noise multiplier sigma/2 per round. PLD only when every
    client takes part (no subsampling)."""
    import dp_accounting

    if noise_multiplier <= 0:
        return math.inf, math.inf
    gaussian = dp_accounting.GaussianDpEvent(noise_multiplier / 2)
    relation = dp_accounting.NeighboringRelation.REPLACE_ONE
    if clients_per_round >= total_clients:
        event = dp_accounting.SelfComposedDpEvent(gaussian, int(rounds))
        pld = float(dp_accounting.pld.PLDAccountant(relation).compose(event).get_epsilon(delta))
    else:
        event = dp_accounting.SelfComposedDpEvent(
            dp_accounting.SampledWithoutReplacementDpEvent(int(total_clients), int(clients_per_round), gaussian),
            int(rounds))
        pld = None
    rdp = float(dp_accounting.rdp.RdpAccountant(list(_RDP_ORDERS), relation).compose(event).get_epsilon(delta))
    return rdp, pld


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
    replace_rdp, replace_pld = replace_one_epsilon(noise_multiplier, clients_per_round=clients_per_round,
                                                   total_clients=total_clients, rounds=rounds, delta=delta)
    if noise_multiplier > 0:
        shown = replace_pld if replace_pld is not None else replace_rdp
        warnings.append(f"client-level epsilon {rdp:.2f} is for add-or-remove-one-client adjacency with "
                        f"Flower's denominator; under replace-one-client adjacency with a fixed denominator "
                        f"(sensitivity 2C/m) the same run has epsilon {shown:.1f}"
                        f"{' (PLD; RDP ' + format(replace_rdp, '.1f') + ')' if replace_pld is not None else ' (RDP)'}"
                        ": quote the one that matches your setting.")
    return ClientPrivacyAccounting(
        rdp_epsilon=rdp, pld_epsilon=pld, delta=delta, noise_multiplier=float(noise_multiplier),
        sampling_rate=float(rate), rounds=int(rounds), clients_per_round=int(clients_per_round),
        total_clients=int(total_clients), clip_norm=clip_norm, target_epsilon=target_epsilon,
        sampling_assumption=ALL_CLIENTS if rate >= 1.0 else POISSON, warnings=warnings,
        replace_one_rdp_epsilon=replace_rdp, replace_one_pld_epsilon=replace_pld)


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
