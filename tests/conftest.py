"""Shared fixtures: paths to bundled data, and a seeded random generator."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.settings import SAMPLE_DATA_DIR


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def customers_path():
    return SAMPLE_DATA_DIR / "customers.csv"


@pytest.fixture(scope="session")
def adult_path():
    return SAMPLE_DATA_DIR / "adult.csv"
