"""Each column operator on small hand-checked inputs."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest

from analysis.anonymize import Plan, apply_plan, redact_spans

SECRET = b"0123456789abcdef0123456789abcdef"


def run(frame: pd.DataFrame, column: str, operator: str, secret=SECRET, **params) -> pd.Series:
    plan = Plan.from_dict({"columns": {column: {"operator": operator, **params}}})
    return apply_plan(frame, plan, secret=secret).frame[column]


def test_redact_and_partial_mask():
    frame = pd.DataFrame({"card": ["4111111111111111", "5500000000000004", None]})
    assert run(frame, "card", "redact").tolist()[:2] == ["[REDACTED]", "[REDACTED]"]
    assert pd.isna(run(frame, "card", "redact").iloc[2])
    masked = run(frame, "card", "mask", keep_last=4)
    assert masked.tolist()[:2] == ["************1111", "************0004"] and pd.isna(masked.iloc[2])
    assert run(frame, "card", "mask", keep_first=2, keep_last=0, char="#").iloc[0] == "41" + "#" * 14


def test_pseudonyms_are_keyed_hmac_sha256_and_consistent_across_files():
    a = pd.DataFrame({"email": ["ada@example.com", "bo@example.com", "ada@example.com"]})
    b = pd.DataFrame({"email": ["bo@example.com", "cy@example.com"]})
    tokens_a = run(a, "email", "pseudonymize")
    tokens_b = run(b, "email", "pseudonymize")
    want = hmac.new(SECRET, b"ada@example.com", hashlib.sha256).hexdigest()[:16]
    assert tokens_a.iloc[0] == tokens_a.iloc[2] == want
    assert tokens_a.iloc[1] == tokens_b.iloc[0]                       # same value, same token, other file
    other = run(a, "email", "pseudonymize", secret=b"another-secret-of-32-bytes-length")
    assert other.iloc[0] != want                                      # a different secret, other tokens
    assert run(a, "email", "pseudonymize", length=32, prefix="u_").iloc[0] == "u_" + hmac.new(
        SECRET, b"ada@example.com", hashlib.sha256).hexdigest()[:32]


def test_numeric_bins_by_width_and_edges():
    frame = pd.DataFrame({"age": [17, 30, 39, 40, 70, -1], "score": [0.5, 2.4, 2.5, 7.0, 9.9, 1.0]})
    assert run(frame, "age", "bin", width=10).tolist() == ["10-19", "30-39", "30-39", "40-49", "70-79", "-10--1"]
    assert run(frame, "age", "bin", edges=[0, 18, 65]).tolist() == ["0-17", "18-64", "18-64", "18-64", ">=65", "<0"]
    assert run(frame, "score", "bin", width=2.5).tolist()[:3] == ["[0, 2.5)", "[0, 2.5)", "[2.5, 5)"]


def test_date_truncation_and_zip_truncation():
    frame = pd.DataFrame({"dob": ["1959-08-11", "1997-08-17", "not a date"], "zip": [29757, 2134, 10001]})
    years = run(frame, "dob", "date_truncate", to="year")
    assert years.tolist()[:2] == ["1959", "1997"] and pd.isna(years.iloc[2])
    assert run(frame, "dob", "date_truncate", to="month").tolist()[:2] == ["1959-08", "1997-08"]
    assert run(frame, "zip", "zip_truncate", keep=3).tolist() == ["297**", "021**", "100**"]
    assert run(frame, "zip", "zip_truncate", keep=2, fill="").tolist() == ["29", "02", "10"]


def test_category_hierarchy_with_and_without_default():
    frame = pd.DataFrame({"country": ["France", "Peru", "Laos", None]})
    mapping = {"France": "Europe", "Peru": "Latin-America"}
    kept = run(frame, "country", "hierarchy", mapping=mapping)
    assert kept.tolist()[:3] == ["Europe", "Latin-America", "Laos"] and pd.isna(kept.iloc[3])
    other = run(frame, "country", "hierarchy", mapping=mapping, default="Other")
    assert other.tolist()[:3] == ["Europe", "Latin-America", "Other"] and pd.isna(other.iloc[3])


def test_top_and_bottom_coding():
    frame = pd.DataFrame({"income": [0, 10, 50, 99, 1000]})
    assert run(frame, "income", "top_bottom_code", lower=5, upper=100).tolist() == [5, 10, 50, 99, 100]
    coded = run(frame, "income", "top_bottom_code", upper_quantile=0.75)
    assert coded.max() == pytest.approx(np.quantile([0, 10, 50, 99, 1000], 0.75))


def test_faker_surrogates_are_consistent_and_seeded():
    frame = pd.DataFrame({"name": ["Ada Lovelace", "Bo Diddley", "Ada Lovelace"]})
    fake = run(frame, "name", "surrogate", provider="name", seed=7)
    assert fake.iloc[0] == fake.iloc[2] != fake.iloc[1]
    assert not set(fake) & set(frame["name"])
    assert run(frame, "name", "surrogate", provider="name", seed=7).tolist() == fake.tolist()  # reproducible
    assert run(frame, "name", "surrogate", provider="name", seed=8).iloc[0] != fake.iloc[0]
    assert "@" in run(frame, "name", "surrogate", provider="email").iloc[0]


def test_span_redaction_uses_presidio_operators():
    text = "Call Ada at 555-123-4567"
    spans = [{"entity_type": "PERSON", "start": 5, "end": 8, "score": 0.9},
             {"entity_type": "PHONE_NUMBER", "start": 12, "end": 24, "score": 0.4}]
    assert redact_spans(text, spans) == "Call <PERSON> at <PHONE_NUMBER>"
    assert redact_spans(text, spans, score_threshold=0.5) == "Call <PERSON> at 555-123-4567"
    assert redact_spans(text, spans, entities=["PHONE_NUMBER"], new_value="[phone]") == "Call Ada at [phone]"
    assert redact_spans(text, spans, operator="mask") == "Call *** at ************"
    with pytest.raises(ValueError, match="outside"):
        redact_spans(text, [{"entity_type": "PERSON", "start": 20, "end": 40, "score": 1.0}])


def test_free_text_column_redaction_with_pattern_finder():
    frame = pd.DataFrame({"notes": ["Mail ada@example.com or call (396) 001-3389.", None, "No personal data."]})
    plan = Plan.from_dict({"columns": {"notes": {"operator": "text_redact", "finder": "patterns"}}})
    result = apply_plan(frame, plan)
    assert result.frame["notes"].iloc[0] == "Mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>."
    assert pd.isna(result.frame["notes"].iloc[1]) and result.frame["notes"].iloc[2] == "No personal data."
    assert result.text_spans_redacted == 2 and result.cells_changed["notes"] == 1


def test_drop_and_keep():
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    result = apply_plan(frame, Plan.from_dict({"columns": {"a": "drop", "b": "keep"}}))
    assert list(result.frame.columns) == ["b"] and result.columns_dropped == ["a"]
    assert result.cells_changed == {"a": 2, "b": 0}


@pytest.mark.parametrize("operator, params", [("bin", {"width": 10}), ("top_bottom_code", {"upper": 5}),
                                              ("date_truncate", {"to": "year"})])
def test_type_mismatch_is_a_clear_error_not_silent_blanks(operator, params):
    frame = pd.DataFrame({"city": ["Paris", "Oslo"]})
    with pytest.raises(ValueError, match="column 'city'"):
        run(frame, "city", operator, **params)


def test_unknown_faker_locale_is_rejected_when_the_plan_is_read():
    with pytest.raises(ValueError, match="unknown Faker locale"):
        Plan.from_dict({"columns": {"n": {"operator": "surrogate", "locale": "xx_XX"}}})
