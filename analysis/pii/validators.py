"""Checksum and format validators for single values: Luhn, IBAN check digits, SSN rules, IP and
date parsing, phone and e-mail shape. Each takes a string and returns a bool; none raise.

They are the evidence behind a column's classification, and the guard against long digit runs being
read as cards, bank numbers, dates or phones.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re

_DIGITS = re.compile(r"\D")

EMAIL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
URL_RE = re.compile(r"^(?:https?://|www\.)[^\s/$.?#][^\s]*$", re.IGNORECASE)
CARD_RE = re.compile(r"^(?:\d[ -]?){12,18}\d$")
SSN_RE = re.compile(r"^(\d{3})[- .]?(\d{2})[- .]?(\d{4})$")
SSN_DASHED_RE = re.compile(r"^(\d{3})([- .])(\d{2})\2(\d{4})$")
NINO_RE = re.compile(r"^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]$",
                     re.IGNORECASE)
IBAN_RE = re.compile(r"^[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}$", re.IGNORECASE)
PHONE_CHARS_RE = re.compile(r"^\+?[\d\s().\-/]{7,24}(?:\s*(?:x|ext\.?)\s*\d{1,5})?$", re.IGNORECASE)
US_ZIP_RE = re.compile(r"^\d{5}(?:-\d{4})?$")
UK_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", re.IGNORECASE)
CA_POSTCODE_RE = re.compile(r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$", re.IGNORECASE)
STREET_RE = re.compile(
    r"^\d{1,6}[A-Za-z]?\s+(?:[\w.'-]+\s+){0,5}?(?:street|st|lane|ln|road|rd|avenue|ave|boulevard|blvd|drive|dr|"
    r"court|ct|way|place|pl|square|sq|terrace|ter|trail|trl|parkway|pkwy|highway|hwy|circle|cir|crescent|"
    r"close|row|walk|alley|loop|crossing|xing|plaza|pike|path|run|view|ridge|hill|hills|park|point|"
    r"gardens|grove|green|heights|mews|wharf|estates?|ranch|route|rte|stravenue|mall|station|port|"
    r"ports|pass|passage|vista|villages?|valley|track|tunnel|union|lakes?|landing|islands?|springs?|"
    r"fields?|falls|forks?|freeway|fwy|junction|jct|manor|meadows?|mill|mission|motorway|neck|orchard|"
    r"oval|overpass|pines|plains?|ramp|rapids?|rest|roads?|shoals?|shores?|skyway|spur|streets|summit|"
    r"throughway|trace|turnpike|underpass|viaduct|ville|ways|wells?|locks|lodge|light|bypass|burgs?|"
    r"brooks?|branch|bluffs?|bend|beach|cape|causeway|center|centers|cliffs?|club|common|commons|corners?|"
    r"course|courts|cove|coves|creek|crest|curve|dale|dam|divide|drives|expressway|extensions?|ferry|"
    r"flats?|ford|fords|forest|forge|forges|fort|gateway|glens?|greens|groves|harbors?|haven|inlet|isle|"
    r"keys?|knolls?|mount|mountains?|radial|shore|strasse|straße|weg|rue|calle|via)\b\.?",
    re.IGNORECASE)
PO_BOX_RE = re.compile(r"\b(?:p\.?\s?o\.?\s?box|apt\.?|suite|unit)\s*\d+", re.IGNORECASE)
AGE_TEXT_RE = re.compile(r"^\d{1,3}$")
INCOME_BRACKET_RE = re.compile(r"^(?:[<>]=?\s*\$?\d+(?:[.,]\d+)?\s*[kKmM]?\.?|\$?\d+[kK]?\s*-\s*\$?\d+[kK]?)$")

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y",
                "%Y%m%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%b %d %Y", "%B %d %Y",
                "%d-%b-%Y", "%d %b, %Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M:%SZ", "%m/%d/%y", "%d/%m/%y", "%Y.%m.%d")
_DATE_SHAPE_RE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?Z?)?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
    r"\d{1,2}[ -][A-Za-z]{3,9},?[ -]\d{4}|[A-Za-z]{3,9} \d{1,2},? \d{4}|\d{8})$")


def digits(value: str) -> str:
    return _DIGITS.sub("", value)


def luhn_valid(number: str) -> bool:
    """Luhn checksum over the digits of `number` (separators ignored)."""
    ds = digits(number)
    if not ds:
        return False
    total = 0
    for i, ch in enumerate(reversed(ds)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# Issuer identification prefixes of the major card schemes (Visa, Mastercard, Amex, Discover, JCB,
# Diners, Maestro, UnionPay).
_IIN_RE = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|6011|65|64[4-9]|35|30[0-5]|36|38|39|50|5[6-9]|6[0-9]|62)")


def is_credit_card(value: str) -> bool:
    """13-19 digits (spaces or dashes allowed), a known issuer prefix and a valid Luhn checksum."""
    value = value.strip()
    if not CARD_RE.match(value):
        return False
    ds = digits(value)
    return 13 <= len(ds) <= 19 and bool(_IIN_RE.match(ds)) and len(set(ds)) > 1 and luhn_valid(ds)


def iban_valid(value: str) -> bool:
    """ISO 13616 IBAN: country code, check digits, mod-97 == 1 over the rearranged string."""
    compact = value.replace(" ", "").upper()
    if not IBAN_RE.match(compact) or not (15 <= len(compact) <= 34):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def ssn_valid(value: str, *, allow_undashed: bool = False) -> bool:
    """US SSN shape (ddd-dd-dddd, or 9 digits when `allow_undashed`) and the SSA rules: area not 000,
    666 or 9xx; group not 00; serial not 0000; not all one digit."""
    value = value.strip()
    m = SSN_DASHED_RE.match(value)
    if m:
        area, group, serial = m.group(1), m.group(3), m.group(4)
    elif allow_undashed and re.fullmatch(r"\d{9}", value):
        area, group, serial = value[:3], value[3:5], value[5:]
    else:
        return False
    if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
        return False
    return len(set(area + group + serial)) > 1


def nino_valid(value: str) -> bool:
    return bool(NINO_RE.match(value.strip()))


def ip_valid(value: str) -> bool:
    """An IPv4 or IPv6 address (parsed by the ipaddress module)."""
    value = value.strip()
    if not value or len(value) > 45 or not (value.count(".") == 3 or ":" in value):
        return False
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def _parse_date(value: str) -> bool:  # no process-wide memo: its keys would be cell values
    for fmt in DATE_FORMATS:
        try:
            parsed = _dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return 1900 <= parsed.year <= 2100
    return False


def date_valid(value: str) -> bool:
    """A calendar date (optionally with a time) in a common format, year 1900-2100."""
    value = value.strip()
    if not _DATE_SHAPE_RE.match(value):
        return False
    return _parse_date(value)


def email_shape(value: str) -> bool:
    return "@" in value and bool(EMAIL_RE.match(value.strip()))


def url_shape(value: str) -> bool:
    return bool(URL_RE.match(value.strip()))


def phone_valid(value: str, *, allow_bare: bool = False) -> bool:
    """A phone number: 7-15 digits in a phone-like layout (separators, parentheses or a leading +),
    accepted by `phonenumbers` as a possible number (US default region). Bare digit runs count only
    when `allow_bare` (the column name says phone): a long digit run alone is not a phone."""
    value = value.strip()
    if not PHONE_CHARS_RE.match(value) or date_valid(value):
        return False
    ds = digits(value.split("x")[0].split("ext")[0])
    if not 7 <= len(ds) <= 15:
        return False
    formatted = bool(re.search(r"[\s().\-/]", value.strip("+"))) or value.startswith("+")
    if not formatted and not allow_bare:
        return False
    if formatted and re.fullmatch(r"\d{3}-\d{2}-\d{4}", value):  # SSN shape
        return False
    try:
        import phonenumbers

        parsed = phonenumbers.parse(value, None if value.startswith("+") else "US")
        return phonenumbers.is_possible_number(parsed)
    except Exception:
        return False


def zip_valid(value: str) -> bool:
    value = value.strip()
    return bool(US_ZIP_RE.match(value) or UK_POSTCODE_RE.match(value) or CA_POSTCODE_RE.match(value))


def street_address(value: str) -> bool:
    """A street address: a house number followed by a street-type word, or a PO box / apartment."""
    value = value.strip()
    return bool(STREET_RE.match(value)) or (bool(PO_BOX_RE.search(value)) and any(c.isalpha() for c in value))


def income_bracket(value: str) -> bool:
    return bool(INCOME_BRACKET_RE.match(value.strip()))
