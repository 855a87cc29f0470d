"""What a run returns: utility per round, the final run and the three-way comparison.

`FederatedResult.strongest_attack` uses the project's one rule (`analysis.attacks.metrics.strongest`:
highest TPR at 0.1% FPR, ties by AUC) so federated rows, the DP trade-off and the report agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from analysis.privacy.federated.settings import FederatedSettings
from analysis.privacy.federated_accounting import ClientPrivacyAccounting
from analysis.results import Result, package_versions


@dataclass(frozen=True)
class RoundMetrics(Result):
    """The global model after `round` rounds (round 0 = the initial weights), on held-out rows."""

    round: int
    accuracy_score: float
    log_loss: float
    train_accuracy_score: float
    clients_trained: int = 0
    mean_client_loss: Optional[float] = None


@dataclass(frozen=True)
class FederatedResult(Result):
    """One centralized or federated run: utility per round, final metrics, attacks, privacy.

    client_epsilon: client-level epsilon (DP-FedAvg), None otherwise (no client-level guarantee).
    sample_epsilon: sample-level epsilon of DP-SGD inside the clients, None when clients train
    non-privately. The two are different privacy units and are never added or compared directly.
    `model` (a FittedModel over raw feature columns) is an attribute, not a field: never serialized.
    """

    mode: str
    strategy: str
    label: str
    clients: int
    rounds: int
    partition: str
    history: list[RoundMetrics]
    accuracy_score: float
    balanced_accuracy_score: float
    roc_auc_score: float
    f1_score: float
    log_loss: float
    train_accuracy_score: float
    attacks: list[Any]                       # analysis.attacks.metrics.AttackResult
    client_epsilon: Optional[float]
    client_privacy: Optional[ClientPrivacyAccounting]
    sample_epsilon: Optional[float]
    sample_privacy: Optional[Any]            # analysis.privacy.dp.PrivacyAccounting (worst client)
    partition_sizes: list[int]
    n_train: int
    n_test: int
    protects: str
    settings: FederatedSettings
    seed: int
    seconds: float
    preprocessing: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    canaries: int = 0                        # canary rows in one client's training (in partition_sizes, not n_train)
    canary_client: Optional[int] = None      # the client that holds them
    log_tail: list[str] = field(default_factory=list)
    versions: dict = field(default_factory=package_versions)

    @property
    def model(self):
        """The final model (a FittedModel over raw feature columns); kept outside the dataclass fields so
        no serialization path ever meets it. None on copies made with dataclasses.replace."""
        return self.__dict__.get("_model")

    def with_model(self, model) -> "FederatedResult":
        object.__setattr__(self, "_model", model)
        return self

    @property
    def name(self) -> str:
        return {"centralized": "Centralized", "fedavg": "FedAvg", "dp-fedavg": "DP-FedAvg"}[self.strategy]

    def attack(self, name: str):
        for result in self.attacks:
            if result.name == name:
                return result
        raise KeyError(f"no attack named {name!r} ({[a.name for a in self.attacks]})")

    def strongest_attack(self):
        """The strongest attack by the project's one rule (`analysis.attacks.metrics.strongest`: highest
        TPR at 0.1% FPR, ties by AUC), or None without attacks."""
        from analysis.attacks.metrics import strongest

        return strongest(self.attacks)

    def summary_row(self) -> dict[str, Any]:
        """One flat row for trade-off tables (client- and sample-level epsilon kept apart)."""
        best = self.strongest_attack()
        return {"mode": self.mode, "run": self.name, "clients": self.clients, "rounds": self.rounds,
                "partition": self.partition, "accuracy_score": self.accuracy_score,
                "roc_auc_score": self.roc_auc_score, "f1_score": self.f1_score,
                "client_epsilon": self.client_epsilon, "sample_epsilon": self.sample_epsilon,
                "attack": best.name if best else None, "attack_auc": best.auc if best else None,
                "tpr_at_0.1%_fpr": best.tpr_at_fpr.get("0.001") if best else None,
                "tpr_at_1%_fpr": best.tpr_at_fpr.get("0.01") if best else None}


@dataclass(frozen=True)
class FederatedComparison(Result):
    """Centralized, FedAvg and DP-FedAvg on the same rows, split, model and seed."""

    runs: list[FederatedResult]
    label: str
    seed: int

    def run(self, strategy: str) -> FederatedResult:
        for r in self.runs:
            if r.strategy == strategy:
                return r
        raise KeyError(f"no {strategy!r} run ({[r.strategy for r in self.runs]})")

    def rows(self) -> list[dict[str, Any]]:
        return [r.summary_row() for r in self.runs]


def protection_statement(strategy: str, *, client_dp_sgd: bool = False) -> str:
    """What the setting protects against, and what it does not (one or two sentences)."""
    if strategy == "centralized":
        return ("Centralized training pools every record in one place: it protects nothing by itself; "
                "the membership attacks show what the trained model leaks.")
    base = ("Federated training keeps each holder's raw records on its side and shares only model "
            "updates, so no central copy of the data is needed; ")
    if strategy == "fedavg":
        text = base + ("it does not stop the updates or the final model from revealing whether a "
                       "record or a client took part (the membership attacks run on the final "
                       "model), and the server sees every client's update in the clear.")
    else:
        text = base + ("DP-FedAvg clips each client's update and adds noise to their average, which "
                       "bounds what the released model reveals about any one client's participation "
                       "(client-level epsilon); it does not hide an individual update from the server "
                       "(server-side clipping sees raw updates; no secure aggregation here), nor the "
                       "preprocessing statistics shared with the clients.")
    if client_dp_sgd:
        text += (" DP-SGD inside each client adds a sample-level guarantee for single records "
                 "(sample-level epsilon, a different unit from the client-level one).")
    return text
