"""DP-SGD settings, noise calibration and privacy accounting (dp_accounting, no TensorFlow here).

The privacy unit is one example (add-or-remove-one adjacency). Training clips every example's
gradient separately ("one example per microbatch"), so the sensitivity of the summed gradient is the
clipping norm and the Gaussian mechanism's noise multiplier is used as is (the `used_microbatching`
halving of tensorflow-privacy's statement does *not* apply).

Each step is modelled as a Poisson-subsampled Gaussian mechanism with sampling rate
q = batch_size / n, composed over `steps` = epochs * ceil(n / batch_size). Training does exactly that
by default (`DPConfig.sampling = "poisson"`, `training.fit_keras`): each example enters each step
independently with probability q, as Opacus does. `sampling="shuffled"` trains on shuffled fixed-size
batches instead; the Poisson accounting is then an approximation that can understate epsilon (Chua,
Ghazi, Kamath et al. 2024, "How Private are DP-SGD Implementations?"). Which one ran is stated in
every `PrivacyAccounting.sampling_assumption`, the shuffled one labelled as an approximation.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Optional

from analysis.results import Result

MICROBATCHING = "one example per microbatch"
POISSON, SHUFFLED = "poisson", "shuffled"
SAMPLING_POISSON = (
    "Poisson subsampling with rate q = batch_size / n per step, as the accounting assumes: each example "
    "enters each step independently with probability q, so batch sizes vary; the noisy gradient sum is "
    "not divided by the realised batch size"
)
SAMPLING_SHUFFLED = (
    "APPROXIMATION: training used shuffled fixed-size batches, while the accounting assumes Poisson "
    "subsampling with rate q = batch_size / n; for shuffling the true epsilon can be larger "
    "(Chua et al. 2024)"
)
SAMPLING_ASSUMPTION = SAMPLING_POISSON  # the default training matches the accounting
ACCOUNTANT = "RDP (calibration and epsilon) and PLD (tighter epsilon, shown beside it)"
PREPROCESSING_NOT_PRIVATE = (
    "epsilon covers the training steps only: the preprocessing (standardization means and deviations, "
    "medians, category vocabularies) is fitted on the training rows without DP, so it can reveal, e.g., a "
    "category or an extreme value that only one record has"
)


@dataclass(frozen=True)
class DPConfig(Result):
    """What DP-SGD should guarantee and how.

    target_epsilon: the budget to calibrate the noise to (ignored when noise_multiplier is given).
    delta: None means min(1 / (10 n), 1e-5) for a training set of n examples.
    clip_norm: per-example L2 clipping norm of the gradient.
    noise_multiplier: noise std / clip_norm; None means calibrate from target_epsilon.
    sampling: "poisson" (default: each example enters each step with probability q, what the
        accountant assumes) or "shuffled" (fixed-size shuffled batches, an approximation, labelled so).
    """

    target_epsilon: Optional[float] = None
    delta: Optional[float] = None
    clip_norm: float = 1.0
    noise_multiplier: Optional[float] = None
    sampling: str = POISSON

    def __post_init__(self) -> None:
        if self.noise_multiplier is None and self.target_epsilon is None:
            raise ValueError("DPConfig needs target_epsilon or noise_multiplier (both are None)")
        if self.target_epsilon is not None and not (self.target_epsilon > 0 and math.isfinite(self.target_epsilon)):
            raise ValueError(f"target_epsilon must be a positive finite number, got {self.target_epsilon!r}; "
                             "use dp=None for non-private training")
        if self.noise_multiplier is not None and not self.noise_multiplier >= 0:
            raise ValueError(f"noise_multiplier must be >= 0, got {self.noise_multiplier!r}")
        if self.delta is not None and not 0 < self.delta < 1:
            raise ValueError(f"delta must be in (0, 1), got {self.delta!r}")
        if not self.clip_norm > 0:
            raise ValueError(f"clip_norm must be > 0, got {self.clip_norm!r}")
        if self.sampling not in (POISSON, SHUFFLED):
            raise ValueError(f"sampling must be {POISSON!r} or {SHUFFLED!r}, got {self.sampling!r}")

    def resolved_delta(self, n_examples: int) -> float:
        return self.delta if self.delta is not None else default_delta(n_examples)

    def resolve_noise(self, *, n_examples: int, batch_size: int, epochs: int) -> float:
        """The noise multiplier to train with: given, or calibrated to target_epsilon before training."""
        if self.noise_multiplier is not None:
            return float(self.noise_multiplier)
        rate, steps = sampling_rate_and_steps(n_examples, batch_size=batch_size, epochs=epochs)
        return calibrate_noise_multiplier(self.target_epsilon, delta=self.resolved_delta(n_examples),
                                          sampling_rate=rate, steps=steps)


@dataclass(frozen=True)
class PrivacyAccounting(Result):
    """The (epsilon, delta) a DP-SGD run achieved, with everything needed to recompute it."""

    rdp_epsilon: float
    pld_epsilon: float
    delta: float
    noise_multiplier: float
    sampling_rate: float
    steps: int
    sampling_assumption: str = SAMPLING_ASSUMPTION
    microbatching: str = MICROBATCHING
    accountant: str = ACCOUNTANT
    warnings: list[str] = field(default_factory=list)
    preprocessing: str = PREPROCESSING_NOT_PRIVATE   # what epsilon does not cover
    clip_norm: Optional[float] = None
    target_epsilon: Optional[float] = None
    n_examples: Optional[int] = None
    batch_size: Optional[int] = None
    epochs: Optional[int] = None

    @property
    def epsilon(self) -> float:
        """The headline epsilon: the RDP value (the one the noise was calibrated against)."""
        return self.rdp_epsilon


def default_delta(n_examples: int) -> float:
    """min(1 / (10 n), 1e-5): well below the 1/n at which releasing one random record is 'private'."""
    if n_examples < 1:
        raise ValueError(f"n_examples must be >= 1, got {n_examples!r}")
    return min(1.0 / (10 * n_examples), 1e-5)


def sampling_rate_and_steps(n_examples: int, *, batch_size: int, epochs: int) -> tuple[float, int]:
    """q = batch_size / n and steps = epochs * ceil(n / batch_size) (a short last batch counts as a step)."""
    if n_examples < 1:
        raise ValueError(f"n_examples must be >= 1, got {n_examples!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs!r}")
    batch = min(batch_size, n_examples)
    return batch / n_examples, int(epochs * math.ceil(n_examples / batch))


def dp_sgd_event(noise_multiplier: float, *, sampling_rate: float, steps: int):
    """The dp_accounting event of DP-SGD: a Poisson-sampled Gaussian mechanism composed `steps` times."""
    import dp_accounting

    return dp_accounting.SelfComposedDpEvent(
        dp_accounting.PoissonSampledDpEvent(sampling_rate, dp_accounting.GaussianDpEvent(noise_multiplier)),
        int(steps))


def _check(sampling_rate: float, steps: int, delta: float) -> None:
    if not 0 < sampling_rate <= 1:
        raise ValueError(f"sampling_rate must be in (0, 1], got {sampling_rate!r}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps!r}")
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta!r}")


def rdp_epsilon(*, noise_multiplier: float, sampling_rate: float, steps: int, delta: float) -> float:
    """Epsilon of DP-SGD at `delta` by dp_accounting's RDP accountant (its default orders)."""
    import dp_accounting

    if noise_multiplier <= 0:
        return math.inf
    accountant = dp_accounting.rdp.RdpAccountant()
    return float(accountant.compose(dp_sgd_event(noise_multiplier, sampling_rate=sampling_rate,
                                                 steps=steps)).get_epsilon(delta))


def pld_epsilon(*, noise_multiplier: float, sampling_rate: float, steps: int, delta: float) -> float:
    """Epsilon of DP-SGD at `delta` by dp_accounting's PLD accountant (tighter than RDP)."""
    import dp_accounting

    if noise_multiplier <= 0:
        return math.inf
    accountant = dp_accounting.pld.PLDAccountant()
    return float(accountant.compose(dp_sgd_event(noise_multiplier, sampling_rate=sampling_rate,
                                                 steps=steps)).get_epsilon(delta))


def calibrate_noise_multiplier(target_epsilon: float, *, delta: float, sampling_rate: float,
                               steps: int) -> float:
    """The smallest noise multiplier whose RDP epsilon is at most `target_epsilon` (to 1e-4)."""
    import dp_accounting

    if not (target_epsilon > 0 and math.isfinite(target_epsilon)):
        raise ValueError(f"target_epsilon must be a positive finite number, got {target_epsilon!r}")
    _check(sampling_rate, steps, delta)

    def make_event(sigma: float):
        return dp_sgd_event(sigma, sampling_rate=sampling_rate, steps=steps)

    sigma = dp_accounting.calibrate_dp_mechanism(
        lambda: dp_accounting.rdp.RdpAccountant(), make_event, target_epsilon, delta,
        bracket_interval=dp_accounting.LowerEndpointAndGuess(1e-3, 1.0), tol=1e-4)
    return float(sigma)


def compute_epsilon(*, noise_multiplier: float, sampling_rate: float, steps: int, delta: float,
                    n_examples: Optional[int] = None, clip_norm: Optional[float] = None,
                    target_epsilon: Optional[float] = None, batch_size: Optional[int] = None,
                    epochs: Optional[int] = None, include_pld: bool = True) -> PrivacyAccounting:
    """Epsilon of DP-SGD (one example per microbatch) under RDP and PLD accounting, at `delta`.

    Warnings name a delta of at least 1/n (a budget that allows leaking a whole record) and noise so
    small that epsilon is unbounded.
    """
    _check(sampling_rate, steps, delta)
    if noise_multiplier < 0:
        raise ValueError(f"noise_multiplier must be >= 0, got {noise_multiplier!r}")
    warnings: list[str] = []
    if n_examples is None:
        n_examples = int(round(batch_size / sampling_rate)) if batch_size else None
    if n_examples and delta >= 1.0 / n_examples:
        warnings.append(f"delta = {delta:.3g} is at least 1/n = {1.0 / n_examples:.3g}: a mechanism that "
                        "publishes one random record outright meets this delta; use delta <= 1/(10 n).")
    if noise_multiplier == 0:
        warnings.append("noise multiplier is 0: clipping alone gives no differential privacy (epsilon is infinite).")
    rdp = rdp_epsilon(noise_multiplier=noise_multiplier, sampling_rate=sampling_rate, steps=steps, delta=delta)
    pld = (pld_epsilon(noise_multiplier=noise_multiplier, sampling_rate=sampling_rate, steps=steps, delta=delta)
           if include_pld else math.nan)
    return PrivacyAccounting(rdp_epsilon=rdp, pld_epsilon=pld, delta=float(delta),
                             noise_multiplier=float(noise_multiplier), sampling_rate=float(sampling_rate),
                             steps=int(steps), warnings=warnings, clip_norm=clip_norm,
                             target_epsilon=target_epsilon, n_examples=n_examples, batch_size=batch_size,
                             epochs=epochs)


def account_training(dp: DPConfig, *, n_examples: int, batch_size: int, epochs: int,
                     noise_multiplier: float) -> PrivacyAccounting:
    """The accounting of one finished DP-SGD run trained with `noise_multiplier` under `dp`."""
    rate, steps = sampling_rate_and_steps(n_examples, batch_size=batch_size, epochs=epochs)
    accounting = compute_epsilon(noise_multiplier=noise_multiplier, sampling_rate=rate, steps=steps,
                                 delta=dp.resolved_delta(n_examples), n_examples=n_examples,
                                 clip_norm=dp.clip_norm, target_epsilon=dp.target_epsilon,
                                 batch_size=min(batch_size, n_examples), epochs=epochs)
    statement = SAMPLING_POISSON if dp.sampling == POISSON else SAMPLING_SHUFFLED
    return dataclasses.replace(accounting, sampling_assumption=statement)
