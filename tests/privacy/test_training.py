"""The shared Keras loop: DP twins share architecture, data order and seed; runs are reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.privacy.dp import DPConfig
from analysis.privacy.training import TrainingCancelled, fit_keras


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 6)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] + 0.3 * rng.normal(size=600) > 0).astype(int)
    return x, y


def _layers():
    import tensorflow as tf

    return [tf.keras.layers.Dense(8, activation="relu"), tf.keras.layers.Dense(2, activation="softmax")]


def _fit(data, dp, **kwargs):
    x, y = data
    options = dict(loss="sparse_categorical_crossentropy", dp=dp, epochs=2, batch_size=100,
                   learning_rate=0.01, seed=3)
    options.update(kwargs)
    return fit_keras(_layers, x, y, **options)


def _weights(result):
    return [w.copy() for w in result.model.get_weights()]


def test_dp_twin_shares_architecture_init_and_batches(data):
    plain = _fit(data, None)
    # Noise 0 and a clipping norm no gradient reaches: DP-SGD reduces to the plain mean gradient,
    # so identical weights prove the twins start from the same init and see the same batches
    # (with the shuffled-batch option; Poisson batches differ by design).
    twin = _fit(data, DPConfig(noise_multiplier=0.0, clip_norm=1e6, sampling="shuffled"))
    import tensorflow as tf
    from tensorflow_privacy.privacy.keras_models.dp_keras_model import DPSequential

    assert isinstance(twin.model, DPSequential) and not isinstance(plain.model, DPSequential)
    assert isinstance(plain.model, tf.keras.Sequential)
    assert twin.fast_clipping is True
    shapes = lambda r: [w.shape for w in r.model.get_weights()]  # noqa: E731
    assert shapes(plain) == shapes(twin)
    assert [type(layer).__name__ for layer in plain.model.layers] == [type(layer).__name__ for layer in twin.model.layers]
    for a, b in zip(_weights(plain), _weights(twin)):
        np.testing.assert_allclose(a, b, atol=1e-4)
    assert plain.privacy is None
    assert twin.privacy.noise_multiplier == 0.0
    assert twin.sampling == "shuffled" and twin.privacy.sampling_assumption.startswith("APPROXIMATION")


def test_poisson_batches_include_each_example_with_probability_q():
    from analysis.privacy.training import poisson_batches

    n, batch = 2000, 100
    x = np.arange(n, dtype="float32")[:, None]
    y = np.zeros(n, dtype="int64")
    sizes, counts = [], np.zeros(n)
    for xb, _ in poisson_batches(x, y, batch_size=batch, steps=400, seed=0).take(400):
        rows = xb.numpy()[:, 0].astype(int)
        sizes.append(len(rows))
        counts[rows] += 1
    q = batch / n
    assert np.mean(sizes) == pytest.approx(batch, rel=0.02)
    assert np.var(sizes) == pytest.approx(n * q * (1 - q), rel=0.2)   # Binomial(n, q), not fixed
    assert np.mean(counts) / 400 == pytest.approx(q, rel=0.02)
    assert len(set(sizes)) > 10


def test_poisson_is_the_default_and_runs_the_accounted_number_of_steps(data):
    import tensorflow as tf

    class Steps(tf.keras.callbacks.Callback):
        count = 0

        def on_train_batch_end(self, batch, logs=None):
            Steps.count += 1

    x, y = data
    from analysis.privacy.training import fit_keras as fit

    original = tf.keras.Model.fit

    def counting_fit(self, *args, **kwargs):
        kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [Steps()]
        return original(self, *args, **kwargs)

    tf.keras.Model.fit = counting_fit
    try:
        result = fit(_layers, x, y, loss="sparse_categorical_crossentropy", dp=DPConfig(target_epsilon=2.0),
                     epochs=2, batch_size=100, learning_rate=0.01, seed=3)
    finally:
        tf.keras.Model.fit = original
    assert result.sampling == "poisson" and "Poisson" in result.privacy.sampling_assumption
    assert "batch sizes vary" in result.privacy.sampling_assumption
    assert Steps.count == result.privacy.steps == 12      # epochs * ceil(600 / 100)
    assert 0.0 < result.history["loss"][-1] < 1.5            # the mean cross-entropy, not the batch sum


def test_dp_run_is_reproducible_and_accounted(data):
    dp = DPConfig(target_epsilon=2.0)
    first, second = _fit(data, dp), _fit(data, dp)
    for a, b in zip(_weights(first), _weights(second)):
        np.testing.assert_array_equal(a, b)
    acc = first.privacy
    assert acc.rdp_epsilon == pytest.approx(2.0, abs=0.05) and acc.rdp_epsilon <= 2.0 + 1e-6
    assert acc.pld_epsilon < acc.rdp_epsilon
    assert acc.delta == pytest.approx(1e-5)  # min(1/(10 * 600), 1e-5)
    assert (acc.sampling_rate, acc.steps) == (pytest.approx(100 / 600), 12)
    assert acc.noise_multiplier > 0
    other_seed = _fit(data, dp, seed=4)
    assert not np.allclose(_weights(first)[0], _weights(other_seed)[0])
    assert set(first.history) >= {"loss", "accuracy"} and len(first.history["loss"]) == 2


def test_progress_and_cancel(data):
    seen = []
    _fit(data, None, progress=lambda f, m: seen.append((f, m)))
    assert [f for f, _ in seen] == [0.5, 1.0] and "epoch 2/2" in seen[-1][1]
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(TrainingCancelled):
        _fit(data, None, cancel=cancel)


def test_bad_settings_are_named(data):
    with pytest.raises(ValueError, match="batch_size"):
        _fit(data, None, batch_size=0)
    with pytest.raises(ValueError, match="loss"):
        _fit(data, None, loss="mse")
