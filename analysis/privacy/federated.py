"""Federated learning beside centralized training: FedAvg and DP-FedAvg in a Flower simulation.

What runs
- The loaded table is split into train/test rows (stratified by the label). The training rows are
  partitioned across K simulated clients (`partition_rows`): IID (a seeded random split), or by the
  values of a column (non-IID: each client holds rows with few values of that column).
- The model is the DP trade-off's Keras MLP (`analysis.models.keras_tabular.build_mlp_layers`) over
  the same preprocessing (`TabularPreprocessor`). **Simulation shortcut:** the preprocessor (category
  vocabularies, medians, means, standard deviations) is fitted once on the union of the clients'
  training rows and shared with every client. A real deployment would agree these statistics up
  front or compute them with federated analytics; they are aggregate statistics outside the DP
  guarantee below.
- Flower 1.23's simulation engine (`flwr.simulation.run_simulation`, ServerApp + ClientApp) runs the
  clients as Ray actors on this machine, CPU only. Ray is kept small (2 CPUs, 1 per client actor, a
  100 MB object store, no dashboard, worker logs not forwarded), started in its own temporary
  directory and shut down after the run; stray Ray processes of the run are ended by pid. Flower and
  Ray log lines are captured into the result (`log_tail`), not printed.
- Strategies are composed, not flagged: `FedAvg`, and DP-FedAvg = Flower's
  `DifferentialPrivacyServerSideFixedClipping(FedAvg(...))` (clip each client's update to `clip_norm`,
  average, add Gaussian noise of std `noise_multiplier * clip_norm / clients_per_round`). Under DP the
  clients report one example each, so the average is unweighted, as the DP analysis assumes.
- Each round the server evaluates the global model on the held-out rows (utility per round). The
  final model goes through the membership-inference attacks (`analysis.attacks.audit.run_audit`,
  threshold family: members = training rows, non-members = held-out rows).
- Client-level epsilon: `analysis.privacy.federated_accounting.client_level_epsilon` (dp_accounting;
  Flower computes none). Optional DP-SGD inside each client (`client_dp=DPConfig(...)`) adds a
  sample-level epsilon, reported separately (`sample_epsilon`).
- `run_centralized` trains the same model on the pooled training rows for the same number of epochs
  (one "round" = `local_epochs` epochs, the Adam state restarted each round exactly as a single
  federated client's is), so FedAvg with one client and one round equals it up to float round-off.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import queue
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np
import pandas as pd

from analysis.privacy.dp import DPConfig
from analysis.privacy.federated_accounting import (
    ClientPrivacyAccounting, calibrate_client_noise, client_level_epsilon, default_client_delta)
from analysis.privacy.training import TrainingCancelled
from analysis.progress import ProgressCallback, report, scaled
from analysis.results import Result, package_versions

STRATEGIES = ("fedavg", "dp-fedavg")
DEFAULT_ATTACKS = ("loss", "loss_per_class")  # the DP trade-off's attacks (threshold family)
MODES = ("centralized", "federated")
RAY_NUM_CPUS = 2
CLIENT_NUM_CPUS = 1
RAY_OBJECT_STORE_BYTES = 100 * 1024 * 1024
RAY_TEMP_PREFIX = "pad-ray-"
DEFAULT_NOISE_MULTIPLIER = 1.0
_LOG_TAIL = 40
_MISSING = "__missing__"
RAY_DIRS_STARTED: list[str] = []  # temp dirs of the Ray instances this process started (for checks)
_RUN_LOCK = threading.Lock()  # one Ray per process: concurrent runs (dashboard sessions) take turns


class FederatedCancelled(TrainingCancelled):
    """Raised when `cancel()` returned True; the run stops after the round in progress."""


# --------------------------------------------------------------------------------------------
# Settings and results


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
        """The attack with the highest TPR at 1% FPR (then AUC), or None without attacks."""
        if not self.attacks:
            return None
        return max(self.attacks, key=lambda a: (a.tpr_at_fpr.get("0.01", 0.0), a.auc))

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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def tradeoff_rows(runs: Sequence[FederatedResult]) -> list[dict[str, Any]]:
    """Rows for the privacy-utility table, in its column names (analysis.tradeoff.TradeoffResult.table).

    "epsilon (RDP)" / "epsilon (PLD)" stay sample-level (DP-SGD inside the clients, None otherwise), as
    for the DP-SGD rows; the client-level epsilon of DP-FedAvg goes in its own "client epsilon" column.
    """
    rows = []
    for r in runs:
        best = r.strongest_attack()
        sample, client = r.sample_privacy, r.client_privacy
        rows.append({
            "model": (f"{r.name} ({r.clients} clients, {_plural(r.rounds, 'round')})" if r.mode == "federated"
                      else f"{r.name} ({_plural(r.rounds, 'round')})"),
            "mode": r.mode, "client epsilon": client.epsilon if client else None,
            "client epsilon (PLD)": client.pld_epsilon if client else None,
            "epsilon (RDP)": sample.epsilon if sample else None,
            "epsilon (PLD)": getattr(sample, "pld_epsilon", None) if sample else None,
            "noise multiplier": client.noise_multiplier if client else None,
            "accuracy": r.accuracy_score, "ROC AUC": r.roc_auc_score, "F1": r.f1_score,
            "TPR @ 0.1% FPR": best.tpr_at_fpr.get("0.001") if best else None,
            "TPR @ 1% FPR": best.tpr_at_fpr.get("0.01") if best else None,
            "attack AUC": best.auc if best else None, "train s": r.seconds})
    return rows


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


# --------------------------------------------------------------------------------------------
# Data: split, preprocessing, partitioning


@dataclass
class _Prepared:
    train: pd.DataFrame
    test: pd.DataFrame
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    preprocessor: Any
    classes: np.ndarray


def _label_values(series: pd.Series) -> np.ndarray:
    values = series.to_numpy()
    return values.astype(str) if values.dtype.kind in "OUT" or str(series.dtype) in ("str", "string") else values


def _encode(classes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    lookup = {v: i for i, v in enumerate(classes.tolist())}
    return np.fromiter((lookup[v] for v in labels.tolist()), dtype=np.int64, count=len(labels))


def _prepare(frame: pd.DataFrame, label: str, settings: FederatedSettings) -> _Prepared:
    from analysis.models.keras_tabular import TabularPreprocessor

    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if label not in frame.columns:
        raise ValueError(f"label {label!r} is not a column of the data ({', '.join(map(str, frame.columns))})")
    if settings.partition != "iid" and settings.partition not in frame.columns:
        raise ValueError(f"partition must be 'iid' or a column of the data, got {settings.partition!r}")
    if frame.shape[1] < 2:
        raise ValueError("the data needs at least one feature column besides the label")
    data = frame[frame[label].notna()].reset_index(drop=True)
    if settings.max_rows is not None and len(data) > settings.max_rows:
        data = data.sample(n=settings.max_rows, random_state=settings.seed).reset_index(drop=True)
    labels = _label_values(data[label])
    classes = np.unique(labels)
    if len(classes) < 2:
        raise ValueError(f"label {label!r} needs at least 2 classes, got {classes.tolist()}")
    # The DP trade-off's split (analysis.tradeoff.split_for_seed): a seeded permutation, members first.
    order = np.random.default_rng(settings.seed).permutation(len(data))
    n_train = int(round((1.0 - settings.test_size) * len(data)))
    train = data.iloc[np.sort(order[:n_train])].reset_index(drop=True)
    test = data.iloc[np.sort(order[n_train:])].reset_index(drop=True)
    if len(train) < 2 * settings.clients:
        raise ValueError(f"clients={settings.clients} needs at least {2 * settings.clients} training rows, "
                         f"the data gives {len(train)}")
    if len(test) < 2:
        raise ValueError(f"test_size={settings.test_size} leaves {len(test)} held-out rows; need at least 2")
    features = [c for c in data.columns if c != label]
    preprocessor = TabularPreprocessor(max_categories=settings.max_categories).fit(train[features])
    y_train = _encode(classes, _label_values(train[label]))
    y_test = _encode(classes, _label_values(test[label]))
    return _Prepared(train=train, test=test, x_train=preprocessor.transform(train[features]), y_train=y_train,
                     x_test=preprocessor.transform(test[features]), y_test=y_test,
                     preprocessor=preprocessor, classes=classes)


def partition_rows(frame: pd.DataFrame, *, clients: int, by: str = "iid", seed: int = 0) -> list[np.ndarray]:
    """Split the rows of `frame` across `clients`: positional row indices per client, each sorted.

    by="iid": a seeded random permutation cut into near-equal parts.
    by=<column> (non-IID):
    - a numeric column with more distinct values than clients: rows sorted by the value and cut into
      contiguous near-equal ranges (client 0 holds the smallest values);
    - otherwise (categories, or few numbers): every value's rows stay together. With at least as many
      values as clients, values are dealt largest first to the client with the fewest rows; with fewer
      values than clients, each value gets clients in proportion to its rows (at least one) and its rows
      are split evenly among them, so every client holds a single value. Missing is a value of its own.
    Raises ValueError when a client would get fewer than 2 rows.
    """
    if not isinstance(clients, (int, np.integer)) or clients < 1:
        raise ValueError(f"clients must be an integer >= 1, got {clients!r}")
    n = len(frame)
    if n < 2 * clients:
        raise ValueError(f"clients={clients} needs at least {2 * clients} rows, got {n}")
    rng = np.random.default_rng(seed)
    if by == "iid":
        parts = np.array_split(rng.permutation(n), clients)
    else:
        if by not in frame.columns:
            raise ValueError(f"partition must be 'iid' or a column of the data, got {by!r}")
        series = frame[by]
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if numeric and series.nunique(dropna=True) > clients:
            values = series.astype("float64").to_numpy()
            tiebreak = rng.permutation(n)
            order = np.lexsort((tiebreak, np.where(np.isnan(values), np.inf, values)))
            parts = np.array_split(order, clients)
        else:
            parts = _partition_by_value(series, clients, rng)
    parts = [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]
    small = [i for i, p in enumerate(parts) if len(p) < 2]
    if small:
        raise ValueError(f"partition {by!r} leaves client(s) {small} with fewer than 2 rows; "
                         f"use fewer clients or partition='iid'")
    return parts


def _partition_by_value(series: pd.Series, clients: int, rng: np.random.Generator) -> list[np.ndarray]:
    tokens = series.astype(object).where(series.notna(), _MISSING).astype(str).to_numpy()
    values, inverse, counts = np.unique(tokens, return_inverse=True, return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (-counts[i], values[i]))
    groups = {i: rng.permutation(np.flatnonzero(inverse == i)) for i in order}
    if len(values) >= clients:
        parts: list[list[int]] = [[] for _ in range(clients)]
        for i in order:
            target = min(range(clients), key=lambda c: (len(parts[c]), c))
            parts[target].extend(groups[i].tolist())
        return [np.asarray(p) for p in parts]
    seats = {i: 1 for i in order}
    for _ in range(clients - len(values)):
        best = max(order, key=lambda i: (counts[i] / (seats[i] + 1), -order.index(i)))
        seats[best] += 1
    result: list[np.ndarray] = []
    for i in order:
        result.extend(np.array_split(groups[i], seats[i]))
    return result


# --------------------------------------------------------------------------------------------
# The model and the local training loop (shared by the centralized baseline and the clients)


@dataclass(frozen=True)
class _ModelSpec:
    n_inputs: int
    n_classes: int
    hidden: tuple[int, ...]
    learning_rate: float
    batch_size: int
    local_epochs: int
    seed: int


def _round_seed(seed: int, client: int, server_round: int) -> int:
    """The seed of one client's local training in one round (client 0 = the centralized run)."""
    return int(np.random.SeedSequence([int(seed), int(client), int(server_round)]).generate_state(1)[0])


def _build_model(spec: _ModelSpec, *, dp_noise: Optional[float] = None, dp_clip: Optional[float] = None):
    """The DP trade-off's MLP, compiled with Adam; with `dp_noise`, the same layers under DP-SGD."""
    import tensorflow as tf

    from analysis.models.keras_tabular import build_mlp_layers

    # Keras 2 seeds its initializers with random.randint(1, 1e9): a DeprecationWarning, not ours to fix.
    warnings.filterwarnings("ignore", message="non-integer arguments to randrange", category=DeprecationWarning)
    layers = [tf.keras.layers.InputLayer(input_shape=(spec.n_inputs,), dtype="float32")]
    layers += list(build_mlp_layers(spec.n_inputs, spec.n_classes, spec.hidden))
    if dp_noise is None:
        model = tf.keras.Sequential(layers)
    else:
        from tensorflow_privacy.privacy.fast_gradient_clipping import layer_registry
        from tensorflow_privacy.privacy.keras_models.dp_keras_model import DPSequential

        model = DPSequential(l2_norm_clip=float(dp_clip), noise_multiplier=float(dp_noise), num_microbatches=None,
                             use_xla=False, layer_registry=layer_registry.make_default_layer_registry(),
                             layers=layers)
    # A loss object, not a name: tensorflow-privacy's fast clipping reads `model.loss.reduction`.
    model.compile(optimizer=tf.keras.optimizers.Adam(spec.learning_rate),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"], jit_compile=False)
    return model


_MODELS: dict[_ModelSpec, Any] = {}


def _reusable_model(spec: _ModelSpec):
    """One compiled model per spec and process, its Adam state zeroed on every reuse.

    Zeroed Adam (iterations, first and second moments) is exactly a fresh Adam, so results equal a new
    model's, while Keras keeps the traced training step: no retracing per client and round.
    """
    import tensorflow as tf

    model = _MODELS.get(spec)
    if model is None:
        model = _MODELS[spec] = _build_model(spec)
    else:
        for variable in model.optimizer.variables:
            variable.assign(tf.zeros_like(variable))
    return model


def _initial_weights(spec: _ModelSpec) -> list[np.ndarray]:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(int(spec.seed))
    return [np.asarray(w) for w in _build_model(spec).get_weights()]


def _local_fit(spec: _ModelSpec, weights: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray, *, seed: int,
               dp_noise: Optional[float] = None, dp_clip: Optional[float] = None) -> tuple[list[np.ndarray], float]:
    """Train from `weights` for `spec.local_epochs` epochs with a fresh Adam; return (weights, last loss).

    Batches follow a seeded NumPy permutation per epoch, so the same seed gives the same batches in
    this process and in a Ray actor.
    """
    import tensorflow as tf

    tf.keras.utils.set_random_seed(int(seed))
    if dp_noise is None:
        model = _reusable_model(spec)
    else:  # DP-SGD draws noise inside the traced step: a fresh model keeps it seeded by `seed`
        model = _build_model(spec, dp_noise=dp_noise, dp_clip=dp_clip)
    model.set_weights([np.asarray(w, dtype=np.float32) for w in weights])
    rng = np.random.default_rng(seed)
    batch = min(int(spec.batch_size), len(x))
    dataset = None
    for _ in range(spec.local_epochs):  # one batched piece per epoch: a short last batch stays per epoch
        order = rng.permutation(len(x))
        piece = tf.data.Dataset.from_tensor_slices((x[order].astype(np.float32), y[order])).batch(batch)
        dataset = piece if dataset is None else dataset.concatenate(piece)
    history = model.fit(dataset, epochs=1, verbose=0)  # one call: the function is traced once per round
    loss = float(history.history["loss"][-1])  # mean over this round's batches
    return [np.asarray(w) for w in model.get_weights()], loss


class _Evaluator:
    """Held-out utility of a weight vector (one Keras model reused; safe to call from one thread)."""

    def __init__(self, spec: _ModelSpec, data: _Prepared, seed: int, train_rows: int = 2000):
        self.spec = spec
        self.data = data
        rng = np.random.default_rng(seed)
        n = len(data.x_train)
        self.train_index = rng.choice(n, size=min(n, train_rows), replace=False)
        self._model = None

    def model(self, weights):
        if self._model is None:
            self._model = _build_model(self.spec)
        self._model.set_weights([np.asarray(w, dtype=np.float32) for w in weights])
        return self._model

    def proba(self, weights, x: np.ndarray) -> np.ndarray:
        model = self.model(weights)
        out = np.concatenate([np.asarray(model(x[i:i + 8192], training=False)) for i in range(0, len(x), 8192)])
        out = out.astype(np.float64)
        return out / out.sum(axis=1, keepdims=True)

    def metrics(self, weights) -> dict[str, float]:
        proba = self.proba(weights, self.data.x_test)
        y = self.data.y_test
        p_true = np.clip(proba[np.arange(len(y)), y], 1e-12, 1.0)
        train_proba = self.proba(weights, self.data.x_train[self.train_index])
        train_y = self.data.y_train[self.train_index]
        pred = proba.argmax(axis=1)
        recalls = [float(np.mean(pred[y == c] == c)) for c in np.unique(y)]
        return {"accuracy_score": float(np.mean(pred == y)), "roc_auc_score": _roc_auc(y, proba),
                "f1_score": _f1(y, pred, proba.shape[1]),
                "balanced_accuracy_score": float(np.mean(recalls)),
                "log_loss": float(-np.mean(np.log(p_true))),
                "train_accuracy_score": float(np.mean(train_proba.argmax(axis=1) == train_y))}


def _roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    """ROC AUC of the held-out predictions (binary: class 1; multiclass: one-vs-rest macro)."""
    from sklearn.metrics import roc_auc_score

    try:
        if proba.shape[1] == 2:
            return float(roc_auc_score(y == 1, proba[:, 1]))
        return float(roc_auc_score(y, proba, multi_class="ovr", labels=list(range(proba.shape[1]))))
    except ValueError:  # a class absent from the held-out rows
        return math.nan


def _f1(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    """F1 as the DP trade-off reports it: of class 1 when binary, macro otherwise."""
    from sklearn.metrics import f1_score

    if n_classes == 2:
        return float(f1_score(y == 1, pred == 1, zero_division=0))
    return float(f1_score(y, pred, average="macro", zero_division=0))


def _fitted_model(preprocessor, classes, spec: _ModelSpec, weights):
    """The final weights as a FittedModel over raw feature columns (the DP trade-off's wrapper)."""
    from analysis.models.keras_tabular import KerasTabularModel

    class FederatedKerasModel(KerasTabularModel):
        def __init__(self):  # noqa: D401 - a KerasTabularModel without a KerasTrainingResult
            self.preprocessor = preprocessor
            self.classes_ = np.asarray(classes)
            self.training = None
            self.model = _build_model(spec)
            self.model.set_weights([np.asarray(w, dtype=np.float32) for w in weights])

        @property
        def privacy(self):
            return None

    return FederatedKerasModel()


# --------------------------------------------------------------------------------------------
# The Flower client (runs inside a Ray actor)


@dataclass(frozen=True)
class _ClientSpec:
    model: _ModelSpec
    data_dir: str
    uniform_weights: bool                     # DP-FedAvg: unweighted average
    dp_noise: Optional[tuple[float, ...]]     # DP-SGD noise multiplier per client, or None
    dp_clip: Optional[float]


@functools.lru_cache(maxsize=8)
def _client_data(data_dir: str, partition_id: int) -> tuple[np.ndarray, np.ndarray]:
    with np.load(Path(data_dir) / f"client_{partition_id}.npz") as f:
        return f["x"], f["y"]


def _client_fn(spec: _ClientSpec, context):
    from flwr.client import NumPyClient

    partition_id = int(context.node_config["partition-id"])

    class Client(NumPyClient):
        def fit(self, parameters, config):
            server_round = int(config.get("server_round", 1))
            x, y = _client_data(spec.data_dir, partition_id)
            noise = spec.dp_noise[partition_id] if spec.dp_noise is not None else None
            weights, loss = _local_fit(spec.model, parameters, x, y,
                                       seed=_round_seed(spec.model.seed, partition_id, server_round),
                                       dp_noise=noise, dp_clip=spec.dp_clip)
            n = 1 if spec.uniform_weights else len(x)
            return weights, n, {"loss": loss, "n_examples": int(len(x))}

        def evaluate(self, parameters, config):  # evaluation is centralized on the server
            return 0.0, 1, {}

    return Client().to_client()


def _fit_config(server_round: int) -> dict:
    return {"server_round": server_round}


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
                self.failures.extend(f"{type(f).__name__}: {f}" if isinstance(f, BaseException)
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


# --------------------------------------------------------------------------------------------
# Ray and log hygiene


_ACTIVE_CAPTURES: list[logging.Handler] = []


class _LogCapture(logging.Handler):
    def __init__(self, keep: int = 400):
        super().__init__(level=logging.INFO)
        self.lines: deque[str] = deque(maxlen=keep)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if str(record.getMessage()).strip():
                self.lines.append(self.format(record).replace("\x1b", "")[:500])
        except Exception:  # pragma: no cover - never let logging break a run
            pass


@contextlib.contextmanager
def _captured_logs():
    """Route the flwr and ray loggers (and Python warnings) into a buffer for the block."""
    capture = _LogCapture()
    saved = []
    # "ray._private" too: ray.init(configure_logging=False) clears the "ray" logger's handlers, and its
    # own warnings (e.g. about signal handlers off the main thread) come from ray._private.* loggers.
    for name in ("flwr", "ray", "ray._private"):
        logger = logging.getLogger(name)
        saved.append((logger, list(logger.handlers), logger.propagate, logger.level))
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.addHandler(capture)
        logger.propagate = False
        if name == "flwr":
            logger.setLevel(logging.INFO)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _ACTIVE_CAPTURES.append(capture)
        try:
            yield capture
        finally:
            _ACTIVE_CAPTURES.remove(capture)
            for w in caught:
                if issubclass(w.category, ResourceWarning):
                    continue
                capture.lines.append(f"WARNING python: {w.category.__name__}: {str(w.message)[:300]}")
            for logger, handlers, propagate, level in saved:
                logger.removeHandler(capture)
                for handler in handlers:
                    logger.addHandler(handler)
                logger.propagate = propagate
                logger.setLevel(level)


def ray_processes(marker: str = RAY_TEMP_PREFIX) -> list[int]:
    """Pids of live processes of a run: `marker` (its Ray temp dir) in the command line (raylet,
    gcs_server, helpers) or in the environment (workers and actors, which rename their command line
    to "ray::..." but carry the run's PAD_RAY_DIR variable). Linux /proc only."""
    pids = []
    me = os.getpid()
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            status = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            if status and status[0] == "Z":
                continue
            found = needle in (entry / "cmdline").read_bytes()
            if not found:
                found = needle in (entry / "environ").read_bytes()
        except OSError:
            continue
        if found:
            pids.append(int(entry.name))
    return pids


def _end_stragglers(marker: str, timeout: float = 15.0) -> list[int]:
    """After ray.shutdown: wait for this run's Ray processes to exit, then end the rest by pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not ray_processes(marker):
            return []
        time.sleep(0.2)
    ended = ray_processes(marker)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in ray_processes(marker):
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        time.sleep(1.0)
    return ended


def _telemetry_off() -> None:
    """Flower reads FLWR_TELEMETRY_ENABLED when first imported; force it off even if flwr came first."""
    import flwr.common.telemetry as telemetry

    telemetry.FLWR_TELEMETRY_ENABLED = "0"


@contextlib.contextmanager
def _small_ray():
    """A private local Ray for one simulation: own temp dir, small, quiet; shut down afterwards."""
    import ray

    if ray.is_initialized():
        raise RuntimeError("Ray is already running in this process; the federated simulation starts "
                           "and stops its own small Ray instance (call ray.shutdown() first)")
    temp_dir = tempfile.mkdtemp(prefix=RAY_TEMP_PREFIX, dir="/tmp")
    RAY_DIRS_STARTED.append(temp_dir)
    env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "FLWR_TELEMETRY_ENABLED": "0",
           "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1",
           "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
           "RAY_USAGE_STATS_ENABLED": "0", "RAY_DEDUP_LOGS": "0", "PAD_RAY_DIR": temp_dir}
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray.init(address="local", num_cpus=min(RAY_NUM_CPUS, os.cpu_count() or 1), num_gpus=0,
                 include_dashboard=False, object_store_memory=RAY_OBJECT_STORE_BYTES, log_to_driver=False,
                 logging_level=logging.WARNING, configure_logging=False, _temp_dir=temp_dir,
                 runtime_env={"env_vars": env})
        for capture in _ACTIVE_CAPTURES:  # ray.init dropped the "ray" logger's handlers
            logging.getLogger("ray").addHandler(capture)
        yield temp_dir
    finally:
        with contextlib.suppress(Exception):
            ray.shutdown()
        _end_stragglers(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


@contextlib.contextmanager
def _seeded_globals(seed: int):
    """Flower samples clients with `random` and draws DP noise with `np.random`: seed both, then restore."""
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


# --------------------------------------------------------------------------------------------
# Public entry points


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
    DP-SGD runs rounds * local_epochs epochs over its own rows.
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


def _audit(model, data: _Prepared, label: str, settings: FederatedSettings, progress) -> tuple[list, list[str]]:
    from analysis.attacks.audit import run_audit

    n = min(settings.audit_rows, len(data.train), len(data.test))
    members = data.train.sample(n=n, random_state=settings.seed).reset_index(drop=True)
    non_members = data.test.sample(n=n, random_state=settings.seed).reset_index(drop=True)
    audit = run_audit(model, members, non_members, label, attacks=settings.attacks, seed=settings.seed,
                      progress=progress)
    return list(audit.attacks), list(audit.warnings)


def _settings(strategy: str, kwargs: dict) -> FederatedSettings:
    if "hidden" in kwargs and kwargs["hidden"] is not None:
        kwargs["hidden"] = tuple(int(h) for h in kwargs["hidden"])
    if "attacks" in kwargs and kwargs["attacks"] is not None:
        kwargs["attacks"] = tuple(kwargs["attacks"])
    return FederatedSettings(strategy=strategy, **{k: v for k, v in kwargs.items() if v is not None})


def run_federated(frame: pd.DataFrame, label: str, *, clients: int = 10, rounds: int = 5,
                  strategy: str = "fedavg", partition: str = "iid", clip_norm: float = 1.0,
                  noise_multiplier: Optional[float] = None, target_epsilon: Optional[float] = None,
                  delta: Optional[float] = None, clients_per_round: Optional[int] = None,
                  local_epochs: int = 2, batch_size: int = 64, learning_rate: float = 1e-3,
                  hidden: Sequence[int] = (64, 32), client_dp: Optional[DPConfig] = None,
                  test_size: float = 0.5, max_rows: Optional[int] = None, audit_rows: int = 5000,
                  attacks: Sequence[str] = DEFAULT_ATTACKS, seed: int = 0,
                  progress: Optional[ProgressCallback] = None,
                  cancel: Optional[Callable[[], bool]] = None) -> FederatedResult:
    """Train the tabular MLP with Flower (FedAvg or DP-FedAvg) over `clients` partitions of `frame`.

    frame: raw rows including `label`. strategy: "fedavg" or "dp-fedavg" (server-side fixed clipping:
    `clip_norm`, and `noise_multiplier` or a client-level `target_epsilon`; neither means noise 1.0).
    partition: "iid" or a column name (non-IID, see `partition_rows`). client_dp: DP-SGD inside each
    client (sample-level epsilon). Returns a `FederatedResult` (utility per round, final metrics,
    membership attacks on the final model, client/sample epsilon). Raises FederatedCancelled when
    `cancel()` turns True (checked before every round).
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
    data = _prepare(frame, label, settings)
    parts = partition_rows(data.train, clients=settings.clients, by=settings.partition, seed=settings.seed)
    sizes = [int(len(p)) for p in parts]
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
            np.savez(Path(data_dir) / f"client_{i}.npz", x=data.x_train[index], y=data.y_train[index])
        client_spec = _ClientSpec(model=spec, data_dir=data_dir, uniform_weights=settings.dp_enabled,
                                  dp_noise=sample_noise,
                                  dp_clip=settings.client_dp.clip_norm if settings.client_dp else None)
        from flwr.client import ClientApp
        from flwr.common import ndarrays_to_parameters
        from flwr.server import ServerApp, ServerAppComponents, ServerConfig
        from flwr.server.strategy import DifferentialPrivacyServerSideFixedClipping, FedAvg
        from flwr.simulation import run_simulation
        import ray  # noqa: F401 - imported before the log capture: Ray installs its handlers on import

        _telemetry_off()
        # One simulation at a time per process (one Ray; logger handlers and global RNGs are swapped);
        # the capture comes after the imports, which install Flower's console handler.
        with _RUN_LOCK, _captured_logs() as logs:
            per_round = settings.per_round
            strategy_obj = FedAvg(fraction_fit=per_round / settings.clients, min_fit_clients=per_round,
                                  fraction_evaluate=0.0, min_evaluate_clients=0,
                                  min_available_clients=settings.clients,
                                  initial_parameters=ndarrays_to_parameters(init), evaluate_fn=None,
                                  on_fit_config_fn=_fit_config, accept_failures=False)
            if settings.dp_enabled:
                strategy_obj = DifferentialPrivacyServerSideFixedClipping(
                    strategy_obj, noise_multiplier=client_noise, clipping_norm=settings.clip_norm,
                    num_sampled_clients=per_round)
            recording = _recording_strategy(strategy_obj, evaluate=evaluate, cancel=stop.is_set)
            server_app = ServerApp(server_fn=lambda context: ServerAppComponents(
                strategy=recording, config=ServerConfig(num_rounds=settings.rounds)))
            client_app = ClientApp(client_fn=functools.partial(_client_fn, client_spec))
            crashed: list[BaseException] = []

            def simulate() -> None:
                try:
                    with _seeded_globals(settings.seed), _small_ray():
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
                raise RuntimeError(f"the Flower simulation failed: {crashed[0]}") from crashed[0]
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
                   sample_privacy, log_tail, start, progress, mode="federated")


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
    evaluator = _Evaluator(spec, data, settings.seed)
    history, final = [], {}
    for server_round in range(settings.rounds + 1):
        loss = None
        if server_round > 0:
            if cancel is not None and cancel():
                raise FederatedCancelled(f"centralized training cancelled after {server_round - 1} of "
                                         f"{settings.rounds} rounds")
            weights, loss = _local_fit(spec, weights, data.x_train, data.y_train,
                                       seed=_round_seed(settings.seed, 0, server_round))
        metrics = evaluator.metrics(weights)
        final["weights"], final["metrics"] = weights, metrics
        history.append(RoundMetrics(round=server_round, accuracy_score=metrics["accuracy_score"],
                                    log_loss=metrics["log_loss"], train_accuracy_score=metrics["train_accuracy_score"],
                                    clients_trained=1 if server_round else 0, mean_client_loss=loss))
        report(progress, 0.05 + 0.8 * server_round / settings.rounds,
               f"round {server_round}/{settings.rounds}: accuracy {metrics['accuracy_score']:.3f}")
    return _finish(settings, label, data, spec, final, history, [len(data.train)], None, None, None, [],
                   start, progress, mode="centralized")


def _finish(settings, label, data, spec, final, history, sizes, client_noise, client_privacy, sample_privacy,
            log_tail, start, progress, *, mode: str) -> FederatedResult:
    report(progress, 0.87, "running the membership attacks on the final model")
    model = _fitted_model(data.preprocessor, data.classes, spec, final["weights"])
    attack_results, attack_warnings = _audit(model, data, label, settings, scaled(progress, 0.87, 0.99))
    metrics = final["metrics"]
    warns = list(attack_warnings)
    if client_privacy is not None:
        warns += client_privacy.warnings
    if sample_privacy is not None:
        warns += list(getattr(sample_privacy, "warnings", []))
    if mode == "federated" and settings.partition != "iid":
        warns.append(f"non-IID partition by {settings.partition!r}: client sizes {sizes}")
    report(progress, 1.0, "done")
    return FederatedResult(
        mode=mode, strategy=settings.strategy, label=label,
        clients=settings.clients if mode == "federated" else 1, rounds=settings.rounds,
        partition=settings.partition if mode == "federated" else "pooled", history=history,
        accuracy_score=metrics["accuracy_score"], balanced_accuracy_score=metrics["balanced_accuracy_score"],
        roc_auc_score=metrics["roc_auc_score"], f1_score=metrics["f1_score"],
        log_loss=metrics["log_loss"], train_accuracy_score=metrics["train_accuracy_score"],
        attacks=attack_results, client_epsilon=client_privacy.epsilon if client_privacy else None,
        client_privacy=client_privacy, sample_epsilon=sample_privacy.epsilon if sample_privacy else None,
        sample_privacy=sample_privacy, partition_sizes=sizes, n_train=int(len(data.train)),
        n_test=int(len(data.test)),
        protects=protection_statement(settings.strategy, client_dp_sgd=settings.client_dp is not None),
        settings=settings, seed=settings.seed, seconds=time.perf_counter() - start,
        preprocessing={**data.preprocessor.describe(),
                       "fitted_on": "the union of the clients' training rows (simulation shortcut)"},
        warnings=sorted(set(warns)), log_tail=log_tail).with_model(model)


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


def combined_table(tradeoff, runs: Sequence[FederatedResult]):
    """The DP trade-off table (analysis.tradeoff.TradeoffResult.table()) with the federated runs appended.

    Adds "mode" (centralized / federated) and "client epsilon" columns; "epsilon (RDP)"/"epsilon (PLD)"
    stay sample-level for every row, so the two units never share a column.
    """
    base = tradeoff.table().copy() if tradeoff is not None else pd.DataFrame()
    if not base.empty:
        base.insert(1, "mode", "centralized")
        base["client epsilon"] = None
    extra = pd.DataFrame(tradeoff_rows([r for r in runs if r.mode == "federated"]))
    extra = extra.drop(columns=["client epsilon (PLD)"], errors="ignore")
    return pd.concat([base, extra], ignore_index=True) if not base.empty else extra
