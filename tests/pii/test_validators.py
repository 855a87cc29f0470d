"""Checksum and format validators: the evidence behind a classification and the guard against decoys."""

from __future__ import annotations

import pytest

from analysis.pii import validators as v
from analysis.pii.lexicons import name_hint, name_tokens


@pytest.mark.parametrize("number,ok", [("4111111111111111", True), ("4111 1111 1111 1111", True),
                                       ("5500-0000-0000-0004", True), ("378282246310005", True),
                                       ("4111111111111112", False), ("1234567812345670", False),
                                       ("ORD-1000000", False), ("4111", False)])
def test_credit_card_needs_luhn_and_issuer_prefix(number, ok):
    assert v.is_credit_card(number) is ok


def test_luhn_checksum():
    assert v.luhn_valid("79927398713")
    assert not v.luhn_valid("79927398710")


@pytest.mark.parametrize("iban,ok", [("GB82 WEST 1234 5698 7654 32", True), ("DE89370400440532013000", True),
                                     ("GB82WEST12345698765433", False), ("XX00", False)])
def test_iban_check_digits(iban, ok):
    assert v.iban_valid(iban) is ok


@pytest.mark.parametrize("ssn,ok", [("123-45-6789", True), ("123 45 6789", True), ("000-12-3456", False),
                                    ("666-12-3456", False), ("912-12-3456", False), ("123-00-4567", False),
                                    ("123-45-0000", False), ("111-11-1111", False), ("123456789", False)])
def test_ssn_rules(ssn, ok):
    assert v.ssn_valid(ssn) is ok


def test_undashed_ssn_only_when_the_column_name_says_so():
    assert v.ssn_valid("123456789", allow_undashed=True)


@pytest.mark.parametrize("value,ok", [("192.168.0.1", True), ("2001:db8::1", True), ("256.1.1.1", False),
                                      ("1.2.3", False), ("2.14.3", False)])
def test_ip_parsing(value, ok):
    assert v.ip_valid(value) is ok


@pytest.mark.parametrize("value,ok", [("1959-08-11", True), ("12/31/1980", True), ("31 Jan 1980", True),
                                      ("June 09, 2016", True), ("2023-02-30", False), ("70.28", False),
                                      ("1000000", False), ("48213", False)])
def test_date_parsing(value, ok):
    assert v.date_valid(value) is ok


def test_phone_requires_a_phone_layout_unless_the_name_says_phone():
    assert v.phone_valid("(212) 555-0143")
    assert v.phone_valid("+44 20 7946 0958")
    assert not v.phone_valid("2125550143")  # a bare 10-digit run is not a phone by itself
    assert v.phone_valid("2125550143", allow_bare=True)
    assert not v.phone_valid("123-45-6789")  # SSN shape
    assert not v.phone_valid("2023-01-05")  # a date


def test_street_address_and_postcodes():
    assert v.street_address("55940 Herrera Lane Apt. 849, Lake Curtis, WA 29757")
    assert v.street_address("12 Baker Street")
    assert not v.street_address("SKU-OG-0341")
    assert v.zip_valid("SW1A 1AA") and v.zip_valid("12345-6789") and not v.zip_valid("ABCDE")


def test_column_name_hints():
    assert name_tokens("dateOfBirth") == ["date", "of", "birth"]
    assert name_hint("customer_name") == "PERSON"
    assert name_hint("product_name") is None
    assert name_hint("E-mail") == "EMAIL_ADDRESS"
    assert name_hint("phone_verified") is None
    assert name_hint("marital-status") == "MARITAL_STATUS"
    assert name_hint("order_id") is None
