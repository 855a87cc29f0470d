"""Plans as documents (validation, YAML/JSON round trips), secrets, suppression, the Adult k=5 plan."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analysis.anonymize import Plan, Suppression, apply_plan, parse_params, suggest_plan
from analysis.risk import assess_risk
from analysis.settings import PROJECT_ROOT
from analysis.tables import load_sample

ADULT_PLAN = PROJECT_ROOT / "examples" / "plans" / "adult_k5.yaml"
ADULT_QIS = ["age", "sex", "race", "native-country"]


@pytest.fixture(scope="module")
def adult():
    return load_sample("adult.csv").frame


def test_yaml_and_json_round_trip():
    plan = Plan.from_yaml(ADULT_PLAN.read_text())
    assert Plan.from_yaml(plan.to_yaml()) == plan
    assert Plan.from_json(plan.to_json()) == plan
    assert plan.to_dict()["columns"]["age"] == {"operator": "bin", "width": 10}
    assert plan.suppression == Suppression(k=5, quasi_identifiers=ADULT_QIS, method="record")


@pytest.mark.parametrize("doc, match", [
    ({"columns": {"age": {"operator": "blur"}}}, "column 'age': unknown operator 'blur'"),
    ({"columns": {"age": {"operator": "bin", "width": 10, "size": 3}}}, "column 'age', operator 'bin': unknown parameter"),
    ({"columns": {"age": {"operator": "bin"}}}, "exactly one of width or edges"),
    ({"columns": {"age": {"operator": "bin", "width": "ten"}}}, "parameter width must be"),
    ({"columns": {"c": {"operator": "hierarchy"}}}, "column 'c', operator 'hierarchy': parameter mapping is required"),
    ({"columns": {"e": {"operator": "pseudonymize", "secret": "abc"}}}, "must not hold a secret"),
    ({"columns": {"n": {"operator": "surrogate", "provider": "no_such_thing"}}}, "unknown Faker provider"),
    ({"columns": {}, "suppression": {"k": 0, "quasi_identifiers": ["a"]}}, "k must be a positive integer"),
    ({"columns": {}, "suppression": {"k": 5, "quasi_identifiers": ["a"], "method": "magic"}}, "method must be"),
    ({"version": 2, "columns": {}}, "version"),
    ({"colums": {}}, "unknown plan key"),
])
def test_validation_names_the_column_and_operator(doc, match):
    with pytest.raises(ValueError, match=match):
        Plan.from_dict(doc)


def test_bad_documents_and_missing_columns_raise_clear_errors():
    with pytest.raises(ValueError, match="not valid YAML"):
        Plan.from_yaml("columns: [unclosed")
    with pytest.raises(ValueError, match="not valid JSON"):
        Plan.from_json("{")
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(ValueError, match="not in the table: zip"):
        apply_plan(frame, Plan.from_dict({"columns": {"zip": "redact"}}))


def test_form_parameters_are_parsed_into_types():
    assert parse_params("bin", {"width": "10", "origin": "", "edges": ""}) == {"width": 10}
    assert parse_params("bin", {"edges": "0, 18, 65.5"}) == {"edges": [0, 18, 65.5]}
    assert parse_params("mask", {"keep_last": "4", "char": "#"}) == {"keep_last": 4, "char": "#"}
    with pytest.raises(ValueError, match="must be a number"):
        parse_params("top_bottom_code", {"upper": "lots"})


def test_generated_secret_is_returned_once_and_written_nowhere():
    frame = pd.DataFrame({"email": ["ada@example.com", "bo@example.com"]})
    plan = Plan.from_dict({"columns": {"email": {"operator": "pseudonymize"}}})
    result = apply_plan(frame, plan)
    assert result.secret_source == "generated" and len(result.generated_secret) == 32
    hex_secret = result.generated_secret.hex()
    assert hex_secret not in result.to_json() and "generated_secret" not in result.to_dict()
    assert "frame" not in result.to_dict()
    assert hex_secret not in plan.to_yaml() and hex_secret not in result.frame.to_csv()
    supplied = apply_plan(frame, plan, secret=b"s" * 32)
    assert supplied.secret_source == "supplied" and supplied.generated_secret is None
    with pytest.raises(ValueError, match="at least 16 bytes"):
        apply_plan(frame, plan, secret=b"short")


def test_example_plan_reaches_k5_on_adult(adult):
    result = apply_plan(adult, Plan.from_file(ADULT_PLAN))
    assert result.k_after >= 5
    after = assess_risk(result.frame, ADULT_QIS, k=5)
    assert after.k >= 5 and after.sample_uniques == 0 and after.records_below_k == 0
    assert result.rows_dropped == len(adult) - len(result.frame) and result.rows_dropped < 0.01 * len(adult)
    assert result.frame.index.isin(adult.index).all()


def test_cell_suppression_blanks_cells_instead_of_dropping_rows(adult):
    plan = Plan.from_file(ADULT_PLAN)
    plan = plan.with_suppression(dataclasses.replace(plan.suppression, method="cell"))
    result = apply_plan(adult, plan)
    assert result.rows_dropped == 0 and result.cells_suppressed > 0
    assert assess_risk(result.frame, ADULT_QIS).k >= 5
    assert (result.frame[ADULT_QIS] == "*").any().any()


def test_record_suppression_on_a_hand_table():
    frame = pd.DataFrame({"zip": ["A", "A", "A", "B", "B", "C"], "v": range(6)})
    result = apply_plan(frame, Plan.from_dict({"suppression": {"k": 3, "quasi_identifiers": ["zip"]}}))
    assert result.frame["v"].tolist() == [0, 1, 2] and result.rows_dropped == 3 and result.k_after == 3


def test_suggested_plan_generalizes_just_enough_to_reach_k(adult):
    plan = suggest_plan(adult, ADULT_QIS, k=5, max_suppression=0.02)
    result = apply_plan(adult, plan)
    assert assess_risk(result.frame, ADULT_QIS).k >= 5
    assert result.rows_dropped <= 0.02 * len(adult)
    assert "sex" not in plan.columns and "race" not in plan.columns  # left alone: not needed
    # allowing 10% suppression, Adult needs no generalization at all (9.3% of records are below k=5)
    assert suggest_plan(adult, ADULT_QIS, k=5, max_suppression=0.10).columns == {}


def test_generalization_ladders_by_column_type():
    from analysis.anonymize.search import ladder

    frame = pd.DataFrame({"dob": ["1990-01-02", "1985-03-04"] * 30, "zip": ["12345", "67890"] * 30,
                          "age": list(range(60)), "city": [f"c{i % 12}" for i in range(60)]})
    assert [r.get("to") for r in ladder(frame, "dob", k=5)[:2]] == ["month", "year"]
    assert [r.get("keep") for r in ladder(frame, "zip", k=5)[:4]] == [4, 3, 2, 1]
    widths = [r["width"] for r in ladder(frame, "age", k=5)[:-1]]
    assert widths == sorted(widths) and len(widths) >= 3
    assert all(r == {"operator": "redact", "replacement": "*"} for r in
               [ladder(frame, c, k=5)[-1] for c in frame.columns])


def test_suggested_plan_uses_the_scan_for_identifiers_and_free_text():
    from types import SimpleNamespace

    from analysis.risk import columns_of_kind

    frame = load_sample("customers.csv").frame.head(300)
    kinds = {"customer_name": "direct_identifier", "email": "direct_identifier", "notes": "free_text",
             "zip": "quasi_identifier", "age": "quasi_identifier"}
    scan = SimpleNamespace(columns=[SimpleNamespace(name=c, kind=kinds.get(c, "other")) for c in frame.columns])
    plan = suggest_plan(frame, ["zip", "age"], k=3,
                        direct_identifiers=columns_of_kind(frame, scan, "direct_identifier"),
                        free_text=columns_of_kind(frame, scan, "free_text"))
    ops = {c: r.operator for c, r in plan.columns.items()}
    assert ops["customer_name"] == ops["email"] == "pseudonymize" and ops["notes"] == "text_redact"
    assert ops["age"] == "bin" and ops["zip"] in ("zip_truncate", "redact")
    assert assess_risk(apply_plan(frame, plan, secret=b"k" * 32).frame, ["zip", "age"]).k >= 3
    assert columns_of_kind(frame, None, "direct_identifier") == []
