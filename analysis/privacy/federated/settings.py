"""The settings of one federated or centralized run, validated on construction, and the cancel error.

Kept apart from the results so the model, client and simulation modules can import the settings
without pulling in the result dataclasses (and their package versions lookup).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from analysis.privacy.dp import DPConfig
from analysis.privacy.training import TrainingCancelled
from analysis.results import Result

STRATEGIES = ("fedavg", "dp-fedavg")
DEFAULT_ATTACKS = ("loss", "loss_per_class")  # the DP trade-off's attacks (threshold family)
MODES = ("centralized", "federated")
DEFAULT_NOISE_MULTIPLIER = 1.0


class FederatedCancelled(TrainingCancelled):
    """Raised when `cancel()` returned True; the run stops after the round in progress."""


@dataclass(frozen=True)
class FederatedSettings(Result):
    """Every knob of one run (centralized or federated). Validated on construction."""

    strategy: str = "fedavg"          # "fedavg", "dp-fedavg" or "centralized"
    clients: int = 10
    rounds: int = 5
    partition: str = "iid"            # "iid" or the name of a column (non-IID)
    clients_per_round: Optional[int] = None   # None: every client every round
    local_epochs: int = 2
    batch_size: int = 64
    learning_rate: float = 1e-3
    hidden: tuple[int, ...] = (64, 32)
    max_categories: int = 20
    clip_norm: float = 1.0            # DP-FedAvg: L2 clip of each client's update
    noise_multiplier: Optional[float] = None  # DP-FedAvg: None -> from target_epsilon, or the default 1.0
    target_epsilon: Optional[float] = None    # DP-FedAvg: client-level epsilon to calibrate to
    delta: Optional[float] = None     # client-level delta; None -> min(1/(10 K), 1e-5)
    client_dp: Optional[DPConfig] = None      # DP-SGD inside each client (sample-level)
    test_size: float = 0.5           # held-out share; 0.5 = the DP trade-off's member_share split
    max_rows: Optional[int] = None    # subsample the table first (speed)
    audit_rows: int = 5000            # members and non-members each (at most), for the attacks
    attacks: tuple[str, ...] = DEFAULT_ATTACKS
    seed: int = 0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES + ("centralized",):
            raise ValueError(f"strategy must be one of {STRATEGIES + ('centralized',)}, got {self.strategy!r}")
        for name in ("clients", "rounds", "local_epochs", "batch_size", "max_categories", "audit_rows"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.clients_per_round is not None and not 1 <= self.clients_per_round <= self.clients:
            raise ValueError(f"clients_per_round must be in [1, clients={self.clients}], "
                             f"got {self.clients_per_round!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if not self.hidden or any(int(h) < 1 for h in self.hidden):
            raise ValueError(f"hidden must be positive widths, got {self.hidden!r}")
        if not self.clip_norm > 0:
            raise ValueError(f"clip_norm must be > 0, got {self.clip_norm!r}")
        if self.noise_multiplier is not None and not self.noise_multiplier >= 0:
            raise ValueError(f"noise_multiplier must be >= 0, got {self.noise_multiplier!r}")
        if self.target_epsilon is not None and not (self.target_epsilon > 0 and math.isfinite(self.target_epsilon)):
            raise ValueError(f"target_epsilon must be a positive finite number, got {self.target_epsilon!r}")
        if self.delta is not None and not 0 < self.delta < 1:
            raise ValueError(f"delta must be in (0, 1), got {self.delta!r}")
        if not 0 < self.test_size < 1:
            raise ValueError(f"test_size must be in (0, 1), got {self.test_size!r}")
        if self.max_rows is not None and self.max_rows < 10:
            raise ValueError(f"max_rows must be >= 10 (or None), got {self.max_rows!r}")
        if not isinstance(self.partition, str) or not self.partition:
            raise ValueError(f"partition must be 'iid' or a column name, got {self.partition!r}")

    @property
    def per_round(self) -> int:
        return self.clients if self.clients_per_round is None else int(self.clients_per_round)

    @property
    def dp_enabled(self) -> bool:
        return self.strategy == "dp-fedavg"


def _settings(strategy: str, kwargs: dict) -> FederatedSettings:
    """Settings from the entry points' keyword arguments: sequences to tuples, None -> the default."""
    if "hidden" in kwargs and kwargs["hidden"] is not None:
        kwargs["hidden"] = tuple(int(h) for h in kwargs["hidden"])
    if "attacks" in kwargs and kwargs["attacks"] is not None:
        kwargs["attacks"] = tuple(kwargs["attacks"])
    return FederatedSettings(strategy=strategy, **{k: v for k, v in kwargs.items() if v is not None})
