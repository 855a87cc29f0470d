"""The model and the local training loop, shared by the centralized baseline and the Flower clients.

The model is the DP trade-off's Keras MLP (`analysis.models.keras_tabular`), so federated and DP-SGD
rows of the privacy-utility table compare the same architecture.
"""

from __future__ import annotations

import math
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from analysis.privacy.federated.partition import _Prepared

# TensorFlow's seed is process-wide: DP-SGD training, which draws its noise from it, seeds and trains
# under this lock, so two runs in one process cannot reseed each other mid-way.
_GLOBAL_SEED_LOCK = threading.Lock()
MEAN_LOSS = "mean_loss"


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


def _build_model(spec: _ModelSpec, *, dp_noise: Optional[float] = None, dp_clip: Optional[float] = None,
                 summed_loss: bool = False):
    """The DP trade-off's MLP, compiled with Adam; with `dp_noise`, the same layers under DP-SGD.
    `summed_loss`: Poisson batches vary in size, so the loss is summed (as `training.fit_keras` does) and
    the mean cross-entropy is tracked as the metric `mean_loss`."""
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
    reduction = tf.keras.losses.Reduction.SUM if summed_loss else tf.keras.losses.Reduction.AUTO
    metrics = ["accuracy"] + ([tf.keras.metrics.SparseCategoricalCrossentropy(name=MEAN_LOSS)] if summed_loss else [])
    model.compile(optimizer=tf.keras.optimizers.Adam(spec.learning_rate),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(reduction=reduction), metrics=metrics,
                  jit_compile=False)
    return model


class ModelCache:
    """One run's compiled non-DP models, one per spec, reused across that run's rounds and clients.

    A run owns its cache (the centralized run creates one; a Flower client process keeps one per run),
    so no two runs ever train the same model object. On reuse the Adam state is zeroed, which is exactly
    a fresh Adam, so results equal a new model's while Keras keeps the traced training step (no
    retracing per client and round). The lock makes set-weights, fit, get-weights one step per cache.
    """

    def __init__(self) -> None:
        self._models: dict[_ModelSpec, Any] = {}
        self.lock = threading.Lock()

    def model(self, spec: _ModelSpec):
        import tensorflow as tf

        model = self._models.get(spec)
        if model is None:
            model = self._models[spec] = _build_model(spec)
        else:
            for variable in model.optimizer.variables:
                variable.assign(tf.zeros_like(variable))
        return model


def _initial_weights(spec: _ModelSpec) -> list[np.ndarray]:
    """Keras's default initialisation of the MLP after `set_random_seed(spec.seed)`, without reading
    any process-wide RNG, so a run started beside another starts from the same weights as alone.

    Seeded that way, Keras draws each Glorot-uniform kernel's seed with `random.randint(1, 1e9)` in
    layer order (biases are zeros); a private `random.Random(seed)` replays those draws exactly.
    """
    import random

    import tensorflow as tf

    draws = random.Random(int(spec.seed))
    weights = []
    for shape in (tuple(w.shape) for w in _build_model(spec).weights):  # the model only gives the shapes
        if len(shape) == 2:
            init = tf.keras.initializers.GlorotUniform(seed=draws.randint(1, int(1e9)))
            weights.append(np.asarray(init(shape), dtype=np.float32))
        elif len(shape) == 1:
            weights.append(np.zeros(shape, dtype=np.float32))
        else:  # pragma: no cover - build_mlp_layers makes Dense layers only
            raise ValueError(f"no initialiser for a weight of shape {shape}")
    return weights


def _local_fit(spec: _ModelSpec, weights: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray, *, seed: int,
               models: ModelCache, dp_noise: Optional[float] = None, dp_clip: Optional[float] = None,
               dp_poisson: bool = True) -> tuple[list[np.ndarray], float]:
    """Train from `weights` for `spec.local_epochs` epochs with a fresh Adam; return (weights, last loss).

    `models` is the calling run's cache. Batches follow a seeded NumPy permutation per epoch, so the
    same seed gives the same batches in this process and in a Ray actor; non-DP training draws no
    other randomness. DP-SGD (`dp_noise`) with `dp_poisson` (the default, what the sample-level
    accountant assumes) draws local_epochs * ceil(n / batch) Poisson-subsampled batches instead
    (`training.poisson_batches`: each row enters each step with probability batch / n).
    """
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    batch = min(int(spec.batch_size), len(x))
    if dp_noise is not None and dp_poisson:
        from analysis.privacy.training import poisson_batches

        steps = int(spec.local_epochs) * math.ceil(len(x) / batch)
        dataset = poisson_batches(x.astype(np.float32), y, batch_size=batch, steps=steps, seed=seed)
        with _GLOBAL_SEED_LOCK:
            tf.keras.utils.set_random_seed(int(seed))
            model = _build_model(spec, dp_noise=dp_noise, dp_clip=dp_clip, summed_loss=True)
            return _fit(model, [np.asarray(w, dtype=np.float32) for w in weights], dataset, steps=steps)
    dataset = None
    for _ in range(spec.local_epochs):  # one batched piece per epoch: a short last batch stays per epoch
        order = rng.permutation(len(x))
        piece = tf.data.Dataset.from_tensor_slices((x[order].astype(np.float32), y[order])).batch(batch)
        dataset = piece if dataset is None else dataset.concatenate(piece)
    start = [np.asarray(w, dtype=np.float32) for w in weights]
    if dp_noise is None:
        with models.lock:
            model = models.model(spec)
            return _fit(model, start, dataset)
    # DP-SGD draws noise inside the traced step from TensorFlow's global seed: a fresh model, seeded by
    # `seed`, trained while no other run can reseed.
    with _GLOBAL_SEED_LOCK:
        tf.keras.utils.set_random_seed(int(seed))
        model = _build_model(spec, dp_noise=dp_noise, dp_clip=dp_clip)
        return _fit(model, start, dataset)


def _fit(model, weights: list[np.ndarray], dataset, steps: Optional[int] = None) -> tuple[list[np.ndarray], float]:
    model.set_weights(weights)
    # one call: the function is traced once per round; `steps` for the (repeating) Poisson batches
    history = model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
    loss = float(history.history.get(MEAN_LOSS, history.history["loss"])[-1])  # mean over this round's batches
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
