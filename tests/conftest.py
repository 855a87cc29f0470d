"""Shared fixtures: paths to bundled data, and a seeded random generator."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.settings import SAMPLE_DATA_DIR, get_settings


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def customers_path():
    return SAMPLE_DATA_DIR / "customers.csv"


@pytest.fixture(scope="session")
def adult_path():
    return SAMPLE_DATA_DIR / "adult.csv"


@pytest.fixture
def history_url(tmp_path, monkeypatch):
    """A fresh audit-history database for the test; the user's ~/.privacy_audit is never touched."""
    from analysis import history

    url = f"sqlite:///{tmp_path / 'history.db'}"
    monkeypatch.setenv("PRIVACY_AUDIT_HISTORY_URL", url)
    get_settings.cache_clear()
    yield url
    history.dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def settings_env(monkeypatch):
    """settings_env(worker_timeout_seconds=5, ...): set PRIVACY_AUDIT_* variables for one test, settings re-read."""

    def set_env(**values):
        for key, value in values.items():
            monkeypatch.setenv(f"PRIVACY_AUDIT_{key.upper()}", str(value))
        get_settings.cache_clear()

    yield set_env
    monkeypatch.undo()
    get_settings.cache_clear()
