"""Journalist and marketer risk from the population size N alone, against the truth on a simulated
population of 500,000 people sampled at 1% to 20% (simple random samples, seeded).

Records at risk is within 25% of the truth at every fraction. The average risk (success rate) leans
high under the Pitman model at 1-10% (+20% to +38% here, the safe direction) and is never more than 25%
below the truth. The old F = f N/n figures put 25-58% fewer records at risk than the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.risk import assess_risk
from analysis.risk.classes import class_ids

QIS = ["age", "sex", "zip3", "marital"]
N = 500_000


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    zip_weights = 1 / np.arange(1, 201) ** 1.1
    return pd.DataFrame({
        "age": np.clip(rng.normal(42, 18, N).round(), 0, 95).astype(int),
        "sex": rng.choice(["f", "m"], N),
        "zip3": rng.choice([f"{z:03d}" for z in range(100, 300)], N, p=zip_weights / zip_weights.sum()),
        "marital": rng.choice(["married", "single", "divorced", "widowed"], N, p=[.45, .35, .12, .08]),
    })


def _truth(population: pd.DataFrame, rows: np.ndarray, threshold: float) -> dict:
    """The figures with every record's true population class size F."""
    ids, _ = class_ids(population, QIS)
    big_f = np.bincount(ids)
    classes, f = np.unique(ids[rows], return_counts=True)
    n = len(rows)
    success = float((f / big_f[classes]).sum() / n)
    return {"records_at_risk_share": float((1 / big_f[ids[rows]] > threshold).mean()),
            "average_risk": max(len(classes) / float(big_f[classes].sum()), success), "marketer": success}


@pytest.mark.parametrize("fraction", [0.01, 0.02, 0.05, 0.1, 0.2])
def test_journalist_risk_from_n_alone_is_within_25_percent_of_the_truth(population, fraction):
    rows = np.random.default_rng(int(fraction * 1000)).choice(N, int(fraction * N), replace=False)
    truth = _truth(population, rows, 0.2)
    r = assess_risk(population.iloc[rows], QIS, risk_threshold=0.2, population_size=N, max_combinations=1)
    assert r.journalist.records_at_risk_share == pytest.approx(truth["records_at_risk_share"], rel=0.25)
    for estimate, true in ((r.journalist.average_risk, truth["average_risk"]),
                           (r.marketer.average_risk, truth["marketer"])):
        assert 0.75 * true <= estimate <= 1.4 * true
    assert r.journalist.highest_risk == 1.0      # some sample uniques are population uniques
