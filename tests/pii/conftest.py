"""Shared fixtures for the PII tests: one engine per test session, small frames."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.settings import SAMPLE_DATA_DIR


@pytest.fixture(scope="session")
def engine():
    from analysis.pii.engine import get_engine

    return get_engine()


@pytest.fixture(scope="session")
def customers_small() -> pd.DataFrame:
    """The first 300 rows of the bundled customers table (known truth, see scripts/make_sample_data.py)."""
    from analysis.tables import load_table

    return load_table(SAMPLE_DATA_DIR / "customers.csv").frame.head(300).copy()


@pytest.fixture(scope="session")
def customers_scan(engine, customers_small):
    from analysis.pii import scan_table

    return scan_table(customers_small, sample_rows=200, backend="serial")
