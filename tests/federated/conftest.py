"""Small seeded tables for the federated tests (no Ray here; the simulations live in the tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def random_label_frame() -> pd.DataFrame:
    """240 rows, 8 Gaussian features, labels independent of them: anything a model learns about the
    training labels is memorization, which is what membership attacks detect."""
    rng = np.random.default_rng(7)
    n = 240
    frame = pd.DataFrame(rng.normal(size=(n, 8)).round(4), columns=[f"f{i}" for i in range(8)])
    frame["region"] = rng.choice(["north", "south", "east"], size=n, p=[0.5, 0.3, 0.2])
    frame["label"] = np.where(rng.random(n) < 0.5, "yes", "no")
    return frame


@pytest.fixture(scope="session")
def adult_small(adult_path) -> pd.DataFrame:
    return pd.read_csv(adult_path).sample(n=600, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="session")
def tiny_central(random_label_frame):
    """A real (tiny) centralized run: the base the CLI and page tests derive stored results from."""
    from analysis.privacy.federated import run_centralized

    return run_centralized(random_label_frame, "label", rounds=2, local_epochs=1, seed=0, audit_rows=50)
