"""European national identifiers and VAT numbers: a valid number passes, the same number with its
check character changed does not (one test per checksum type), and masking hides what they encode."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.pii import mask_value
from analysis.pii.columns import value_type
from analysis.pii import national_ids as ids

# (validator, a published or hand-checked valid number, the same with a wrong check character)
CHECKSUMS = [
    ("DE_TAX_ID", ids.de_tax_id_valid, "86095742719", "86095742718"),
    ("FR_NIR", ids.fr_nir_valid, "2 69 05 49 588 157 80", "2 69 05 49 588 157 81"),
    ("ES_NIF", ids.es_dni_valid, "12345678Z", "12345678A"),
    ("ES_NIE", ids.es_nie_valid, "X1234567L", "X1234567M"),
    ("IT_FISCAL_CODE", ids.it_fiscal_code_valid, "RSSMRA85T10A562S", "RSSMRA85T10A562T"),
    ("NL_BSN", ids.nl_bsn_valid, "111222333", "111222334"),
    ("PL_PESEL", ids.pl_pesel_valid, "44051401359", "44051401358"),
    ("PT_NIF", ids.pt_nif_valid, "123456789", "123456788"),
    ("UK_NHS", ids.uk_nhs_valid, "943 476 5919", "943 476 5918"),
]


@pytest.mark.parametrize("name,validate,good,bad", CHECKSUMS, ids=[c[0] for c in CHECKSUMS])
def test_each_identifier_rejects_a_wrong_check_character(name, validate, good, bad):
    assert validate(good)
    assert not validate(bad)


@pytest.mark.parametrize("entity,make", [("DE_TAX_ID", ids.make_de_tax_id), ("FR_NIR", ids.make_fr_nir),
                                         ("ES_NIF", ids.make_es_dni), ("ES_NIE", ids.make_es_nie),
                                         ("IT_FISCAL_CODE", ids.make_it_fiscal_code), ("NL_BSN", ids.make_nl_bsn),
                                         ("PL_PESEL", ids.make_pl_pesel), ("PT_NIF", ids.make_pt_nif),
                                         ("UK_NHS", ids.make_uk_nhs)])
def test_every_wrong_last_character_of_generated_numbers_is_rejected(entity, make):
    rng = np.random.default_rng(11)
    validate = ids.ID_BY_ENTITY[entity].validate
    for _ in range(50):
        number = make(rng)
        assert validate(number)
        alphabet = "TRWAGMYFPDXBNJZSQVHLCKE" if number[-1].isalpha() else "0123456789"
        for other in alphabet.replace(number[-1], ""):
            assert not validate(number[:-1] + other), (entity, number[:-1] + other)


def test_nir_of_someone_born_in_corsica():
    body = "185052A123456"  # department 2A counts as 19 in the key
    key = 97 - int(body.replace("2A", "19")) % 97
    assert ids.fr_nir_valid(f"{body}{key:02d}")
    assert not ids.fr_nir_valid(f"{body}{(key + 1) % 97:02d}")


def test_format_rules_of_the_uk_national_insurance_number():
    assert ids.uk_nino_valid("AB 12 34 56 C")
    assert not ids.uk_nino_valid("BG 12 34 56 C")  # never-issued prefix
    assert not ids.uk_nino_valid("AB 12 34 56 E")  # suffix A-D only


def test_pesel_needs_a_real_birth_date():
    assert not ids.pl_pesel_valid("44023101357")  # 31 February, even with its check digit right
    assert ids.pesel_birth_date("02270803628").isoformat() == "2002-07-08"  # month + 20: born in the 2000s


@pytest.mark.parametrize("vat,wrong", [("DE136695976", "DE136695977"), ("FR40303265045", "FR41303265045"),
                                       ("IT00743110157", "IT00743110158"), ("NL004495445B01", "NL004495446B01"),
                                       ("PT501964843", "PT501964844"), ("GB980780684", "GB980780685"),
                                       ("ATU13585627", "ATU13585628"), ("BE0403019261", "BE0403019262"),
                                       ("ESA58375676", "ESA58375677"), ("PL5260001246", "PL5260001247")])
def test_vat_numbers_need_a_valid_checksum(vat, wrong):
    assert ids.vat_check(vat) == "checksum"
    assert ids.vat_check(wrong) is None


def test_vat_countries_without_a_checksum_here_match_on_format_only():
    assert ids.vat_check("DK13585628") == "format"
    assert ids.vat_check("XX123456789") is None
    assert ids.vat_check("DE12345") is None


def test_generated_vat_numbers_validate():
    rng = np.random.default_rng(3)
    for country in ("AT", "BE", "DE", "ES", "FR", "GB", "IT", "NL", "PL", "PT"):
        assert ids.vat_check(ids.make_vat(rng, country)) == "checksum"


def test_iban_keeps_its_country_code_when_masked():
    assert mask_value("DE89 3704 0044 0532 0130 00", "IBAN_CODE") == "DE** **** **** **** **** 00"
    assert mask_value("FR7630006000011234567890189", value_type("FR7630006000011234567890189")).startswith("FR*")


def test_identifiers_that_encode_a_birth_date_are_masked_whole():
    for value in ("44051401359", "RSSMRA85T10A562S", "269054958815780"):
        assert set(mask_value(value, value_type(value))) == {"*"}
    assert mask_value("12345678Z", "ES_NIF") == "*******8Z"


def test_birth_date_encoded_in_identifiers():
    assert ids.birth_date_in_id("PL_PESEL", "44051401359") == "1944-05-14"
    assert ids.birth_date_in_id("IT_FISCAL_CODE", "RSSMRA85T10A562S") == "1985-12-10"
    assert ids.birth_date_in_id("FR_NIR", "2 69 05 49 588 157 80") == "1969-05"
    assert ids.birth_date_in_id("NL_BSN", "111222333") is None


def test_recognizer_drops_pattern_matches_whose_checksum_fails():
    recognizer = ids.id_recognizer(ids.ID_BY_ENTITY["PL_PESEL"], "en")
    found = recognizer.analyze("PESEL 44051401359, typo 44051401358.", ["PL_PESEL"])
    assert [(r.start, r.end) for r in found] == [(6, 17)]
