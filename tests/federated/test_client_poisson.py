"""DP-SGD inside a federated client draws its batches the way the sample-level accountant assumes:
Poisson sampling with rate batch / n, local_epochs * ceil(n / batch) steps a round."""

from __future__ import annotations

import math

import numpy as np
import pytest

import analysis.privacy.training as training
from analysis.privacy.federated.model import ModelCache, _initial_weights, _local_fit, _ModelSpec

SPEC = _ModelSpec(n_inputs=4, n_classes=2, hidden=(8,), learning_rate=1e-2, batch_size=16, local_epochs=2, seed=0)


@pytest.fixture()
def rows():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


@pytest.fixture()
def drawn(monkeypatch):
    calls = []
    real = training.poisson_batches

    def spy(x, y, *, batch_size, steps, seed):
        calls.append({"n": len(x), "batch_size": batch_size, "steps": steps})
        return real(x, y, batch_size=batch_size, steps=steps, seed=seed)

    monkeypatch.setattr(training, "poisson_batches", spy)
    return calls


def test_dp_sgd_in_a_client_uses_poisson_batches_as_accounted(rows, drawn):
    x, y = rows
    start = _initial_weights(SPEC)
    weights, loss = _local_fit(SPEC, start, x, y, seed=3, models=ModelCache(), dp_noise=1.0, dp_clip=1.0)
    assert drawn == [{"n": 100, "batch_size": 16, "steps": 2 * math.ceil(100 / 16)}]
    assert math.isfinite(loss) and 0 < loss < 5                     # the mean cross-entropy, not the sum
    assert any(not np.allclose(a, b) for a, b in zip(weights, start))
    again, _ = _local_fit(SPEC, start, x, y, seed=3, models=ModelCache(), dp_noise=1.0, dp_clip=1.0)
    assert all(np.allclose(a, b) for a, b in zip(weights, again))   # seeded: batches and noise repeat


def test_shuffled_batches_only_when_asked_and_non_dp_training_is_unchanged(rows, drawn):
    x, y = rows
    start = _initial_weights(SPEC)
    _local_fit(SPEC, start, x, y, seed=3, models=ModelCache(), dp_noise=1.0, dp_clip=1.0, dp_poisson=False)
    _local_fit(SPEC, start, x, y, seed=3, models=ModelCache())
    assert drawn == []
