"""Column classification: which entity types a column's values hold, and what kind of column it is.

Work is split in two so it can run on partitions of rows anywhere (in process, joblib, Ray):
`plan_columns` decides once, from the sampled rows, how each column is read (numeric or text, free
text, NER-eligible, its name hint); `scan_partition` counts matches per entity in one partition of
rows (distinct values only, NER batched through `nlp.pipe`); `merge_stats` adds partitions up; and
`classify_column` turns the merged counts into a `ColumnFinding`. Counts add up the same whatever
the partitioning, so a Ray scan equals a local scan.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Optional

import numpy as np
import pandas as pd

from analysis.pii import lexicons as lx
from analysis.pii import locales as loc
from analysis.pii import validators as v
from analysis.pii.findings import (DIRECT_ENTITIES, QUASI_ENTITIES, SENSITIVE_ENTITIES, ColumnFinding,
                                   EntityFinding, mask_value)
from analysis.progress import report, scaled

# Evidence phrases keyed by how a value matched.
EVIDENCE = {
    "email": "e-mail format with a known domain suffix",
    "url": "URL format",
    "iban": "IBAN check digits (mod 97) valid",
    "luhn": "Luhn checksum and card issuer prefix valid",
    "ssn": "SSN format and SSA rules (area, group, serial) hold",
    "nino": "UK National Insurance number format",
    "ip": "parsed as IP addresses",
    "date": "parsed as calendar dates",
    "phone": "phone-number layout accepted by libphonenumber",
    "zip": "postal-code format",
    "street": "street-address format (house number + street type)",
    "age": "integers in the human age range",
    "lexicon": "values match a vocabulary list",
    "income": "income-bracket format",
    "ner": "spaCy NER tags the values",
    "names": "values match first/last-name lists",
    "deny": "values contain deny-listed terms",
    "presidio": "Presidio recognizers found spans in the text",
    "presidio:ner": "found in the text by the language's spaCy NER model",
    "presidio:pattern": "found in the text by pattern recognizers (validated where a checksum exists)",
    "presidio:lexicon": "found in the text by first/last-name lists",
    **loc.EVIDENCE,
}
# Minimum share of matching values for an entity to describe a column (when the name agrees: HINTED).
MIN_PREVALENCE = {"CREDIT_CARD": 0.8, "PERSON": 0.6, "LOCATION": 0.4, "NRP": 0.6, "DATE_TIME": 0.7,
                  "GENDER": 0.8, "DENY_LIST": 0.05}
DEFAULT_MIN_PREVALENCE = 0.5
HINTED_MIN_PREVALENCE = 0.2
# A column can mix kinds of identifiers (a `contact` of e-mails or phones): when direct-identifier
# types together cover DEFAULT_MIN_PREVALENCE of its values, the column is a direct identifier of each
# of them. A type takes part in the mix from this share of values (below it, stray matches are noise).
MIXED_MIN_SHARE = 0.1
TEXT_MIN_WORDS = 4.0
SCORE_UNITS = 1_000_000
_ALPHA_RE = re.compile(r"^[^\W\d_][^\d]{0,80}$")
_AGE_BAND_RE = re.compile(r"^\d{1,3}\s*(?:-|–|to)\s*\d{1,3}$|^\d{1,3}\+$|^[<>]=?\s*\d{1,3}$")
_NER_TYPES = ("PERSON", "LOCATION", "NRP")
_HINT_EQUIV = {"LOCATION": {"LOCATION"}, "DATE_TIME": {"DATE_TIME"}}


@dataclass(frozen=True)
class ColumnPlan:
    """How a column is read; decided once from the sample and sent to every partition."""

    name: str
    hint: Optional[str]
    value_kind: str  # "int", "float", "string", "bool"
    text: bool
    ner: bool
    low_cardinality: bool
    language: Optional[str] = None  # free text: detected language (analysis.pii.locales)

    def to_dict(self) -> dict:
        return asdict(self)


def _as_strings(series: pd.Series, value_kind: str) -> list[str]:
    values = series.dropna()
    if value_kind == "int":
        return [str(int(x)) for x in values.tolist()]
    return [str(x).strip() for x in values.tolist()]


def value_kind_of(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        values = series.dropna()
        if len(values) and bool(np.all(np.mod(values, 1) == 0)) and float(values.abs().max()) < 1e19:
            return "int"
        return "float"
    return "string"


def plan_columns(sample: pd.DataFrame, *, has_ner: bool) -> list[ColumnPlan]:
    """Decide, from sampled rows, how each column is read."""
    plans = []
    for col in sample.columns:
        series = sample[col]
        kind = value_kind_of(series)
        hint = loc.column_hint(str(col))
        if hint not in loc.ids.ID_ENTITIES:  # identifier names first, then the generic hints
            hint = lx.name_hint(str(col)) or hint
        text = ner = False
        strings = _as_strings(series, kind) if kind == "string" else []
        distinct = len(set(strings)) if kind == "string" else int(series.nunique(dropna=True))
        n = max(1, int(series.notna().sum()))
        low_card = distinct <= 12 or distinct / n < 0.01
        if strings:
            probe = strings[:400]
            words = float(np.mean([len(s.split()) for s in probe]))
            text = False
            if words >= TEXT_MIN_WORDS:
                # a column of formatted identifiers (addresses, IBANs, phones with spaces) is not free text
                probe_plan = ColumnPlan(str(col), hint, kind, False, False, False)
                patterned = float(np.mean([detect_value(s, probe_plan) is not None for s in probe[:200]]))
                text = patterned < 0.5
            if not text and has_ner:
                alpha = float(np.mean([bool(_ALPHA_RE.match(s)) and len(s.split()) <= 6 for s in probe]))
                ner = alpha >= 0.6 and (hint in ("PERSON", "LOCATION", "NRP")
                                        or (distinct >= 20 and distinct / n >= 0.05))
        plans.append(ColumnPlan(name=str(col), hint=hint, value_kind=kind, text=text, ner=ner,
                                low_cardinality=low_card, language=loc.detect_language(strings) if text else None))
    return plans


# ------------------------------------------------------------------------------------------------
# One value


def detect_value(s: str, plan: ColumnPlan) -> Optional[tuple[str, float, str]]:
    """(entity, score, evidence key) for one non-null value by patterns, validators and word lists,
    or None (then NER may still read it)."""
    hint = plan.hint
    if plan.value_kind == "int":
        return _detect_int(s, hint)
    if plan.value_kind in ("float", "bool"):
        return None
    low = s.lower()
    if "@" in s and v.email_shape(s) and _domain_ok(s):
        return "EMAIL_ADDRESS", 1.0, "email"
    if v.url_shape(s):
        return "URL", 0.85, "url"
    if s[:2].isalpha() and v.iban_valid(s):
        return "IBAN_CODE", 1.0, "iban"
    if v.is_credit_card(s):
        return "CREDIT_CARD", 1.0, "luhn"
    if v.ssn_valid(s, allow_undashed=hint == "US_SSN"):
        return "US_SSN", 0.9, "ssn"
    if v.nino_valid(s):
        return "UK_NINO", 0.9, "nino"
    rules = loc.current_rules()
    found = loc.detect_early(s, hint, rules)
    if found is not None:
        return found
    if v.ip_valid(s):
        return "IP_ADDRESS", 1.0, "ip"
    if (hint == "DATE_TIME" or not s.isdigit()) and v.date_valid(s):
        return "DATE_TIME", 0.85, "date"
    if v.phone_valid(s, allow_bare=hint == "PHONE_NUMBER"):
        return "PHONE_NUMBER", 0.75, "phone"
    if hint == "ZIP_CODE" and (v.zip_valid(s) or re.fullmatch(r"\d{3,5}", s)):
        return "ZIP_CODE", 0.85, "zip"
    if not s.isdigit() and v.zip_valid(s):
        return "ZIP_CODE", 0.7, "zip"
    found = loc.detect_local(s, hint, rules)
    if found is not None:
        return found
    if v.street_address(s):
        return "LOCATION", 0.85, "street"
    if hint == "AGE" and (s.isdigit() and int(s) <= 120 or _AGE_BAND_RE.match(s)):
        return "AGE", 0.85, "age"
    if v.income_bracket(s) and not s.isdigit():
        return "INCOME", 0.75, "income"
    if low in lx.HEALTH_VALUES:
        return "HEALTH", 0.8, "lexicon"
    if plan.low_cardinality and low in lx.GENDER_VALUES and (len(low) > 1 or hint == "GENDER" or s.isupper()):
        return "GENDER", 0.8, "lexicon"
    if low in lx.MARITAL_VALUES:
        return "MARITAL_STATUS", 0.8, "lexicon"
    if plan.low_cardinality and low in lx.RACE_VALUES and low != "other":
        return "NRP", 0.7, "lexicon"
    if plan.low_cardinality and low in lx.RELIGION_VALUES and low not in ("none", "other"):
        return "RELIGION", 0.75, "lexicon"
    if plan.low_cardinality and low in lx.EDUCATION_VALUES and low != "none":
        return "EDUCATION", 0.7, "lexicon"
    if (len(s) == 2 and s.isupper() and low in lx.US_STATES) or (len(s) > 2 and low in lx.US_STATES) \
            or low in lx.countries():
        return "LOCATION", 0.8, "lexicon"
    return None


_CELL_PLAN = ColumnPlan(name="", hint=None, value_kind="string", text=False, ner=False, low_cardinality=False)


def value_type(value: Any) -> Optional[str]:
    """The PII type one cell's own content validates as (patterns, checksums, word lists; no NER and
    no column-name hint), or None."""
    text = str(value).strip()
    found = detect_value(text, _CELL_PLAN) if text else None
    return found[0] if found else None


def _detect_int(s: str, hint: Optional[str]) -> Optional[tuple[str, float, str]]:
    digits = s.lstrip("-")
    if 13 <= len(digits) <= 19 and v.is_credit_card(digits):
        return "CREDIT_CARD", 1.0, "luhn"
    if hint == "US_SSN" and 7 <= len(digits) <= 9 and v.ssn_valid(digits.zfill(9), allow_undashed=True):
        return "US_SSN", 0.8, "ssn"
    if hint == "PHONE_NUMBER" and 10 <= len(digits) <= 15 and v.phone_valid(digits, allow_bare=True):
        return "PHONE_NUMBER", 0.7, "phone"
    if hint == "ZIP_CODE" and 3 <= len(digits) <= 5 and not s.startswith("-"):
        return "ZIP_CODE", 0.85, "zip"
    if hint == "AGE" and not s.startswith("-") and int(digits) <= 120:
        return "AGE", 0.85, "age"
    if hint == "DATE_TIME" and len(digits) == 8 and v.date_valid(digits):
        return "DATE_TIME", 0.8, "date"
    return None


_EXTRACT = None


def _domain_ok(s: str) -> bool:
    global _EXTRACT
    if _EXTRACT is None:
        from analysis.pii.engine import offline_tldextract

        _EXTRACT = offline_tldextract()
    return _EXTRACT(s.rsplit("@", 1)[-1]).suffix != ""


# ------------------------------------------------------------------------------------------------
# One partition


def _empty_stats() -> dict:
    return {"n": 0, "counts": {}, "scores": {}, "examples": {}, "evidence": {}, "street": 0}


def readable_values(values: list, value_kind: str) -> list[Optional[str]]:
    """Each value as the string the detectors read, None where pandas sees a missing value. A list of these
    strings reads the same again (what the worker pool is sent: str and None cross the wire exactly, while
    Timestamps, Decimals, NumPy scalars or JSON lists would not)."""
    series = pd.Series(values, dtype=object)
    present = series.notna().to_numpy()
    strings = iter(_as_strings(series, value_kind))
    return [next(strings) if here else None for here in present.tolist()]


def _string_counts(values: list, weights: Optional[list], value_kind: str) -> Counter:
    """Rows per non-null value, as the strings the detectors read (values that differ only in
    surrounding blanks, or 3 and 3.0 in a whole-number column, are the same string)."""
    strings = readable_values(values, value_kind)
    if weights is None:
        return Counter(text for text in strings if text is not None)
    counts: Counter = Counter()
    for text, weight in zip(strings, np.asarray(weights, dtype=np.int64).tolist()):
        if text is not None:
            counts[text] += weight
    return counts


def _add(stats: dict, entity: str, score: float, evidence: str, weight: int, example: str) -> None:
    stats["counts"][entity] = stats["counts"].get(entity, 0) + weight
    # integer micro-units: sums are exact, so any partitioning gives the same mean score
    stats["scores"][entity] = stats["scores"].get(entity, 0) + int(round(score * SCORE_UNITS)) * weight
    ev = stats["evidence"].setdefault(entity, {})
    ev[evidence] = ev.get(evidence, 0) + weight
    ex = stats["examples"].setdefault(entity, [])
    if len(ex) < 3 and example not in ex:
        ex.append(example)
    if evidence in ("street", "street_locale"):
        stats["street"] += weight


def scan_partition(task: dict, progress=None) -> dict[str, dict]:
    """Count matches per column and entity in one partition of rows.

    task: {"model": spaCy model name, "plans": [ColumnPlan dicts], "values": {column: list of values},
    "weights": {column: how many rows hold each value} (optional: one row each), "threshold": float,
    "allow": [str], "deny": [str]}. Returns {column: stats dict}; stats hold raw example values and stay
    in memory (they are masked before they reach a result).
    """
    from analysis.pii.engine import NER_ONLY_DISABLE, get_engine

    engine = get_engine(task["model"])
    allow = {a.strip().casefold() for a in task.get("allow", ()) if str(a).strip()}
    deny = [d.strip() for d in task.get("deny", ()) if str(d).strip()]
    deny_re = re.compile(r"\b(?:" + "|".join(re.escape(d) for d in deny) + r")\b", re.IGNORECASE) if deny else None
    out: dict[str, dict] = {}
    ner_jobs: list[tuple[str, str, int]] = []  # (column, value, count)
    text_jobs: dict[str, tuple[Counter, Optional[str]]] = {}
    plans = [ColumnPlan(**p) for p in task["plans"]]
    span = 0.3 if any(p.ner or p.text for p in plans) else 1.0  # share of the bar for patterns and validators
    for i, plan in enumerate(plans):
        report(progress, span * i / max(1, len(plans)), f"patterns and validators: {plan.name}")
        stats = _empty_stats()
        out[plan.name] = stats
        counts = _string_counts(task["values"][plan.name], task.get("weights", {}).get(plan.name), plan.value_kind)
        stats["n"] = sum(counts.values())
        if plan.text:
            text_jobs[plan.name] = (counts, plan.language)
            continue
        for j, (s, weight) in enumerate(counts.items()):
            if j and j % 10_000 == 0:  # a long column keeps the bar moving
                report(progress, span * (i + j / len(counts)) / len(plans),
                       f"patterns and validators: {plan.name} ({j:,} of {len(counts):,} distinct values)")
            if s.casefold() in allow:
                continue
            if deny_re is not None and deny_re.search(s):
                _add(stats, "DENY_LIST", 1.0, "deny", weight, s)
                continue
            found = detect_value(s, plan)
            if found is not None:
                _add(stats, found[0], found[1], found[2], weight, s)
            elif plan.ner:
                ner_jobs.append((plan.name, s, weight))
            elif plan.value_kind == "string" and lx.looks_like_person_name(s):
                _add(stats, "PERSON", 0.7, "names", weight, s)
            elif plan.value_kind == "string" and loc.looks_like_local_name(s):
                _add(stats, "PERSON", 0.7, "names_locale", weight, s)
    if ner_jobs:
        report(progress, 0.3, f"NER on {len(ner_jobs):,} distinct values")
        _run_ner(engine, ner_jobs, out, NER_ONLY_DISABLE, progress=scaled(progress, 0.3, 0.5))
    for i, (name, (counts, language)) in enumerate(text_jobs.items()):
        report(progress, 0.5 + 0.5 * i / len(text_jobs), f"free text: {name} ({len(counts):,} distinct values)")
        _run_text(engine, name, counts, out[name], task, language)
    report(progress, 1.0, "partition done")
    return out


_NER_LABELS = {"PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION",
               "NORP": "NRP"}
# A short value has no context for NER; places are read inside a carrier sentence, which lifts real
# town names (17% -> 53% for German towns) while names stay people and products, jobs, companies and
# plain words stay below the column thresholds (measured on Faker lists, see docs/pii.md).
_CARRIER = ("They moved to ", " last year.")


def _ner_best(doc, start: int, end: int) -> Optional[str]:
    letters = sum(c.isalpha() for c in doc.text[start:end]) or 1
    cover: dict[str, int] = {}
    for ent in doc.ents:
        entity = _NER_LABELS.get(ent.label_)
        lo, hi = max(start, ent.start_char), min(end, ent.end_char)
        if entity and hi > lo:
            cover[entity] = cover.get(entity, 0) + sum(c.isalpha() for c in doc.text[lo:hi])
    best = max(cover, key=cover.get) if cover else None
    return best if best and cover[best] / letters >= 0.5 else None


def _piped(engine, texts, disable, progress, start: float, end: float, what: str) -> list:
    """spaCy docs of `texts`, reporting progress every few batches (long NER keeps the bar moving)."""
    docs = []
    total = max(1, len(texts))
    for doc in engine.nlp.pipe(texts, batch_size=256, disable=list(disable)):
        docs.append(doc)
        if len(docs) % 2048 == 0:
            report(progress, start + (end - start) * len(docs) / total, f"{what}: {len(docs):,} of {total:,}")
    return docs


def _run_ner(engine, jobs: list[tuple[str, str, int]], out: dict, disable, progress=None) -> None:
    texts = [s if any(c.isupper() for c in s) else s.title() for _, s, _ in jobs]
    bare = _piped(engine, texts, disable, progress, 0.0, 0.6, "NER")
    second = [i for i, doc in enumerate(bare) if _ner_best(doc, 0, len(doc.text)) != "PERSON"]
    carried = dict(zip(second, _piped(engine, [_CARRIER[0] + texts[i] + _CARRIER[1] for i in second], disable,
                                      progress, 0.6, 1.0, "NER in context")))
    offset = len(_CARRIER[0])
    for i, ((column, s, weight), doc) in enumerate(zip(jobs, bare)):
        best = _ner_best(doc, 0, len(doc.text))
        if best != "PERSON" and i in carried:
            best = _ner_best(carried[i], offset, offset + len(texts[i])) or best
        if best:
            _add(out[column], best, 0.85, "ner", weight, s)
        elif lx.looks_like_person_name(s):
            _add(out[column], "PERSON", 0.7, "names", weight, s)
        elif loc.looks_like_local_name(s):
            _add(out[column], "PERSON", 0.7, "names_locale", weight, s)


def _run_text(engine, name: str, counts: Counter, stats: dict, task: dict, language: Optional[str] = None) -> None:
    from analysis.pii.text import analyze_texts

    distinct = list(counts)
    spans = analyze_texts(distinct, engine=engine, score_threshold=task.get("threshold"),
                          allow_list=task.get("allow", ()), deny_list=task.get("deny", ()), language=language)
    for text, found in zip(distinct, spans):
        best: dict[str, tuple[float, str, str]] = {}
        for kind, start, end, score, method in found:
            if kind not in best or score > best[kind][0]:
                best[kind] = (score, text[start:end], method)
        for kind, (score, snippet, method) in best.items():
            _add(stats, kind, score, f"presidio:{method}", counts[text], snippet)


def merge_stats(parts: list[dict[str, dict]]) -> dict[str, dict]:
    """Add partition stats up, in partition order (examples keep the first seen)."""
    merged: dict[str, dict] = {}
    for part in parts:
        for column, stats in part.items():
            m = merged.setdefault(column, _empty_stats())
            m["n"] += stats["n"]
            m["street"] += stats["street"]
            for entity, count in stats["counts"].items():
                m["counts"][entity] = m["counts"].get(entity, 0) + count
                m["scores"][entity] = m["scores"].get(entity, 0) + stats["scores"][entity]
                ev = m["evidence"].setdefault(entity, {})
                for key, c in stats["evidence"][entity].items():
                    ev[key] = ev.get(key, 0) + c
                ex = m["examples"].setdefault(entity, [])
                for example in stats["examples"][entity]:
                    if len(ex) < 3 and example not in ex:
                        ex.append(example)
    return merged


# ------------------------------------------------------------------------------------------------
# Classification


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion k/n."""
    if n <= 0:
        return 0.0, 0.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def min_prevalence(entity: str, plan: ColumnPlan) -> float:
    if plan.hint and (plan.hint == entity or entity in _HINT_EQUIV.get(plan.hint, ())):
        return HINTED_MIN_PREVALENCE
    return MIN_PREVALENCE.get(entity, DEFAULT_MIN_PREVALENCE)


def needs_confirmation(plan: ColumnPlan, stats: dict) -> bool:
    """True when an entity's sampled prevalence interval straddles its decision threshold."""
    if plan.text or stats["n"] == 0:
        return False
    for entity, count in stats["counts"].items():
        low, high = wilson(count, stats["n"])
        if low < min_prevalence(entity, plan) <= high:
            return True
    shares = _direct_counts(stats)
    if len(shares) >= 2:
        low, high = wilson(sum(shares.values()), stats["n"])
        return low < DEFAULT_MIN_PREVALENCE <= high
    return False


def _direct_counts(stats: dict) -> dict[str, int]:
    """Matches per direct-identifier type that are common enough to take part in a mix (street
    addresses count as LOCATION; towns do not identify anyone)."""
    counts = {e: c for e, c in stats["counts"].items() if e in DIRECT_ENTITIES and e != "DENY_LIST"}
    if stats["street"]:
        counts["LOCATION"] = stats["street"]
    n = max(1, stats["n"])
    return {e: c for e, c in counts.items() if c / n >= MIXED_MIN_SHARE}


def mixed_direct_shares(plan: ColumnPlan, stats: dict) -> dict[str, float]:
    """{type: share of non-null values} when two or more direct-identifier types together cover most
    values (a contact column of e-mails and phones), else {}. Each value matched one type at most
    (the validator chain stops at the first), so the shares add up to the union's share."""
    if plan.text or stats["n"] == 0:
        return {}
    counts = _direct_counts(stats)
    if len(counts) < 2 or sum(counts.values()) / stats["n"] < DEFAULT_MIN_PREVALENCE:
        return {}
    return {e: round(c / stats["n"], 4) for e, c in sorted(counts.items(), key=lambda x: (-x[1], x[0]))}


def classify_column(plan: ColumnPlan, stats: dict, *, sampled: bool, score_threshold: float,
                    total_nonnull: int, confirmed: bool = False) -> ColumnFinding:
    """The ColumnFinding for merged stats."""
    n = stats["n"]
    entities: list[EntityFinding] = []
    evidence: list[str] = []
    scores = {}
    for entity, count in stats["counts"].items():
        score = stats["scores"][entity] / SCORE_UNITS / count if count else 0.0
        if plan.hint is not None and min_prevalence(entity, plan) == HINTED_MIN_PREVALENCE:
            score = min(1.0, score + 0.1)
        scores[entity] = score
    mixed = {e: share for e, share in mixed_direct_shares(plan, stats).items() if scores[e] >= score_threshold}
    if len(mixed) < 2 or sum(mixed.values()) < DEFAULT_MIN_PREVALENCE:
        mixed = {}
    for entity, count in stats["counts"].items():
        prevalence = count / n if n else 0.0
        score = scores[entity]
        if entity not in mixed:
            if not plan.text and prevalence < min_prevalence(entity, plan):
                continue
            if not plan.text and entity in _NER_TYPES and min_prevalence(entity, plan) != HINTED_MIN_PREVALENCE \
                    and any(other != entity and 2 * c > count for other, c in stats["counts"].items()
                            if other in _NER_TYPES):
                continue  # NER readings split between person and place: neither is the column's type
        if score < score_threshold:
            continue
        low, high = wilson(count, n) if sampled else (prevalence, prevalence)
        entities.append(EntityFinding(type=entity, prevalence=round(prevalence, 4), score=round(score, 4),
                                      ci_low=round(low, 4), ci_high=round(high, 4)))
    entities.sort(key=lambda e: (-e.prevalence, -e.score, e.type))
    if plan.hint:
        evidence.append(f"column name suggests {plan.hint}")
    if mixed:
        evidence.append("mixed direct identifiers: " + " + ".join(f"{e} {s:.0%}" for e, s in mixed.items())
                        + f" = {sum(mixed.values()):.0%} of values (each cell is masked by its own type)")
    for e in entities:
        keys = stats["evidence"].get(e.type, {})
        for key in sorted(keys, key=lambda k: -keys[k]):
            share = keys[key] / max(1, stats["counts"][e.type])
            if share >= 0.05:
                evidence.append(f"{e.type}: {EVIDENCE[key]} ({share:.0%} of matches)")
    kind = "direct_identifier" if mixed else _kind(plan, stats, entities)
    if plan.text:
        evidence.append("free text (4+ words per value on average)")
        if plan.language:
            evidence.append(f"language {plan.language} (stop-word vote); read with {loc.language_method(plan.language)}")
    if sampled:
        evidence.append(f"classified from {n:,} sampled non-null values of {total_nonnull:,}")
    if confirmed:
        evidence.append(f"confirmed on all {total_nonnull:,} non-null values (sample was borderline)")
    examples = []
    if mixed:  # one example of each type, each masked by its own type
        examples = [mask_value(stats["examples"][e][0], e) for e in mixed if stats["examples"].get(e)]
    elif entities:
        top = entities[0].type
        examples = [mask_value(x, top) for x in stats["examples"].get(top, [])[:3]]
    return ColumnFinding(name=plan.name, kind=kind, entities=entities, evidence=evidence, examples=examples,
                         mixed_types=mixed, language=plan.language)


def _kind(plan: ColumnPlan, stats: dict, entities: list[EntityFinding]) -> str:
    if plan.text:
        return "free_text"
    if entities:
        top = entities[0].type
        if top == "LOCATION":
            street_share = stats["street"] / max(1, stats["counts"].get("LOCATION", 0))
            return "direct_identifier" if street_share >= 0.5 else "quasi_identifier"
        if top == "DATE_TIME":
            birth = lx.is_birth_name(plan.name) or loc.is_birth_name(plan.name)
            return "direct_identifier" if birth else "quasi_identifier"
        if top in DIRECT_ENTITIES:
            return "direct_identifier"
        if top in SENSITIVE_ENTITIES:
            return "sensitive"
        if top in QUASI_ENTITIES:
            return "quasi_identifier"
    if plan.hint in {"OCCUPATION", "EDUCATION", "MARITAL_STATUS", "NRP", "GENDER"}:
        return "quasi_identifier"
    if plan.hint in SENSITIVE_ENTITIES:
        return "sensitive"
    return lx.kind_hint(plan.name) or "other"
