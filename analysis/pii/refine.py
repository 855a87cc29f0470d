"""Table-level rules the per-value scan cannot apply: what real tables hold that the value detectors miss.

The column scan reads one value at a time (patterns, validators, NER). On real tables (ProPublica's COMPAS
release, registry extracts) that misses three things and invents a fourth:

- **Record keys.** A column that is unique per row, looks like an ID or a case number ('13011352CF10A',
  7-digit integers) and is named like a key for a person or a case (`id`, `person_id`, `c_case_number`,
  `mrn`) identifies its row: kind direct identifier, entity `RECORD_ID`. A column named like an order,
  product or ticket number stays 'other' (it identifies a thing), and so does a measurement (decimals).
- **Names one word at a time.** A column of lower-case first names or surnames ('miguel', 'hernandez')
  gives NER no context; the share of rows whose value is in Faker's first-name or surname lists (the
  US Census lists) decides, with at least 20 distinct values so a column of colours or races ('white',
  'brown') never qualifies; the share of matches among the most frequent names sets the score.
- **Special categories.** GDPR Art. 9 (racial or ethnic origin, health, religion, sexual orientation,
  political opinions, trade-union membership, genetic or biometric data) and Art. 10 (criminal
  offences): the finding's `special_category` names the article; charge descriptions and degrees
  become sensitive attributes of entity `CRIMINAL_OFFENCE`.
- **Shape against entity.** Single-letter codes (F / M for felony / misdemeanour) are not GENDER unless
  the column name says sex or gender; a column of random characters is neither free text nor a person,
  URL or place.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Optional, Sequence

import pandas as pd

from analysis.pii import lexicons as lx
from analysis.pii.findings import ColumnFinding, EntityFinding, mask_value

RECORD_MIN_UNIQUE = 0.95      # share of distinct values among non-null ones
RECORD_MIN_VALUES = 20
NAME_MIN_SHARE = 0.6          # rows whose value is a known first name or surname
NAME_HINTED_MIN_SHARE = 0.35  # ... when the column's name says first/last/given/surname
NAME_MIN_DISTINCT = 20
OFFENCE_MIN_SHARE = 0.3

# Tokens naming a key of a person or a case; "id" alone or as a suffix (customer_id, PatientID).
_KEY_TOKENS = {"id", "uuid", "guid", "mrn", "nhs", "pid", "key", "ident", "identifier"}
_NUMBER_TOKENS = {"number", "no", "nr", "num", "nbr", "code", "ref"}
_PERSON_CONTEXT = {"case", "docket", "booking", "person", "patient", "customer", "client", "member", "employee",
                   "student", "user", "subject", "participant", "inmate", "prisoner", "citizen", "resident",
                   "record", "account", "passport", "licence", "license", "policy", "claim", "file"}
_THING_CONTEXT = {"order", "product", "item", "sku", "ticket", "invoice", "transaction", "tracking", "batch",
                  "serial", "shipment", "session", "event", "version", "model", "store", "page"}
_MEASUREMENT_TOKENS = {"amount", "price", "total", "score", "count", "rate", "ratio", "days", "age", "sum",
                       "mean", "avg", "value", "balance", "weight", "height", "size"}
_NAME_TOKENS = {"first", "last", "given", "surname", "forename", "fname", "lname", "firstname", "lastname",
                "name", "middle", "maiden", "family"}
_ID_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/.:]{1,63}$")
_WORD_SHAPE = re.compile(r"^[^\W\d_]+(?:[-'.][^\W\d_]+)*\.?$")
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:[-'][^\W\d_]+)*$")

SPECIAL_ART9 = {
    "race": "racial or ethnic origin", "racial": "racial or ethnic origin", "ethnicity": "racial or ethnic origin",
    "ethnic": "racial or ethnic origin", "religion": "religious or philosophical beliefs",
    "religious": "religious or philosophical beliefs", "faith": "religious or philosophical beliefs",
    "sexual": "sex life or sexual orientation", "orientation": "sex life or sexual orientation",
    "political": "political opinions", "union": "trade-union membership", "genetic": "genetic data",
    "biometric": "biometric data", "health": "health", "diagnosis": "health", "disease": "health",
    "medical": "health", "illness": "health", "disability": "health", "medication": "health",
}
_ENTITY_ART9 = {"HEALTH": "health", "RELIGION": "religious or philosophical beliefs"}
_CRIME_TOKENS = {"charge", "charges", "offense", "offence", "offenses", "offences", "crime", "crimes", "criminal",
                 "conviction", "convictions", "felony", "misdemeanor", "misdemeanour", "sentence", "verdict"}
_OFFENCE_WORDS = re.compile(
    r"\b(theft|battery|assault|possess\w*|poss|burglary|robbery|cocaine|cannabis|marijuana|heroin|trespass\w*|"
    r"dui|driving|lic|license|fraud|forg\w*|murder|homicide|manslaughter|arson|weapon|firearm|resist\w*|"
    r"obstruct\w*|mischief|tamper\w*|larceny|vandalism|prostitution|stalking|kidnap\w*|rape|narcotic\w*|"
    r"paraphernalia|controlled substance|deliver|traffick\w*|eluding|injunct|uttering|felony|misdemeanor)\b",
    re.IGNORECASE)


def art9(category: str) -> str:
    return f"{category} (GDPR Art. 9)"


ART10 = "criminal convictions and offences (GDPR Art. 10)"


def refine_findings(frame: pd.DataFrame, findings: list[ColumnFinding],
                    allow_list: Sequence[str] = ()) -> list[ColumnFinding]:
    """The findings with the table-level rules applied (see the module docstring). `frame` holds the
    rows the scan read (record keys need every row: pass the whole table when it fits); values on the
    scan's allow list are never counted, here as in the recognizers."""
    allowed = {str(v).strip() for v in allow_list}
    return [refine_finding(frame[f.name], f, allowed) if f.name in frame.columns else f for f in findings]


def refine_finding(series: pd.Series, finding: ColumnFinding, allowed: frozenset | set = frozenset()) -> ColumnFinding:
    values = series.dropna()
    if allowed:
        values = values[~values.astype("str").str.strip().isin(allowed)]
    strings = values.astype("str").str.strip() if len(values) else pd.Series([], dtype="str")
    strings = strings[strings != ""]
    tokens = set(lx.name_tokens(finding.name))
    finding = _drop_false_kinds(finding, strings, tokens)
    if finding.kind != "direct_identifier" and not finding.mixed_types:
        finding = (_as_record_key(series, strings, tokens, finding) or _as_names(strings, tokens, finding)
                   or finding)
    return _special_category(strings, tokens, finding)


# ------------------------------------------------------------------------------------------------
# Shape against entity


def _gibberish_share(strings: pd.Series) -> float:
    """Share of whitespace-separated tokens that are not word-shaped (mixed letters and digits, inner
    punctuation, case changing inside a word): natural text is mostly words."""
    words = [w.strip(",.;:!?()\"'") for s in strings.head(300) for w in s.split()]
    words = [w for w in words if w]
    if not words:
        return 0.0
    odd = sum(1 for w in words if not (w.isdigit() or (_WORD_SHAPE.match(w) and (w.islower() or w.isupper()
                                                                                    or w.istitle()))))
    return odd / len(words)


def _drop_false_kinds(finding: ColumnFinding, strings: pd.Series, tokens: set[str]) -> ColumnFinding:
    if not len(strings):
        return finding
    if finding.kind == "free_text" and _gibberish_share(strings) >= 0.5:  # with or without spans found in it
        return dataclasses.replace(finding, kind="other", entities=[], examples=[], evidence=finding.evidence + [
            "not free text: most tokens are not words (random characters), so the spans found in it are dropped"])
    if not finding.entities:
        return finding
    keep = list(finding.entities)
    note = None
    top = keep[0].type
    if top == "GENDER" and lx.name_hint(finding.name) != "GENDER" and strings.str.len().max() <= 1:
        keep = [e for e in keep if e.type != "GENDER"]
        note = "single-letter codes are not read as sex or gender unless the column name says so"
    elif top in ("PERSON", "LOCATION", "URL", "NRP") and _gibberish_share(strings) >= 0.5:
        keep = [e for e in keep if e.type not in ("PERSON", "LOCATION", "URL", "NRP")]
        note = f"values are not shaped like {top} (random characters)"
    if note is None:
        return finding
    kind = finding.kind if keep else ("sensitive" if finding.kind == "sensitive" else "other")
    if keep and keep[0].type != top:
        kind = "quasi_identifier" if finding.kind == "direct_identifier" else finding.kind
    return dataclasses.replace(finding, kind=kind, entities=keep, examples=finding.examples if keep else [],
                               evidence=finding.evidence + [note])


# ------------------------------------------------------------------------------------------------
# Record keys


def _is_key_name(tokens: set[str], name: str) -> bool:
    if tokens & _THING_CONTEXT:
        return False
    if tokens & _KEY_TOKENS or re.search(r"[a-z](Id|ID)$", name):
        return True
    return bool(tokens & _PERSON_CONTEXT and tokens & (_NUMBER_TOKENS | {"case", "docket", "booking"}))


def _as_record_key(series: pd.Series, strings: pd.Series, tokens: set[str],
                   finding: ColumnFinding) -> Optional[ColumnFinding]:
    n = len(strings)
    if n < RECORD_MIN_VALUES or finding.kind == "free_text" or not _is_key_name(tokens, finding.name):
        return None
    if tokens & _MEASUREMENT_TOKENS and not tokens & _KEY_TOKENS:
        return None
    if pd.api.types.is_float_dtype(series) and (series.dropna() % 1 != 0).any():
        return None  # decimals: a measurement
    unique = strings.nunique() / n
    if unique < RECORD_MIN_UNIQUE:
        return None
    shaped = float(strings.head(500).map(lambda s: bool(_ID_SHAPE.match(s))).mean())
    if shaped < 0.9 or (finding.top_entity == "DATE_TIME"):
        return None
    entity = EntityFinding(type="RECORD_ID", prevalence=round(shaped, 4), score=0.9, ci_low=round(shaped, 4),
                           ci_high=round(shaped, 4))
    evidence = [e for e in finding.evidence if not e.startswith("column name suggests")] + [
        f"record key: {unique:.1%} of {n:,} non-null values are distinct, shaped like IDs or case numbers, "
        "and the column is named like a key of a person or case"]
    examples = [mask_value(s, "RECORD_ID") for s in strings.head(3)]
    return dataclasses.replace(finding, kind="direct_identifier", entities=[entity], evidence=evidence,
                               examples=examples)


# ------------------------------------------------------------------------------------------------
# Names, one word at a time


def _as_names(strings: pd.Series, tokens: set[str], finding: ColumnFinding) -> Optional[ColumnFinding]:
    if finding.kind == "free_text" or not len(strings) or strings.nunique() < NAME_MIN_DISTINCT:
        return None
    if finding.entities and finding.top_entity not in ("PERSON", "LOCATION", "NRP"):
        return None
    hint = lx.name_hint(finding.name)
    if hint not in (None, "PERSON"):
        return None
    counts = strings.str.lower().value_counts()
    first, last = lx.person_names()
    known = first | last

    def is_name(value: str) -> bool:
        words = value.split()
        return 1 <= len(words) <= 3 and all(_NAME_WORD.match(w) for w in words) and words[-1] in known \
            and all(w in known or len(w) <= 2 for w in words)

    hits = sum(int(c) for v, c in counts.items() if is_name(v))
    share = hits / int(counts.sum())
    named = bool(tokens & _NAME_TOKENS) or hint == "PERSON"
    if share < (NAME_HINTED_MIN_SHARE if named else NAME_MIN_SHARE):
        return None
    common = sum(int(c) for v, c in counts.items() if v.split() and v.split()[-1] in lx.common_person_names())
    score = round(0.7 + 0.3 * common / max(1, hits), 4)  # frequent names make it likelier a name column
    entity = EntityFinding(type="PERSON", prevalence=round(share, 4), score=score, ci_low=round(share, 4),
                           ci_high=round(share, 4))
    examples = [mask_value(v, "PERSON") for v in counts.index[:3]]
    evidence = finding.evidence + [
        f"PERSON: {share:.0%} of rows are first names or surnames of the US Census lists "
        f"({counts.size:,} distinct values; {common / max(1, hits):.0%} of the matches are among the most "
        "frequent names)"
        + ("; the column name says name" if named else "")]
    return dataclasses.replace(finding, kind="direct_identifier", entities=[entity], evidence=evidence,
                               examples=examples)


# ------------------------------------------------------------------------------------------------
# Special categories (GDPR Art. 9 and 10)


def _offence_share(strings: pd.Series) -> float:
    sample = strings.head(1000)
    return float(sample.map(lambda s: bool(_OFFENCE_WORDS.search(s))).mean()) if len(sample) else 0.0


def _numeric_share(strings: pd.Series) -> float:
    sample = strings.head(500)
    return float(pd.to_numeric(sample.str.replace(",", "", regex=False), errors="coerce").notna().mean()) \
        if len(sample) else 0.0


def _special_category(strings: pd.Series, tokens: set[str], finding: ColumnFinding) -> ColumnFinding:
    if finding.kind == "direct_identifier":
        return finding
    category = ""
    for token in sorted(tokens):
        if token in SPECIAL_ART9:
            category = art9(SPECIAL_ART9[token])
            break
    if not category and finding.top_entity in _ENTITY_ART9:
        category = art9(_ENTITY_ART9[finding.top_entity])
    if not category and finding.top_entity == "NRP" and len(strings):
        races = float(strings.str.lower().isin(lx.RACE_VALUES).mean())
        if races >= 0.5:
            category = art9("racial or ethnic origin")
    if category:
        return dataclasses.replace(finding, special_category=category,
                                   evidence=finding.evidence + [f"special category: {category}"])
    if finding.kind == "free_text" or finding.top_entity == "DATE_TIME" or not len(strings):
        return finding
    named = bool(tokens & _CRIME_TOKENS) and _numeric_share(strings) < 0.5
    offences = _offence_share(strings)
    if not named and offences < OFFENCE_MIN_SHARE:
        return finding
    share = offences if offences >= OFFENCE_MIN_SHARE else 1.0
    why = (f"{offences:.0%} of values name offences" if offences >= OFFENCE_MIN_SHARE
           else "the column name says charge or offence")
    entity = EntityFinding(type="CRIMINAL_OFFENCE", prevalence=round(share, 4), score=0.8,
                           ci_low=round(share, 4), ci_high=round(share, 4))
    return dataclasses.replace(finding, kind="sensitive", entities=[entity], special_category=ART10,
                               examples=[], evidence=finding.evidence + [f"special category: {ART10} ({why})"])
