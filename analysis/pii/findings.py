"""Result types of the PII scan, and `mask_value` for showing an example without revealing it."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from analysis.pii.national_ids import ID_BY_ENTITY, ID_ENTITIES
from analysis.results import Result

KINDS = ("direct_identifier", "quasi_identifier", "sensitive", "free_text", "other")

# Entity types beyond Presidio's own names (documented in docs/pii.md).
CUSTOM_ENTITIES = ("AGE", "ZIP_CODE", "GENDER", "MARITAL_STATUS", "OCCUPATION", "EDUCATION", "HEALTH",
                   "INCOME", "RELIGION", "DENY_LIST", "RECORD_ID", "CRIMINAL_OFFENCE")
DIRECT_ENTITIES = frozenset({"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "UK_NINO", "CREDIT_CARD",
                             "IBAN_CODE", "IP_ADDRESS", "US_PASSPORT", "US_DRIVER_LICENSE", "MEDICAL_LICENSE",
                             "CRYPTO", "DENY_LIST", "RECORD_ID"} | ID_ENTITIES)  # + European IDs and VAT numbers
QUASI_ENTITIES = frozenset({"ZIP_CODE", "AGE", "GENDER", "MARITAL_STATUS", "NRP", "OCCUPATION", "EDUCATION",
                            "LOCATION", "DATE_TIME", "URL"})
SENSITIVE_ENTITIES = frozenset({"HEALTH", "INCOME", "RELIGION", "CRIMINAL_OFFENCE"})


@dataclass(frozen=True)
class EntityFinding(Result):
    """One entity type in a column. `prevalence` is the share of non-null values that match (for free
    text: of rows with at least one span); `ci_low`/`ci_high` its 95% Wilson interval when rows were
    sampled (equal to `prevalence` when every row was read); `score` the mean confidence in [0, 1]."""

    type: str
    prevalence: float
    score: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ColumnFinding(Result):
    """What one column holds: its kind, the entity types found (by prevalence, highest first), why
    (evidence), a few masked example matches, and whether the user corrected the kind.

    `mixed_types` is set for a column of mixed direct identifiers (a contact column of e-mails or
    phones, where no type alone reaches its threshold but together they cover most values): each
    type's share of the non-null values, highest first; empty for a column of one type.

    `language` is the detected language of a free-text column (None for other columns).
    `special_category` names the GDPR special category the column holds ("racial or ethnic origin
    (GDPR Art. 9)", "criminal convictions and offences (GDPR Art. 10)"), whatever its kind; "" for none."""

    name: str
    kind: str
    entities: list[EntityFinding]
    evidence: list[str]
    examples: list[str]
    kind_overridden: bool = False
    mixed_types: dict[str, float] = field(default_factory=dict)
    language: Optional[str] = None
    special_category: str = ""

    @property
    def top_entity(self) -> Optional[str]:
        return self.entities[0].type if self.entities else None

    @property
    def entity_label(self) -> Optional[str]:
        """The column's type as one label: the top entity, or the mixed types sorted and joined by '|'
        ('EMAIL_ADDRESS|PHONE_NUMBER')."""
        return "|".join(sorted(self.mixed_types)) if self.mixed_types else self.top_entity


@dataclass(frozen=True)
class ScanResult(Result):
    """A table's PII scan. `ner_model` is None when the scan ran on pattern recognizers only (see
    `notes`). `sample_rows` is how many rows were read to classify (== rows when all were read)."""

    columns: list[ColumnFinding]
    rows: int
    seconds: float
    sample_rows: int
    ner_model: Optional[str]
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def column(self, name: str) -> ColumnFinding:
        for finding in self.columns:
            if finding.name == name:
                return finding
        raise KeyError(f"no column named {name!r} in the scan; columns are {[c.name for c in self.columns]}")

    def names_of_kind(self, kind: str) -> list[str]:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        return [c.name for c in self.columns if c.kind == kind]


@dataclass(frozen=True)
class TextSpan(Result):
    """A PII span in free text: `row` is the 0-based position of the value in the series scanned;
    `start`/`end` are character offsets in that value."""

    row: int
    entity_type: str
    start: int
    end: int
    score: float


def apply_kind_overrides(scan: ScanResult, overrides: dict[str, str]) -> ScanResult:
    """A copy of `scan` with the user's kind corrections applied (`kind_overridden=True` on those)."""
    if not isinstance(overrides, dict):
        raise ValueError(f"overrides must be a dict of column -> kind, got {type(overrides).__name__}")
    names = {c.name for c in scan.columns}
    for column, kind in overrides.items():
        if column not in names:
            raise ValueError(f"override for unknown column {column!r}")
        if kind not in KINDS:
            raise ValueError(f"override kind for {column!r} must be one of {KINDS}, got {kind!r}")
    columns = []
    for finding in scan.columns:
        if finding.name in overrides and overrides[finding.name] != finding.kind:
            finding = dataclasses.replace(finding, kind=overrides[finding.name], kind_overridden=True)
        columns.append(finding)
    return dataclasses.replace(scan, columns=columns)


_WORD_RE = re.compile(r"[^\W\d_]+")


def mask_value(value: Any, entity_type: Optional[str] = None) -> str:
    """A masked rendering that keeps the shape but not the content.

    E-mail: 'john.smith@example.com' -> 'j***@e***.com'; digits: all but the last two become '*'
    ('4111 1111 1111 1234' -> '**** **** **** **34'); words keep their first letter ('Jane Doe' ->
    'J*** D***'). An IBAN keeps its country code ('DE** **** ... **00'); a national identifier that
    encodes a birth date (PESEL, NIR, codice fiscale) is masked whole, birth date with it; a VAT number
    keeps its country prefix. Short values are masked entirely. For a column of mixed types, mask cell by
    cell with `mask_value(cell, value_type(cell))` (analysis.pii.columns).
    """
    text = str(value).strip()
    if not text:
        return ""
    if entity_type == "EMAIL_ADDRESS" or ("@" in text and entity_type in (None, "DENY_LIST")):
        local, _, domain = text.partition("@")
        parts = domain.rsplit(".", 1)
        masked_domain = (parts[0][:1] + "***" + ("." + parts[1] if len(parts) > 1 else "")) if domain else ""
        return f"{local[:1]}***@{masked_domain}"
    if entity_type == "IP_ADDRESS":
        sep = ":" if ":" in text else "."
        pieces = text.split(sep)
        return sep.join(pieces[:1] + ["*" * min(3, len(p)) for p in pieces[1:]])
    if entity_type in ("IBAN_CODE", "EU_VAT") and text[:2].isalpha():
        return text[:2] + mask_value(text[2:], "ID_DIGITS")
    id_type = ID_BY_ENTITY.get(entity_type or "")
    if id_type is not None and id_type.encodes_birth_date:
        return re.sub(r"\w", "*", text)
    if entity_type == "ID_DIGITS" or id_type is not None:  # letters of an identifier are data too
        n = sum(ch.isalnum() for ch in text)
        seen, out = 0, []
        for ch in text:
            seen += ch.isalnum()
            out.append(ch if not ch.isalnum() or seen > n - 2 else "*")
        return "".join(out)
    n_digits = sum(ch.isdigit() for ch in text)
    keep_last = 2 if n_digits >= 6 and entity_type not in ("DATE_TIME", "AGE", "ZIP_CODE") else 0
    out, seen = [], 0
    for ch in text:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > n_digits - keep_last else "*")
        else:
            out.append(ch)
    masked = "".join(out)
    masked = _WORD_RE.sub(lambda m: m.group(0)[:1] + "***" if len(m.group(0)) > 1 else "*", masked)
    if len(text) <= 2:
        return "*" * len(text)
    return masked
