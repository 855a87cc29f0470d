"""Journalist and marketer risk from the population size N alone, against the truth on two simulated
populations of 500,000 people sampled at 1% to 20% (simple random samples, seeded).

- "independent": age, sex, 3-digit zip (Zipf), marital status drawn independently;
- "adult-like": seven correlated quasi-identifiers built from UCI Adult: (sex, marital status, education,
  occupation) from one Adult row, (race, native country) from another, age from Adult's ages of the same
  marital status jittered by up to 2 years; heavier-tailed (63% of its classes are unique, 40% in the first).

Records at risk, the average risk (success rate) and the marketer rate are each within 25% of the truth
at every fraction (within 3% here). The Pitman / SNB estimate that preceded the log-linear model was 22-38%
high on the first population at 1-10% and 37-38% low on the second at 1%; the F = f N/n figures before it
put 25-58% fewer records at risk.

A third population, "dependent pair", has a sparse code b that depends on a (Zipf) and an independent c.
BIC keeps the a x b term, so on (a, b) the model is saturated and on (a, b, c) nearly so: its fitted counts
are then the sample's own counts and would take every F as about f/p (0.00002 of records at risk against
0.084). The estimate falls back to Pitman there and must never be more than 25% below the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.risk import assess_risk
from analysis.risk.classes import class_ids
from analysis.tables import load_sample

N = 500_000
FRACTIONS = [0.01, 0.02, 0.05, 0.1, 0.2]


def _independent() -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(0)
    zip_weights = 1 / np.arange(1, 201) ** 1.1
    frame = pd.DataFrame({
        "age": np.clip(rng.normal(42, 18, N).round(), 0, 95).astype(int),
        "sex": rng.choice(["f", "m"], N),
        "zip3": rng.choice([f"{z:03d}" for z in range(100, 300)], N, p=zip_weights / zip_weights.sum()),
        "marital": rng.choice(["married", "single", "divorced", "widowed"], N, p=[.45, .35, .12, .08]),
    })
    return frame, ["age", "sex", "zip3", "marital"]


def _adult_like() -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(1)
    adult = load_sample("adult.csv").frame
    first = adult.iloc[rng.integers(0, len(adult), N)]
    second = adult.iloc[rng.integers(0, len(adult), N)]
    frame = pd.DataFrame({"sex": first["sex"].to_numpy(), "marital": first["marital-status"].to_numpy(),
                          "education": first["education"].to_numpy(),
                          "occupation": first["occupation"].to_numpy(),
                          "race": second["race"].to_numpy(), "country": second["native-country"].to_numpy()})
    age = np.empty(N, dtype=int)
    for status, ages in adult.groupby("marital-status")["age"]:
        rows = np.flatnonzero(frame["marital"].to_numpy() == status)
        age[rows] = rng.choice(ages.to_numpy(), len(rows))
    frame["age"] = np.clip(age + rng.integers(-2, 3, N), 17, 90)
    return frame, ["age", "sex", "marital", "education", "occupation", "race", "country"]


def _dependent_pair() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    a = np.minimum(rng.zipf(1.3, N), 400)
    return pd.DataFrame({"a": a.astype(str), "b": ((a * 7 + rng.integers(0, 30, N)) % 500).astype(str),
                         "c": rng.integers(0, 3, N).astype(str)})


@pytest.fixture(scope="module", params=["independent", "adult-like"])
def population(request) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    frame, qis = _independent() if request.param == "independent" else _adult_like()
    ids, _ = class_ids(frame, qis)
    return frame, qis, ids


def _truth(ids: np.ndarray, rows: np.ndarray, threshold: float) -> dict:
    """The figures with every record's true population class size F."""
    big_f = np.bincount(ids)
    classes, f = np.unique(ids[rows], return_counts=True)
    n = len(rows)
    success = float((f / big_f[classes]).sum() / n)
    return {"records_at_risk_share": float((1 / big_f[ids[rows]] > threshold).mean()),
            "average_risk": max(len(classes) / float(big_f[classes].sum()), success), "marketer": success}


@pytest.mark.parametrize("fraction", FRACTIONS)
def test_journalist_risk_from_n_alone_is_within_25_percent_of_the_truth(population, fraction):
    frame, qis, ids = population
    rows = np.random.default_rng(int(fraction * 1000)).choice(N, int(fraction * N), replace=False)
    truth = _truth(ids, rows, 0.2)
    r = assess_risk(frame.iloc[rows], qis, risk_threshold=0.2, population_size=N, max_combinations=1)
    assert r.journalist.records_at_risk_share == pytest.approx(truth["records_at_risk_share"], rel=0.25)
    assert r.journalist.average_risk == pytest.approx(truth["average_risk"], rel=0.25)
    assert r.marketer.average_risk == pytest.approx(truth["marketer"], rel=0.25)
    assert r.journalist.highest_risk == 1.0      # some sample uniques are population uniques
    assert "log-linear" in r.journalist.population and "Skinner & Holmes" in r.journalist.assumptions[1]


@pytest.fixture(scope="module")
def dependent_pair() -> pd.DataFrame:
    return _dependent_pair()


@pytest.mark.parametrize("fraction", [0.02, 0.05])
@pytest.mark.parametrize("qis", [["a", "b"], ["a", "b", "c"]])
def test_a_saturated_log_linear_model_falls_back_and_never_understates(dependent_pair, qis, fraction):
    ids, _ = class_ids(dependent_pair, qis)
    rows = np.random.default_rng(int(fraction * 1000) + len(qis)).choice(N, int(fraction * N), replace=False)
    truth = _truth(ids, rows, 0.2)
    r = assess_risk(dependent_pair.iloc[rows], qis, risk_threshold=0.2, population_size=N, max_combinations=1)
    assert r.journalist.records_at_risk_share >= 0.75 * truth["records_at_risk_share"]
    assert r.journalist.average_risk >= 0.75 * truth["average_risk"]
    assert r.marketer.average_risk >= 0.75 * truth["marketer"]
    assert r.journalist.highest_risk == 1.0
    assert "Pitman" in r.journalist.population
    assert "The log-linear model (main effects + a x b) was not used: " in r.journalist.assumptions[-1]
