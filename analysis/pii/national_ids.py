"""European national identifiers and VAT numbers: checksum validators, generators of valid numbers
(for the evaluation set and tests), the birth date an identifier encodes, and Presidio recognizers.

Every validator takes a string and returns a bool, never raises, and accepts a number only when its
checksum (or, for the UK National Insurance number, which has none, its format rules) holds:

| entity          | country | rule                                                                   |
| --------------- | ------- | ---------------------------------------------------------------------- |
| DE_TAX_ID       | de      | Steuer-IdNr: 11 digits, one digit repeated 2-3 times, ISO 7064 MOD 11,10 |
| FR_NIR          | fr      | numéro de sécurité sociale: 13 digits (2A/2B Corsica) + key 97 - n mod 97 |
| ES_NIF / ES_NIE | es      | DNI 8 digits / NIE X,Y,Z + 7 digits, + letter of n mod 23               |
| IT_FISCAL_CODE  | it      | codice fiscale: 16 characters, check letter (odd/even tables, mod 26)   |
| NL_BSN          | nl      | 9 digits, elfproef (weights 9..2, -1 on the last; sum mod 11 = 0)       |
| PL_PESEL        | pl      | 11 digits, weights 1,3,7,9 mod 10, and a real birth date                |
| PT_NIF          | pt      | 9 digits, first in 1,2,3,5,6,8,9, weights 9..2 mod 11                   |
| UK_NHS          | en-GB   | 10 digits, weights 10..2 mod 11 (a check of 10 is never issued)          |
| UK_NINO         | en-GB   | format rules only (no checksum exists): prefixes, digits, suffix A-D     |
| EU_VAT          | all     | country prefix + per-country format; checksum for AT BE DE ES FR GB IT NL PL PT |

Presidio names are kept where Presidio has the type (DE_TAX_ID, ES_NIF, ES_NIE, IT_FISCAL_CODE,
PL_PESEL, UK_NHS, UK_NINO).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

_SEP = re.compile(r"[\s.\-/]")


def _compact(value: str) -> str:
    return _SEP.sub("", str(value).strip()).upper()


def _mod11_10(digits: str) -> int:
    """ISO 7064 MOD 11,10 check digit of `digits`."""
    product = 10
    for ch in digits:
        total = (int(ch) + product) % 10 or 10
        product = (total * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# ------------------------------------------------------------------------------------------------
# Validators


def de_tax_id_valid(value: str) -> bool:
    s = _compact(value)
    if not re.fullmatch(r"[1-9]\d{10}", s):
        return False
    counts = sorted((s[:10].count(d) for d in set(s[:10])), reverse=True)
    if counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] > 1):
        return False
    if counts[0] == 3 and re.search(r"(\d)\1\1", s[:10]):  # a digit three times is never consecutive
        return False
    return _mod11_10(s[:10]) == int(s[10])


def _nir_number(s: str) -> Optional[int]:
    body = s[:13].replace("2A", "19").replace("2B", "18") if s[5:7] in ("2A", "2B") else s[:13]
    return int(body) if body.isdigit() else None


def fr_nir_valid(value: str) -> bool:
    s = _compact(value)
    if not re.fullmatch(r"[1-478]\d{4}(?:\d{2}|2A|2B)\d{6}\d{2}", s):
        return False
    month = int(s[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return False
    n = _nir_number(s)
    return n is not None and 97 - n % 97 == int(s[13:])


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_dni_valid(value: str) -> bool:
    s = _compact(value)
    return bool(re.fullmatch(r"\d{8}[A-Z]", s)) and _DNI_LETTERS[int(s[:8]) % 23] == s[8]


def es_nie_valid(value: str) -> bool:
    s = _compact(value)
    return bool(re.fullmatch(r"[XYZ]\d{7}[A-Z]", s)) and _DNI_LETTERS[int(str("XYZ".index(s[0])) + s[1:8]) % 23] == s[8]


_CF_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                   [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8,
                    12, 14, 16, 10, 22, 25, 24, 23]))
_CF_MONTHS = "ABCDEHLMPRST"
_CF_OMOCODE = "LMNPQRSTUV"  # digits replaced by letters when two people share a code
_CF_RE = re.compile(r"[A-Z]{6}[\dLMNPQRSTUV]{2}[ABCDEHLMPRST][\dLMNPQRSTUV]{2}[A-Z][\dLMNPQRSTUV]{3}[A-Z]")


def _cf_check(body: str) -> str:
    total = 0
    for i, ch in enumerate(body):
        total += _CF_ODD[ch] if i % 2 == 0 else (int(ch) if ch.isdigit() else ord(ch) - 65)
    return chr(65 + total % 26)


def it_fiscal_code_valid(value: str) -> bool:
    s = _compact(value)
    if not _CF_RE.fullmatch(s):
        return False
    day = int("".join(str(_CF_OMOCODE.index(c)) if c.isalpha() else c for c in s[9:11]))
    return (1 <= day <= 31 or 41 <= day <= 71) and _cf_check(s[:15]) == s[15]


def nl_bsn_valid(value: str) -> bool:
    s = _compact(value)
    if not re.fullmatch(r"\d{9}", s) or s == "000000000":
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0


_PESEL_W = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_PESEL_CENTURY = {0: 1900, 2: 2000, 4: 2100, 6: 2200, 8: 1800}


def pesel_birth_date(value: str) -> Optional[dt.date]:
    s = _compact(value)
    if not re.fullmatch(r"\d{11}", s):
        return None
    month = int(s[2:4])
    century = _PESEL_CENTURY[(month // 20) * 2]
    try:
        return dt.date(century + int(s[:2]), month % 20, int(s[4:6]))
    except ValueError:
        return None


def pl_pesel_valid(value: str) -> bool:
    s = _compact(value)
    if not re.fullmatch(r"\d{11}", s) or pesel_birth_date(s) is None:
        return False
    return (10 - sum(int(s[i]) * _PESEL_W[i] for i in range(10)) % 10) % 10 == int(s[10])


def _pt_check(s8: str) -> int:
    r = sum(int(s8[i]) * (9 - i) for i in range(8)) % 11
    return 0 if r < 2 else 11 - r


def pt_nif_valid(value: str) -> bool:
    s = _compact(value)
    return bool(re.fullmatch(r"[1235689]\d{8}", s)) and _pt_check(s[:8]) == int(s[8])


def uk_nhs_valid(value: str) -> bool:
    s = _compact(value)
    if not re.fullmatch(r"\d{10}", s) or len(set(s)) == 1:
        return False
    check = 11 - sum(int(s[i]) * (10 - i) for i in range(9)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(s[9])


def uk_nino_valid(value: str) -> bool:
    from analysis.pii.validators import nino_valid

    return nino_valid(value)


# VAT: country -> (body regex after the prefix, checksum or None for format only)
def _vat_de(b: str) -> bool:
    return _mod11_10(b[:8]) == int(b[8])


def _vat_fr(b: str) -> bool:
    key, siren = b[:2], b[2:]
    return key.isdigit() and int(key) == (12 + 3 * (int(siren) % 97)) % 97


def _vat_it(b: str) -> bool:
    return _luhn(b)


def _cif_control(b: str) -> int:
    digits = b[1:8]
    total = sum(int(digits[i]) for i in (1, 3, 5))
    for i in (0, 2, 4, 6):
        d = int(digits[i]) * 2
        total += d // 10 + d % 10
    return (10 - total % 10) % 10


def _vat_es(b: str) -> bool:
    if b[0].isdigit():
        return es_dni_valid(b)
    if b[0] in "XYZ":
        return es_nie_valid(b)
    c = _cif_control(b)
    return b[8] == str(c) or b[8] == "JABCDEFGHI"[c]


def _vat_nl(b: str) -> bool:
    if nl_bsn_valid(b[:9]):
        return True
    text = "NL" + b  # mod 97 numbers (sole proprietors since 2020)
    return int("".join(str(int(ch, 36)) for ch in text)) % 97 == 1


def _vat_pl(b: str) -> bool:
    check = sum(int(b[i]) * w for i, w in enumerate((6, 5, 7, 2, 3, 4, 5, 6, 7))) % 11
    return check != 10 and check == int(b[9])


def _vat_be(b: str) -> bool:
    return 97 - int(b[:8]) % 97 == int(b[8:])


def _vat_at(b: str) -> bool:
    total = 0
    for i, ch in enumerate(b[1:8]):
        d = int(ch) * (2 if i % 2 else 1)
        total += d // 10 + d % 10
    return (96 - total) % 10 == int(b[8])


def _vat_gb(b: str) -> bool:
    if len(b) not in (9, 12):
        return False
    total = sum(int(b[i]) * (8 - i) for i in range(7)) + int(b[7:9])
    return total % 97 == 0 or (total + 55) % 97 == 0


VAT_FORMATS: dict[str, tuple[str, Optional[Callable[[str], bool]]]] = {
    "AT": (r"U\d{8}", _vat_at), "BE": (r"[01]\d{9}", _vat_be), "DE": (r"\d{9}", _vat_de),
    "ES": (r"[0-9A-Z]\d{7}[0-9A-Z]", _vat_es), "FR": (r"[0-9A-HJ-NP-Z]{2}\d{9}", _vat_fr),
    "GB": (r"\d{9}(?:\d{3})?", _vat_gb), "IT": (r"\d{11}", _vat_it), "NL": (r"\d{9}B\d{2}", _vat_nl),
    "PL": (r"\d{10}", _vat_pl), "PT": (r"\d{9}", lambda b: pt_nif_valid(b)),
    # format only (their checksums are not implemented here; a match scores lower, see VAT_FORMAT_ONLY_SCORE)
    "BG": (r"\d{9,10}", None), "CY": (r"\d{8}[A-Z]", None), "CZ": (r"\d{8,10}", None), "DK": (r"\d{8}", None),
    "EE": (r"\d{9}", None), "EL": (r"\d{9}", None), "FI": (r"\d{8}", None), "HR": (r"\d{11}", None),
    "HU": (r"\d{8}", None), "IE": (r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]", None), "LT": (r"\d{9}|\d{12}", None),
    "LU": (r"\d{8}", None), "LV": (r"\d{11}", None), "MT": (r"\d{8}", None), "RO": (r"\d{2,10}", None),
    "SE": (r"\d{10}01", None), "SI": (r"\d{8}", None), "SK": (r"\d{10}", None),
}
VAT_FORMAT_ONLY_SCORE = 0.6


def vat_check(value: str) -> Optional[str]:
    """'checksum' when a VAT number's format and checksum hold, 'format' when its country has no
    checksum here and the format holds, else None."""
    s = _compact(value)
    if len(s) < 8 or len(s) > 16:
        return None
    spec = VAT_FORMATS.get(s[:2])
    if spec is None or not re.fullmatch(spec[0], s[2:]):
        return None
    if spec[1] is None:
        return "format"
    try:
        return "checksum" if spec[1](s[2:]) else None
    except (ValueError, IndexError):
        return None


def eu_vat_valid(value: str) -> bool:
    return vat_check(value) is not None


# ------------------------------------------------------------------------------------------------
# Generators of valid numbers (evaluation set, tests)


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, size=n))


def make_de_tax_id(rng) -> str:
    while True:
        pool = list(rng.permutation(10))
        first = [d for d in pool if d != 0][:1]
        rest = [d for d in pool if d not in first][:8]
        body = first + rest
        body.insert(int(rng.integers(1, 10)), body[int(rng.integers(0, 9))])  # one digit twice
        s = "".join(str(int(d)) for d in body)
        if de_tax_id_valid(s + str(_mod11_10(s))):
            return s + str(_mod11_10(s))


def make_fr_nir(rng, birth: Optional[dt.date] = None) -> str:
    birth = birth or dt.date(int(rng.integers(1940, 2005)), int(rng.integers(1, 13)), 1)
    dept = f"{int(rng.integers(1, 96)):02d}"
    dept = "2A" if dept == "20" else dept
    body = f"{int(rng.integers(1, 3))}{birth.year % 100:02d}{birth.month:02d}{dept}{int(rng.integers(1, 990)):03d}" \
           f"{int(rng.integers(1, 999)):03d}"
    return body + f"{97 - _nir_number(body + '00') % 97:02d}"


def make_es_dni(rng) -> str:
    n = _digits(rng, 8)
    return n + _DNI_LETTERS[int(n) % 23]


def make_es_nie(rng) -> str:
    k, n = int(rng.integers(0, 3)), _digits(rng, 7)
    return "XYZ"[k] + n + _DNI_LETTERS[int(str(k) + n) % 23]


def make_it_fiscal_code(rng, birth: Optional[dt.date] = None) -> str:
    birth = birth or dt.date(int(rng.integers(1940, 2005)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
    letters = "".join(chr(65 + int(x)) for x in rng.integers(0, 26, size=6))
    day = birth.day + (40 if rng.random() < 0.5 else 0)
    body = (f"{letters}{birth.year % 100:02d}{_CF_MONTHS[birth.month - 1]}{day:02d}"
            f"{chr(65 + int(rng.integers(0, 26)))}{int(rng.integers(1, 999)):03d}")
    return body + _cf_check(body)


def make_nl_bsn(rng) -> str:
    while True:
        s = _digits(rng, 8)
        check = sum(int(s[i]) * (9 - i) for i in range(8)) % 11
        if check < 10 and s[0] != "0":
            return s + str(check)


def make_pl_pesel(rng, birth: Optional[dt.date] = None) -> str:
    birth = birth or dt.date(int(rng.integers(1940, 2012)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
    month = birth.month + {1800: 80, 1900: 0, 2000: 20, 2100: 40, 2200: 60}[birth.year // 100 * 100]
    s = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{_digits(rng, 4)}"
    return s + str((10 - sum(int(s[i]) * _PESEL_W[i] for i in range(10)) % 10) % 10)


def make_pt_nif(rng) -> str:
    s = "1235689"[int(rng.integers(0, 7))] + _digits(rng, 7)
    return s + str(_pt_check(s))


def make_uk_nhs(rng) -> str:
    while True:
        s = _digits(rng, 9)
        check = 11 - sum(int(s[i]) * (10 - i) for i in range(9)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return s + str(check)


def make_uk_nino(rng) -> str:
    first, second = "ABCEGHJKLMNPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
    while True:
        prefix = first[int(rng.integers(len(first)))] + second[int(rng.integers(len(second)))]
        s = prefix + _digits(rng, 6) + "ABCD"[int(rng.integers(4))]
        if uk_nino_valid(s):
            return s


def make_vat(rng, country: str) -> str:
    """A VAT number of `country` (AT BE DE ES FR GB IT NL PL PT) whose checksum holds."""
    for _ in range(10_000):
        body = {"AT": lambda: "U" + _digits(rng, 8), "BE": lambda: "0" + _digits(rng, 9),
                "DE": lambda: _digits(rng, 9), "ES": lambda: make_es_dni(rng),
                "FR": lambda: (lambda siren: f"{(12 + 3 * (int(siren) % 97)) % 97:02d}" + siren)(_digits(rng, 9)),
                "GB": lambda: _digits(rng, 9), "IT": lambda: _digits(rng, 11),
                "NL": lambda: make_nl_bsn(rng) + "B" + f"{int(rng.integers(1, 100)):02d}",
                "PL": lambda: _digits(rng, 10), "PT": lambda: make_pt_nif(rng)}[country]()
        if vat_check(country + body) == "checksum":
            return country + body
    raise AssertionError(f"no valid {country} VAT number drawn")


# ------------------------------------------------------------------------------------------------
# Birth dates encoded in identifiers


def birth_date_in_id(entity: str, value: str) -> Optional[str]:
    """The birth date an identifier encodes, as precisely as it encodes it ('1985-03-14' for PESEL and
    codice fiscale, '1985-03' for the French NIR), or None (the others encode none)."""
    s = _compact(value)
    if entity == "PL_PESEL" and pl_pesel_valid(s):
        born = pesel_birth_date(s)
        return born.isoformat() if born else None
    if entity == "FR_NIR" and fr_nir_valid(s):
        yy, mm = int(s[1:3]), int(s[3:5])
        if not 1 <= mm <= 12:
            return None
        return f"{(1900 if yy > dt.date.today().year % 100 else 2000) + yy}-{mm:02d}"
    if entity == "IT_FISCAL_CODE" and it_fiscal_code_valid(s):
        plain = "".join(str(_CF_OMOCODE.index(c)) if c in _CF_OMOCODE and i in (6, 7, 9, 10) else c
                        for i, c in enumerate(s))
        yy, mm, day = int(plain[6:8]), _CF_MONTHS.index(plain[8]) + 1, int(plain[9:11]) % 40
        year = (1900 if yy > dt.date.today().year % 100 else 2000) + yy
        try:
            return dt.date(year, mm, day).isoformat()
        except ValueError:
            return None
    return None


# ------------------------------------------------------------------------------------------------
# The types, for columns and free text


@dataclass(frozen=True)
class IdType:
    entity: str
    locale: str           # the locale that enables it (analysis.pii.locales)
    text_pattern: str     # regex for free text (validated before it counts)
    validate: Callable[[str], bool]
    context: tuple[str, ...]
    encodes_birth_date: bool = False


ID_TYPES: tuple[IdType, ...] = (
    IdType("DE_TAX_ID", "de", r"\b[1-9]\d(?: ?\d{3}){3}\b|\b[1-9]\d{10}\b", de_tax_id_valid,
           ("steuer", "steuerid", "identifikationsnummer", "idnr", "steuer-idnr")),
    IdType("FR_NIR", "fr", r"\b[1-478] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2}\b", fr_nir_valid,
           ("sécurité", "securite", "sociale", "nir", "insee", "vitale"), True),
    IdType("ES_NIF", "es", r"\b\d{8}-?[A-Z]\b", es_dni_valid, ("dni", "nif", "documento")),
    IdType("ES_NIE", "es", r"\b[XYZ]-?\d{7}-?[A-Z]\b", es_nie_valid, ("nie", "extranjero")),
    IdType("IT_FISCAL_CODE", "it", r"\b[A-Z]{6}[\dLMNPQRSTUV]{2}[A-Z][\dLMNPQRSTUV]{2}[A-Z][\dLMNPQRSTUV]{3}[A-Z]\b",
           it_fiscal_code_valid, ("codice", "fiscale", "cf"), True),
    IdType("NL_BSN", "nl", r"\b\d{4}\.?\d{2}\.?\d{3}\b|\b\d{9}\b", nl_bsn_valid,
           ("bsn", "burgerservicenummer", "sofinummer")),
    IdType("PL_PESEL", "pl", r"\b\d{11}\b", pl_pesel_valid, ("pesel",), True),
    IdType("PT_NIF", "pt", r"\b[1235689]\d{2} ?\d{3} ?\d{3}\b", pt_nif_valid, ("nif", "contribuinte", "fiscal")),
    IdType("UK_NHS", "en-GB", r"\b\d{3}[- ]?\d{3}[- ]?\d{4}\b", uk_nhs_valid, ("nhs", "health")),
    IdType("UK_NINO", "en-GB", r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", uk_nino_valid,
           ("national insurance", "nino", "ni number")),
    IdType("EU_VAT", "*", r"\b(?:" + "|".join(VAT_FORMATS) + r") ?[0-9A-Z][0-9A-Z .+*]{6,14}[0-9A-Z]\b", eu_vat_valid,
           ("vat", "ust", "ustid", "tva", "iva", "btw", "nip", "mwst", "intracommunautaire")),
)
ID_ENTITIES = frozenset(t.entity for t in ID_TYPES)
ID_BY_ENTITY = {t.entity: t for t in ID_TYPES}


def id_recognizer(id_type: IdType, language: str):
    """A Presidio PatternRecognizer for `id_type` whose matches count only when the checksum holds."""
    from presidio_analyzer import Pattern, PatternRecognizer

    validate = id_type.validate

    class ChecksumRecognizer(PatternRecognizer):
        def validate_result(self, pattern_text: str):  # noqa: D102 - False drops the match
            return bool(validate(pattern_text))

    return ChecksumRecognizer(supported_entity=id_type.entity, name=f"{id_type.entity.title().replace('_', '')}Checksum",
                              patterns=[Pattern(id_type.entity.lower(), id_type.text_pattern, 0.6)],
                              context=list(id_type.context), supported_language=language)
