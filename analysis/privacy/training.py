"""The one Keras training loop shared by the tabular MLP, the character model and federated clients.

`fit_keras` trains `tf.keras.Sequential(layers_fn())` non-privately, or, with a `DPConfig`, the same
layers inside tensorflow-privacy's `DPSequential` with DP-SGD: per-example clipping (one example per
microbatch) through the default layer registry's fast gradient-norm trick (Dense, Embedding), then
Gaussian noise of std `noise_multiplier * clip_norm` on the summed gradient. The two twins share the
architecture (same `layers_fn`), the optimizer, the data and the seed; only the gradient computation
and the batches differ.

Batches of the DP twin (`DPConfig.sampling`): "poisson" (default) draws every step's batch by Poisson
subsampling, each example independently with probability q = batch_size / n, for ceil(n / batch_size)
steps per epoch, which is what the accountant assumes. Batch sizes vary, so the loss is the *sum* over
the batch (reduction SUM): the noisy clipped sum is never divided by the realised, data-dependent
batch size (Adam is invariant to the gradient's scale, so the step equals dividing by the expected
size). The batches are drawn inside a `tf.data` pipeline whose batch dimension is unknown, so Keras
traces the train step once, for all sizes (no retracing; timing in benchmarks/dp_training.py). The
reported loss is the mean cross-entropy. "shuffled" uses Keras's shuffled fixed-size batches (an
approximation of the accounting, labelled so). The non-private twin always uses shuffled fixed-size
batches.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from analysis.privacy.dp import POISSON, DPConfig, PrivacyAccounting, account_training
from analysis.progress import ProgressCallback, report
from analysis.results import Result, to_jsonable

LOSSES = ("sparse_categorical_crossentropy", "binary_crossentropy")


class TrainingCancelled(Exception):
    """Raised by `fit_keras` when its `cancel` callable returned True during training."""


@dataclass(frozen=True)
class KerasTrainingResult(Result):
    """A trained Keras model plus how it was trained. `to_dict()` leaves the model out.

    history: metric name -> one value per finished epoch (loss, accuracy, val_loss, val_accuracy).
    privacy: the DP accounting, None for non-private training.
    seconds: wall time of `model.fit`; epoch_seconds: per epoch (the first includes tracing/XLA).
    """

    model: Any = field(repr=False, compare=False)
    history: dict[str, list[float]]
    privacy: Optional[PrivacyAccounting]
    seconds: float
    epoch_seconds: list[float] = field(default_factory=list)
    dp: Optional[DPConfig] = None
    epochs: int = 0
    batch_size: int = 0
    learning_rate: float = 0.0
    seed: int = 0
    loss: str = ""
    n_examples: int = 0
    fast_clipping: Optional[bool] = None  # True when DP used the layer registry's fast clipping
    sampling: str = "shuffled"            # "poisson" (varying batch sizes) or "shuffled" (fixed size)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "model"}
        return to_jsonable(data)


def fit_keras(layers_fn: Callable[[], list], x, y, *, loss: str, dp: Optional[DPConfig], epochs: int,
              batch_size: int, learning_rate: float, seed: int, validation_data=None,
              progress: Optional[ProgressCallback] = None,
              cancel: Optional[Callable[[], bool]] = None, use_xla: bool = False) -> KerasTrainingResult:
    """Train a Sequential model of `layers_fn()` on (x, y), privately when `dp` is given.

    x: array of shape (n, ...) (float features or int token ids); y: int class indices, shape (n,).
    loss: a Keras loss name matching the last layer (e.g. softmax + sparse_categorical_crossentropy).
    dp: None for non-private training; otherwise the noise multiplier is calibrated from
        dp.target_epsilon for (n, batch_size, epochs) *before* training, and the result carries the
        RDP and PLD epsilons. Optimizer: Adam(learning_rate) for both twins.
    seed: seeds Python, NumPy and TensorFlow (weights init, shuffling, DP noise).
    cancel: polled after every batch; when it returns True training stops and TrainingCancelled is raised.
    use_xla: compile the train step with XLA (both twins). Off by default: on CPU, XLA-compiling the
        DP train step costs ~4-20 s per model, more than it saves on tables of tens of thousands of rows
        (see benchmarks/dp_training.py).
    """
    import tensorflow as tf

    x = np.asarray(x)
    y = np.asarray(y)
    n = int(len(x))
    if n < 2:
        raise ValueError(f"need at least 2 training examples, got {n}")
    if len(y) != n:
        raise ValueError(f"x has {n} rows but y has {len(y)}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if use_xla and dp is not None and dp.sampling == POISSON:
        raise ValueError("use_xla compiles one program per batch shape and Poisson batches vary in size; "
                         "use DPConfig(sampling='shuffled') with use_xla")
    batch_size = min(int(batch_size), n)

    tf.keras.utils.set_random_seed(int(seed))
    layers = [tf.keras.layers.InputLayer(input_shape=x.shape[1:], dtype=x.dtype if x.dtype.kind in "iu" else "float32")]
    layers += list(layers_fn())
    noise = None
    fast = None
    poisson = dp is not None and dp.sampling == POISSON
    if dp is None:
        model = tf.keras.Sequential(layers)
        model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), loss=_loss_object(loss),
                      metrics=["accuracy"], jit_compile=use_xla)
    else:
        from tensorflow_privacy.privacy.fast_gradient_clipping import layer_registry
        from tensorflow_privacy.privacy.keras_models.dp_keras_model import DPSequential

        noise = dp.resolve_noise(n_examples=n, batch_size=batch_size, epochs=epochs)
        model = DPSequential(l2_norm_clip=dp.clip_norm, noise_multiplier=noise, num_microbatches=None,
                             use_xla=use_xla, layer_registry=layer_registry.make_default_layer_registry(),
                             layers=layers)
        fast = bool(getattr(model, "_enable_fast_peg_computation", False))
        # The fast clipping path reads `model.loss.reduction`, so the loss must be an object. Under
        # Poisson sampling the loss is summed (no division by the realised batch size) and the mean
        # cross-entropy is tracked as a metric for the history.
        metrics = ["accuracy"] + ([_mean_loss_metric(loss)] if poisson else [])
        model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), loss=_loss_object(loss, summed=poisson),
                      metrics=metrics)

    callback = _Callback(epochs=epochs, progress=progress, cancel=cancel)
    x_in = x.astype("float32") if x.dtype.kind == "f" else x
    start = time.perf_counter()
    if poisson:
        steps = math.ceil(n / batch_size)
        fitted = model.fit(poisson_batches(x_in, y, batch_size=batch_size, steps=epochs * steps, seed=seed),
                           epochs=epochs, steps_per_epoch=steps, verbose=0,
                           validation_data=validation_data, callbacks=[callback])
    else:
        fitted = model.fit(x_in, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0,
                           validation_data=validation_data, callbacks=[callback])
    seconds = time.perf_counter() - start
    if callback.cancelled:
        raise TrainingCancelled(f"training cancelled after {len(callback.epoch_seconds)} of {epochs} epochs")
    history = {str(k): [float(v) for v in values] for k, values in fitted.history.items()}
    if poisson:  # report the mean cross-entropy under the usual names (the summed loss is not comparable)
        for key in ("loss", "val_loss"):
            if key.replace("loss", MEAN_LOSS) in history:
                history[key] = history.pop(key.replace("loss", MEAN_LOSS))
    privacy = None
    if dp is not None:
        privacy = account_training(dp, n_examples=n, batch_size=batch_size, epochs=epochs, noise_multiplier=noise)
    return KerasTrainingResult(model=model, history=history, privacy=privacy, seconds=seconds,
                               epoch_seconds=callback.epoch_seconds, dp=dp, epochs=epochs,
                               batch_size=batch_size, learning_rate=float(learning_rate), seed=int(seed),
                               loss=loss, n_examples=n, fast_clipping=fast,
                               sampling=dp.sampling if dp is not None else "shuffled")


MEAN_LOSS = "mean_loss"


def poisson_batches(x: np.ndarray, y: np.ndarray, *, batch_size: int, steps: int, seed: int):
    """A `tf.data.Dataset` of `steps` Poisson-subsampled batches (then repeated; callers take `steps`):
    at every step each example is included independently with probability q = batch_size / n.

    Drawn up front with NumPy (seeded) as the size ~ Binomial(n, q) and then a uniform subset of that
    size, which is exactly Poisson sampling (its probability depends only on the subset's size). The
    pipeline then only gathers rows: drawing n uniforms per step inside it cost ~25% of a DP epoch here.
    """
    import tensorflow as tf

    n = len(x)
    rate = min(batch_size, n) / n
    rng = np.random.default_rng([int(seed), 9_277])
    sizes = rng.binomial(n, rate, size=int(steps))
    index = np.concatenate([rng.choice(n, size=int(k), replace=False) for k in sizes]).astype(np.int64)
    rows = tf.RaggedTensor.from_row_lengths(index, sizes.astype(np.int64))
    features, labels = tf.constant(x), tf.constant(y)
    return (tf.data.Dataset.from_tensor_slices(rows)
            .map(lambda chosen: (tf.gather(features, chosen), tf.gather(labels, chosen)))
            .repeat().prefetch(2))


def _loss_object(name: str, *, summed: bool = False):
    import tensorflow as tf

    reduction = tf.keras.losses.Reduction.SUM if summed else tf.keras.losses.Reduction.AUTO
    if name == "sparse_categorical_crossentropy":
        return tf.keras.losses.SparseCategoricalCrossentropy(reduction=reduction)
    return tf.keras.losses.BinaryCrossentropy(reduction=reduction)


def _mean_loss_metric(name: str):
    import tensorflow as tf

    if name == "sparse_categorical_crossentropy":
        return tf.keras.metrics.SparseCategoricalCrossentropy(name=MEAN_LOSS)
    return tf.keras.metrics.BinaryCrossentropy(name=MEAN_LOSS)


def _Callback(*, epochs: int, progress, cancel):
    """A Keras callback for progress per epoch and, only when `cancel` is given, a per-batch cancel check
    (a batch hook makes Keras call back into Python after every step, so it is left out otherwise)."""
    import tensorflow as tf

    class ProgressCallback(tf.keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.cancelled = False
            self.epoch_seconds: list[float] = []
            self._t0 = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()
            if cancel is not None and cancel():
                self.cancelled = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            self.epoch_seconds.append(time.perf_counter() - self._t0)
            loss = (logs or {}).get(MEAN_LOSS, (logs or {}).get("loss", math.nan))
            report(progress, (epoch + 1) / epochs, f"epoch {epoch + 1}/{epochs}, loss {loss:.3f}")

    class CancellableCallback(ProgressCallback):
        def on_train_batch_end(self, batch, logs=None):
            if cancel():
                self.cancelled = True
                self.model.stop_training = True

    return CancellableCallback() if cancel is not None else ProgressCallback()
