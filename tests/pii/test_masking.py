"""Masked examples keep a value's shape and nothing else."""

from __future__ import annotations

import dataclasses

import pytest

from analysis.pii import KINDS, apply_kind_overrides, mask_value


@pytest.mark.parametrize("value,entity,expected", [
    ("john.smith@example.com", "EMAIL_ADDRESS", "j***@e***.com"),
    ("4111 1111 1111 1234", "CREDIT_CARD", "**** **** **** **34"),
    ("Jane Doe", "PERSON", "J*** D***"),
    ("(396) 001-3389", "PHONE_NUMBER", "(***) ***-**89"),
    ("1959-08-11", "DATE_TIME", "****-**-**"),
    ("M", "GENDER", "*"),
])
def test_mask_value(value, entity, expected):
    assert mask_value(value, entity) == expected


def test_mask_never_returns_the_value():
    for value in ["Mark Johnson", "178.57.203.186", "028-72-3258", "GB82 WEST 1234 5698 7654 32"]:
        assert mask_value(value) != value


def test_kind_overrides_mark_the_column_and_validate(customers_scan):
    corrected = apply_kind_overrides(customers_scan, {"plan": "quasi_identifier"})
    assert corrected.column("plan").kind == "quasi_identifier"
    assert corrected.column("plan").kind_overridden
    assert not corrected.column("email").kind_overridden
    assert customers_scan.column("plan").kind == "other"  # the original is unchanged
    assert "plan" in corrected.names_of_kind("quasi_identifier")
    with pytest.raises(ValueError, match="nonsense"):
        apply_kind_overrides(customers_scan, {"plan": "nonsense"})
    with pytest.raises(ValueError, match="no_such_column"):
        apply_kind_overrides(customers_scan, {"no_such_column": KINDS[0]})
    assert dataclasses.replace(corrected).to_dict()["columns"]
