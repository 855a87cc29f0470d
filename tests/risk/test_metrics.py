"""Every risk metric against hand-computed small tables and the published definitions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.risk import assess_risk, record_class_sizes
from analysis.risk.classes import combine, encode_columns
from analysis.risk.loglinear import fitted_log_counts
from analysis.risk.population import class_size_model

# Classes on (zip, age): A30 x3, B40 x2, C50 x1  -> n = 6, J = 3
SMALL = pd.DataFrame({
    "zip": ["A", "A", "A", "B", "B", "C"],
    "age": [30, 30, 30, 40, 40, 50],
    "dx": ["flu", "flu", "cold", "flu", "flu", "hiv"],
})


def test_equivalence_classes_k_uniques_and_records_below_k():
    r = assess_risk(SMALL, ["zip", "age"], k=3)
    assert (r.rows, r.classes, r.k) == (6, 3, 1)
    assert r.records_below_k == 3 and r.share_below_k == pytest.approx(0.5)
    assert r.sample_uniques == 1 and r.sample_uniques_share == pytest.approx(1 / 6)
    hist = {h["size"]: (h["classes"], h["records"]) for h in r.class_size_histogram}
    assert hist["1"] == (1, 1) and hist["2"] == (1, 2) and hist["3"] == (1, 3)
    assert list(record_class_sizes(SMALL, ["zip", "age"])) == [3, 3, 3, 2, 2, 1]
    assert not r.k_anonymous


def test_prosecutor_as_arx_reports_it():
    # record risk 1/f: 1/3, 1/2, 1. Above 0.4: the classes of size 2 and 1 -> 3 of 6 records.
    r = assess_risk(SMALL, ["zip", "age"], risk_threshold=0.4)
    assert r.prosecutor.records_at_risk_share == pytest.approx(0.5)
    assert r.prosecutor.highest_risk == pytest.approx(1.0)
    assert r.prosecutor.average_risk == pytest.approx(3 / 6)  # J / n
    # "above" is strict: at 0.5 only the unique record counts
    assert assess_risk(SMALL, ["zip", "age"], risk_threshold=0.5).prosecutor.records_at_risk_share == pytest.approx(1 / 6)


def test_without_population_journalist_equals_prosecutor_and_marketer_is_j_over_n():
    r = assess_risk(SMALL, ["zip", "age"], risk_threshold=0.4)
    assert r.journalist.records_at_risk_share == r.prosecutor.records_at_risk_share
    assert r.journalist.highest_risk == r.prosecutor.highest_risk
    assert r.marketer.average_risk == pytest.approx(0.5)
    assert r.marketer.records_at_risk_share is None and r.marketer.highest_risk is None


def test_a_saturated_log_linear_model_gives_way_to_pitman_and_says_why():
    # zip and age determine each other: BIC keeps zip x age, whose fitted counts are the classes' own
    # (m = f), so the model says nothing about the population; the figures are Pitman's, as with one column.
    r = assess_risk(SMALL, ["zip", "age"], risk_threshold=0.4, population_size=60)
    encoded = encode_columns(SMALL, ["zip", "age"])
    ids, sizes = combine([encoded["zip"], encoded["age"]])
    log_expected, terms, leverage = fitted_log_counts([encoded["zip"], encoded["age"]], ids, sizes)
    assert terms == [("zip", "age")] and leverage == pytest.approx(1.0)
    model = class_size_model(sizes, 60, r.population_uniqueness.population_uniques, log_expected, terms, leverage)
    assert model.kind == "Pitman" and model.source in r.journalist.population
    assert r.journalist.assumptions[-1] == ("The log-linear model (main effects + zip x age) was not used: its "
                                            "terms reproduce every sample class count (saturated).")
    one = assess_risk(SMALL, ["zip"], risk_threshold=0.4, population_size=60)
    assert r.journalist.records_at_risk_share == pytest.approx(one.journalist.records_at_risk_share)
    assert r.marketer.average_risk == pytest.approx(one.marketer.average_risk)
    assert r.prosecutor.highest_risk == pytest.approx(1.0)  # the prosecutor knows the target is in the table


def test_journalist_with_one_quasi_identifier_follows_the_pitman_posterior():
    # One quasi-identifier: no cross-classification for a log-linear model; N = 60, n = 6 (p = 0.1): a class
    # seen f times has F = f + M, M ~ NegBin(f - alpha, p) under the Pitman model, here summed term by term.
    from scipy.stats import nbinom

    r = assess_risk(SMALL, ["zip"], risk_threshold=0.4, population_size=60)
    model = class_size_model(np.array([3, 2, 1]), 60, r.population_uniqueness.population_uniques)
    assert model.kind == "Pitman" and model.source in r.journalist.population
    m, alpha = np.arange(0, 20_000), model.alpha
    at_risk = sum(f * nbinom.pmf(m, f - alpha, 0.1)[f + m <= 2].sum() for f in (3, 2, 1)) / 6
    success = sum(f * (nbinom.pmf(m, f - alpha, 0.1) / (f + m)).sum() for f in (3, 2, 1)) / 6
    assert r.journalist.records_at_risk_share == pytest.approx(at_risk)
    assert r.marketer.average_risk == pytest.approx(success)


def test_journalist_with_population_table():
    extra = pd.DataFrame({"zip": ["A", "A", "C", "C", "C", "D"], "age": [30, 30, 50, 50, 50, 60]})
    population = pd.concat([SMALL[["zip", "age"]], extra], ignore_index=True)  # F = 5, 2, 4
    r = assess_risk(SMALL, ["zip", "age"], risk_threshold=0.4, population=population)
    assert r.journalist.records_at_risk_share == pytest.approx(2 / 6)  # only 1/F = 1/2 > 0.4
    assert r.journalist.highest_risk == pytest.approx(1 / 2)
    rc2 = (3 / 5 + 2 / 2 + 1 / 4) / 6
    assert r.journalist.average_risk == pytest.approx(max(3 / 11, rc2))
    assert r.marketer.average_risk == pytest.approx(rc2)


def test_l_diversity_distinct_and_entropy():
    r = assess_risk(SMALL, ["zip", "age"], sensitive=["dx"])
    ld = r.l_diversity["dx"]
    assert ld.distinct_l == 1 and ld.entropy_l == pytest.approx(1.0)
    assert ld.homogeneous_classes == 2 and ld.records_in_homogeneous_classes_share == pytest.approx(0.5)
    frame = pd.DataFrame({"q": ["x", "x", "y", "y", "y"], "s": ["a", "b", "a", "a", "b"]})
    ld = assess_risk(frame, ["q"], sensitive=["s"]).l_diversity["s"]
    h_y = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3))  # class x has entropy log 2 > h_y
    assert ld.distinct_l == 2 and ld.entropy_l == pytest.approx(math.exp(h_y))


def test_t_closeness_categorical_is_variational_distance():
    # table: flu 4/6, cold 1/6, hiv 1/6. A30: 1/6, B40: 1/3, C50: 5/6.
    t = assess_risk(SMALL, ["zip", "age"], sensitive=["dx"]).t_closeness["dx"]
    assert t.t == pytest.approx(5 / 6)
    assert t.average_distance == pytest.approx((3 * 1 / 6 + 2 * 1 / 3 + 1 * 5 / 6) / 6)
    assert t.ground_distance.startswith("equal")


def test_t_closeness_ordered_distance_matches_li_et_al_example():
    # Li, Li & Venkatasubramanian (2007): salaries 3k..11k; P1 = {3k,4k,5k} has EMD 0.375 and
    # P2 = {6k,8k,11k} has 0.167 to the uniform table distribution.
    frame = pd.DataFrame({"group": ["P1", "P1", "P1", "P2", "P2", "P2", "P3", "P3", "P3"],
                          "salary": [3, 4, 5, 6, 8, 11, 7, 9, 10]})
    t = assess_risk(frame, ["group"], sensitive=["salary"]).t_closeness["salary"]
    assert t.ground_distance == "ordered distance"
    assert t.t == pytest.approx(0.375)
    assert t.average_distance == pytest.approx((0.375 + 1 / 6 + 17 / 72) / 3)


def test_t_closeness_ordered_matches_brute_force_on_random_tables():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.integers(0, 4, 300), "b": rng.choice(["x", "y"], 300),
                          "s": rng.integers(0, 12, 300) * 2.5})
    got = assess_risk(frame, ["a", "b"], sensitive=["s"]).t_closeness["s"].t
    values = np.sort(frame.s.unique())
    q = frame.s.value_counts(normalize=True).reindex(values).to_numpy()
    want = max(np.abs(np.cumsum(g.s.value_counts(normalize=True).reindex(values, fill_value=0).to_numpy() - q))[:-1].sum()
               / (len(values) - 1) for _, g in frame.groupby(["a", "b"]))
    assert got == pytest.approx(want)


def test_zayatz_population_uniqueness_hand_computed():
    # sizes 1, 1, 2 (n = 4), N = 8: h_1 = 35/70 = 1/2, h_2 = 2*20/70 = 4/7
    # P = (2/3 * 1/2) / (2/3 * 1/2 + 1/3 * 4/7) = 7/11; share = u1 P / n = 7/22
    from analysis.risk.metrics import zayatz_population_uniques

    est = zayatz_population_uniques(np.array([1, 1, 2]), 8)
    assert est["sample_unique_is_population_unique"] == pytest.approx(7 / 11)
    assert est["population_uniques_share"] == pytest.approx(7 / 22)
    assert est["population_uniques"] == pytest.approx(28 / 11)
    frame = pd.DataFrame({"q": ["a", "b", "c", "c"]})
    pu = assess_risk(frame, ["q"], population_size=8).population_uniqueness
    assert pu.estimates["Zayatz"] == pytest.approx(28 / 11)
    assert pu.sampling_fraction == pytest.approx(0.5)
    assert len(pu.assumptions) >= 2 and "Dankar" in pu.estimator
    # a census (N = n): every sample unique is a population unique
    census = assess_risk(frame, ["q"], population_size=4).population_uniqueness
    assert census.population_uniques_share == pytest.approx(0.5)
    assert assess_risk(frame, ["q"]).population_uniqueness is None


def test_missing_values_form_their_own_class():
    frame = pd.DataFrame({"q": ["a", None, None, "a"], "r": [1.0, np.nan, np.nan, 1.0]})
    r = assess_risk(frame, ["q", "r"])
    assert (r.classes, r.k) == (2, 2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(quasi_identifiers=[]), "at least one"),
    (dict(quasi_identifiers=["nope"]), "nope"),
    (dict(quasi_identifiers=["zip"], sensitive=["zip"]), "both"),
    (dict(quasi_identifiers=["zip"], k=0), "k must"),
    (dict(quasi_identifiers=["zip"], risk_threshold=1.5), "risk_threshold"),
    (dict(quasi_identifiers=["zip"], population_size=3), "population_size"),
])
def test_bad_settings_raise_value_errors_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        assess_risk(SMALL, **kwargs)


def test_report_serializes_with_settings():
    d = assess_risk(SMALL, ["zip", "age"], sensitive=["dx"], k=3).to_dict()
    for key in ("k", "records_below_k", "sample_uniques", "prosecutor", "journalist", "marketer", "l_diversity",
                "t_closeness", "target_k", "risk_threshold", "quasi_identifiers", "versions"):
        assert key in d
    assert d["prosecutor"]["records_at_risk_share"] == pytest.approx(1.0)  # every risk >= 1/3 > 0.2
