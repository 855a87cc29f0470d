"""Riskiest quasi-identifier subsets (bounded search) and column suggestions."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from analysis.risk import assess_risk, suggest_quasi_identifiers, suggest_sensitive
from analysis.tables import load_sample


def test_riskiest_combination_is_the_pair_that_singles_people_out():
    # a and b alone are harmless (every value twice or more); together they make 4 records unique
    frame = pd.DataFrame({"a": ["x", "x", "y", "y", "x", "y"], "b": [1, 2, 1, 2, 1, 2],
                          "c": ["k", "k", "k", "k", "k", "k"]})
    r = assess_risk(frame, ["a", "b", "c"])
    top = r.riskiest_combinations[0]
    assert set(top["columns"]) == {"a", "b"} and top["size"] == 2
    # a+b classes: (x,1) x2, (x,2) x1, (y,1) x1, (y,2) x2 -> 2 unique records
    assert top["unique_records"] == 2 and top["k"] == 1
    singles = {tuple(c["columns"]): c for c in r.riskiest_combinations if c["size"] == 1}
    assert all(c["unique_records"] == 0 for c in singles.values())


def test_search_stays_bounded_for_ten_quasi_identifiers():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"q{i}": rng.integers(0, 6, 2000) for i in range(10)})
    r = assess_risk(frame, list(frame.columns), max_combinations=100)
    assert r.combinations_evaluated <= 100
    assert len(r.riskiest_combinations) == 10
    shares = [c["unique_share"] for c in r.riskiest_combinations]
    assert shares == sorted(shares, reverse=True)


def test_suggestions_without_a_scan_use_names_and_cardinality():
    frame = load_sample("customers.csv").frame
    qis = suggest_quasi_identifiers(frame)
    assert {"zip", "age", "sex", "city", "state"} <= set(qis)
    assert not {"customer_name", "email", "ssn", "notes", "order_id"} & set(qis)
    assert suggest_sensitive(frame) == ["health_condition"]
    adult = load_sample("adult.csv").frame
    assert {"age", "sex", "race", "native-country"} <= set(suggest_quasi_identifiers(adult))


def test_suggestions_follow_the_scan_and_the_users_corrections():
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": ["p", "q"]})
    scan = SimpleNamespace(columns=[SimpleNamespace(name="a", kind="quasi_identifier"),
                                    SimpleNamespace(name="b", kind="sensitive"),
                                    SimpleNamespace(name="c", kind="other")])
    assert suggest_quasi_identifiers(frame, scan) == ["a"]
    assert suggest_sensitive(frame, scan) == ["b"]
    assert suggest_quasi_identifiers(frame, scan, overrides={"c": "quasi_identifier"}) == ["a", "c"]


def test_suggestions_from_a_real_scan_result_with_overrides():
    from analysis.pii import ColumnFinding, ScanResult

    frame = pd.DataFrame({"name": ["Ada", "Bo"], "zip": ["12345", "67890"], "dx": ["flu", "cold"],
                          "notes": ["hi there you", "see me now"]})

    def finding(name, kind):
        return ColumnFinding(name=name, kind=kind, entities=[], evidence=[], examples=[])

    scan = ScanResult(columns=[finding("name", "direct_identifier"), finding("zip", "quasi_identifier"),
                               finding("dx", "other"), finding("notes", "free_text")],
                      rows=2, seconds=0.0, sample_rows=2, ner_model=None)
    assert suggest_quasi_identifiers(frame, scan) == ["zip"]
    assert suggest_sensitive(frame, scan) == []
    assert suggest_sensitive(frame, scan, overrides={"dx": "sensitive"}) == ["dx"]
    from analysis.risk import columns_of_kind

    assert columns_of_kind(frame, scan, "direct_identifier") == ["name"]
    assert columns_of_kind(frame, scan, "free_text") == ["notes"]
