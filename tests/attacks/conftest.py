"""Small, seeded datasets for the attack tests (kept small: the whole area runs in a few minutes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.tables import load_sample


@pytest.fixture(scope="session")
def adult_small() -> pd.DataFrame:
    """4,000 rows of the bundled Adult table (seeded sample)."""
    return load_sample("adult.csv").frame.sample(4000, random_state=1).reset_index(drop=True)


@pytest.fixture(scope="session")
def noisy_table() -> pd.DataFrame:
    """1,000 rows, 5 numeric features and a label that is 40% noise: a model can only memorise it."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1000, 5))
    signal = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    flip = rng.random(1000) < 0.4
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)])
    frame["colour"] = rng.choice(["red", "green", "blue"], size=1000)
    frame["y"] = np.where(flip, 1 - signal, signal)
    return frame
