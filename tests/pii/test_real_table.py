"""A COMPAS-shaped table (lower-case names, IDs, case numbers, coded columns), read from a CSV as a
user's upload would be: every identifier found, no false kinds, special categories marked."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pytest

from analysis.pii import scan_table
from analysis.pii.evalset import make_eval_set
from analysis.pii.evaluate import evaluate_scan
from analysis.tables import load_table


@pytest.fixture(scope="module")
def compas(tmp_path_factory, engine):
    data = make_eval_set(1200, variant="real", seed=11)
    path = tmp_path_factory.mktemp("compas") / "compas.csv"
    data.frame.to_csv(path, index=False)
    frame = load_table(path).frame
    return data, frame, scan_table(frame, backend="serial")


def test_generator_is_seeded_and_shaped_like_compas():
    a, b = make_eval_set(40, variant="real", seed=3), make_eval_set(40, variant="real", seed=3)
    assert a.frame.equals(b.frame)
    assert a.frame.shape[1] == 53 and set(a.columns) == set(a.frame.columns)
    assert a.frame["first"].str.islower().all() and a.frame["c_case_number"].str.fullmatch(r"\d{8}(CF|MM)10A").all()
    assert set(a.frame["c_charge_degree"]) <= {"F", "M"}


def test_names_ids_and_case_numbers_are_direct_identifiers(compas):
    _, _, scan = compas
    for column in ("first", "last", "name", "id", "c_case_number", "r_case_number", "vr_case_number"):
        assert scan.column(column).kind == "direct_identifier", (column, scan.column(column).evidence)
    assert scan.column("first").top_entity == scan.column("last").top_entity == "PERSON"
    assert scan.column("id").top_entity == scan.column("c_case_number").top_entity == "RECORD_ID"
    # counts, scores and day offsets are not keys, though some are nearly unique
    for column in ("priors_count", "decile_score", "end", "c_days_from_compas", "two_year_recid"):
        assert scan.column(column).kind == "other", (column, scan.column(column).entities)


def test_charge_degree_is_not_gender_and_special_categories_are_marked(compas):
    _, _, scan = compas
    degree = scan.column("c_charge_degree")
    assert "GENDER" not in {e.type for e in degree.entities}
    assert degree.kind == "sensitive" and "Art. 10" in degree.special_category
    assert scan.column("c_charge_desc").kind == "sensitive"
    assert "Art. 9" in scan.column("race").special_category and "ethnic" in scan.column("race").special_category
    assert scan.column("sex").top_entity == "GENDER"  # the column name says sex: the rule still holds there


def test_column_and_kind_scores_on_the_real_table(compas):
    data, _, scan = compas
    report = evaluate_scan(scan, data)
    assert report["column"].overall.f1_score >= 0.95, report["column"].errors
    assert report["kind"].overall.f1_score >= 0.95, report["kind"].errors


def test_random_strings_and_letter_codes_get_no_false_kinds(engine):
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame({
        "blob": [" ".join("".join(rng.choice(list(string.ascii_letters + string.digits + ".-/:"), int(rng.integers(3, 9))))
                          for _ in range(6)) for _ in range(n)],
        "letters": [" ".join("".join(rng.choice(list(string.ascii_letters), int(rng.integers(3, 9)))) for _ in range(5))
                    for _ in range(n)],
        "grade": [str(x) for x in rng.choice(["F", "M"], n)],
        "gender": [str(x) for x in rng.choice(["F", "M"], n)],
    })
    scan = scan_table(frame, sample_rows=0, backend="serial")
    for column in ("blob", "letters", "grade"):
        assert scan.column(column).kind == "other" and scan.column(column).entities == [], column
    assert scan.column("gender").top_entity == "GENDER"
