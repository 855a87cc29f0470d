"""GDPR anonymity risks (anonymeter's definitions): the formulas match anonymeter's, a raw release singles
people out, a plan that generalizes every near-unique column does not, and no cell value leaves."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from analysis.anonymity import residual_risk, success_rate, table_anonymity
from analysis.anonymize import Plan
from analysis.tables import load_table
from analysis.tradeoff import split_for_seed


@pytest.fixture(scope="module")
def halves(adult_path):
    frame = load_table(adult_path).frame
    return split_for_seed(frame, "class", seed=0, max_rows=4000)


def test_rates_and_residual_risk_follow_anonymeter():
    # anonymeter.stats.confidence.success_rate(100, 30, 0.95): Wilson centre and error
    rate, error = success_rate(100, 30)
    z = 1.959963984540054
    assert math.isclose(rate, (30 + z * z / 2) / (100 + z * z), rel_tol=1e-9)
    assert math.isclose(error, z / (100 + z * z) * math.sqrt(30 * 70 / 100 + z * z / 4), rel_tol=1e-9)
    risk = residual_risk(100, 30, 10, 1)
    control, _ = success_rate(100, 10)
    assert math.isclose(risk.risk, (rate - control) / (1 - control), rel_tol=1e-9)
    assert risk.ci_low < risk.risk < risk.ci_high and risk.trustworthy
    same = residual_risk(100, 10, 10, 1)
    assert same.risk == 0.0  # no better than on people never released


def test_raw_release_singles_out_and_generalized_numbers_do_not(halves, adult_path):
    members, non_members = halves
    plan = Plan.from_file(adult_path.parent.parent / "examples" / "plans" / "adult_k5_numbers.yaml")
    raw = table_anonymity(members, non_members, secret="class", n_attacks=200)
    anonymized = table_anonymity(members, non_members, plan=plan, secret="class", n_attacks=200)
    assert raw.release == "raw" and anonymized.release == "anonymized"
    assert raw.singling_out.risk > 0.9 and raw.linkability.risk > 0.3
    assert anonymized.singling_out.ci_high < raw.singling_out.ci_low
    assert anonymized.linkability.risk < raw.linkability.risk
    for risks in (raw, anonymized):
        for r in risks.headline().values():
            assert 0.0 <= r["ci_low"] <= r["risk"] <= r["ci_high"] <= 1.0


def test_k_on_quasi_identifiers_alone_leaves_a_near_unique_column_singling_out(halves, adult_path):
    """The bundled adult_k5 plan generalizes age and country only; fnlwgt stays near-unique, so univariate
    singling out stays high: the measurement says what k-anonymity on the quasi-identifiers does not."""
    members, non_members = halves
    plan = Plan.from_file(adult_path.parent.parent / "examples" / "plans" / "adult_k5.yaml")
    risks = table_anonymity(members, non_members, plan=plan, secret="class", n_attacks=200)
    assert risks.singling_out_univariate.risk > 0.8


def test_results_carry_no_cell_values():
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({"patient_name": [f"Zorblat Quimby{i}" for i in range(n)],
                          "age": rng.integers(18, 90, n), "zip": rng.choice(["10001", "10002", "10003"], n),
                          "diagnosis": rng.choice(["flu", "asthma"], n)})
    risks = table_anonymity(frame.iloc[:200], frame.iloc[200:], secret="diagnosis", n_attacks=50)
    text = json.dumps(risks.to_dict())
    assert "Zorblat" not in text and "asthma" not in text and "10001" not in text
    assert risks.singling_out_univariate.risk > 0.5  # the names are unique


def test_bad_inputs_are_refused(halves):
    members, non_members = halves
    with pytest.raises(ValueError, match="same columns"):
        table_anonymity(members, non_members.drop(columns=["age"]))
    with pytest.raises(ValueError, match="secret column"):
        table_anonymity(members, non_members, secret="nope")
    with pytest.raises(ValueError, match="n_attacks"):
        table_anonymity(members, non_members, n_attacks=2)
