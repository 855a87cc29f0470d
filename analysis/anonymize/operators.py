"""Column operators: each maps one column (a pandas Series) to its anonymized column.

One contract for all: `fn(series, params, context) -> Series` with the same index. The registry
`OPERATORS` holds each operator's parameters (name -> (types, default, required)) so plans are
validated before anything runs. Operators never log or print cell values.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

MISSING = object()


@dataclass
class Context:
    """What operators share: the secret for keyed operators (never stored anywhere) and counters."""

    secret: Optional[bytes] = None
    text_spans_found: int = 0
    span_finder: str = ""


@dataclass(frozen=True)
class OperatorSpec:
    name: str
    fn: Callable[[pd.Series, dict, Context], pd.Series]
    params: dict[str, tuple[tuple[type, ...], Any]]  # name -> (accepted types, default or MISSING)
    description: str
    needs_secret: bool = False
    drops_column: bool = False
    extra_check: Optional[Callable[[dict], Optional[str]]] = field(default=None)


def _text(series: pd.Series) -> pd.Series:
    """Values as strings, missing kept missing."""
    return series.astype("str")


def _distinct(text: pd.Series) -> list:
    """Distinct non-missing values as a plain list (fast to iterate)."""
    return text.dropna().unique().tolist()


def _keep(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    return series


def _redact(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    out = pd.Series(params["replacement"], index=series.index, dtype="str")
    return out.where(series.notna(), None) if params["keep_missing"] else out


def _mask(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    first, last, char = params["keep_first"], params["keep_last"], params["char"]

    def plain(value: str) -> str:
        n = len(value)
        if first + last >= n:
            return char * n
        return value[:first] + char * (n - first - last) + (value[n - last:] if last else "")

    def typed(value: str) -> str:
        # a column of mixed identifiers (e-mails or phones): each cell by the type it validates as, with
        # the scan's masking rule; a cell of no PII type falls back to keep_first/keep_last
        kind = value_type(value)
        return mask_value(value, kind) if kind else plain(value)

    if params["by_type"]:
        from analysis.pii import mask_value, value_type
    one = typed if params["by_type"] else plain
    text = _text(series)
    uniques = _distinct(text)
    return text.map(dict(zip(uniques, (one(v) for v in uniques))))


def hmac_token(secret: bytes, value: str, length: int) -> str:
    """Hex HMAC-SHA256 of `value` under `secret`, truncated to `length` characters."""
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def _pseudonymize(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    if not ctx.secret:
        raise ValueError("pseudonymize needs a secret: pass secret=... or let apply_plan generate one")
    text = _text(series)
    uniques = _distinct(text)
    prefix, length, key = params["prefix"], params["length"], ctx.secret
    digest = hmac.digest  # one-shot HMAC in C (same result as hmac.new(...).digest())
    return text.map({v: prefix + digest(key, v.encode("utf-8"), "sha256").hex()[:length] for v in uniques})


def _numeric(series: pd.Series, operator: str) -> pd.Series:
    """The column as numbers; a ValueError naming it when none of its values is a number."""
    values = pd.to_numeric(series, errors="coerce")
    if series.notna().any() and values.notna().sum() == 0:
        raise ValueError(f"column '{series.name}': {operator} needs numbers, but no value is numeric")
    return values


def _from_codes(codes: np.ndarray, labels: list[str], index: pd.Index) -> pd.Series:
    """A `str` Series of labels[codes] (code -1 = missing), built through Arrow (fast for millions)."""
    import pyarrow as pa

    codes = np.asarray(codes, dtype=np.int64)
    missing = codes < 0
    indices = pa.array(np.where(missing, 0, codes), mask=missing, type=pa.int32())
    values = pa.DictionaryArray.from_arrays(indices, pa.array(list(labels) or [""], type=pa.string()))
    # by position: to_pandas() has a 0..n-1 index, and pd.Series(series, index=...) would align by label
    return pd.Series(values.cast(pa.string()).to_numpy(zero_copy_only=False), index=index).astype("str")


def _interval_label(lo: float, hi: float, integer: bool) -> str:
    if integer and float(lo).is_integer() and float(hi).is_integer():
        return f"{int(lo)}-{int(hi) - 1}" if hi - lo > 1 else f"{int(lo)}"
    return f"[{lo:g}, {hi:g})"


def _bin(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    values = _numeric(series, "bin")
    integer = bool(values.dropna().mod(1).eq(0).all())
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    valid = ~np.isnan(numbers)
    codes = np.full(len(numbers), -1, dtype=np.int64)
    if params["edges"] is not None:
        edges = np.asarray(sorted(float(e) for e in params["edges"]))
        labels = ([f"<{edges[0]:g}"] + [_interval_label(edges[i], edges[i + 1], integer)
                                          for i in range(len(edges) - 1)] + [f">={edges[-1]:g}"])
        codes[valid] = np.searchsorted(edges, numbers[valid], side="right")
    else:
        width, origin = float(params["width"]), float(params["origin"])
        lo = np.floor((numbers[valid] - origin) / width) * width + origin
        uniq, codes[valid] = np.unique(lo, return_inverse=True)
        labels = [_interval_label(u, u + width, integer) for u in uniq]
    return _from_codes(codes, labels, series.index)


def _date_truncate(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    dates = pd.to_datetime(series, errors="coerce", format="mixed")
    if series.notna().any() and dates.notna().sum() == 0:
        raise ValueError(f"column '{series.name}': date_truncate needs dates, but no value parses as a date")
    fmt = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}[params["to"]]
    return dates.dt.strftime(fmt).astype("str")


def _zip_truncate(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    text = _text(series).str.replace(r"\.0$", "", regex=True)
    keep, fill, width = params["keep"], params["fill"], params["width"]
    padded = text.str.pad(width, side="left", fillchar="0") if width else text
    rest = (padded.str.len() - keep).clip(lower=0)
    tails = {n: fill * int(n) for n in rest.dropna().unique()}
    return (padded.str.slice(0, keep) + rest.map(tails).astype("str")).astype("str")


def _hierarchy(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    mapping = {str(k): (None if v is None else str(v)) for k, v in params["mapping"].items()}
    text = _text(series)
    mapped = text.map(mapping)
    known = text.isin(list(mapping))
    if params["default"] is None:
        return mapped.where(known, text).astype("str")
    return mapped.where(known, params["default"]).where(text.notna(), None).astype("str")


def _top_bottom(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    values = _numeric(series, "top_bottom_code")
    lower, upper = params["lower"], params["upper"]
    if params["lower_quantile"] is not None:
        lower = float(values.quantile(params["lower_quantile"]))
    if params["upper_quantile"] is not None:
        upper = float(values.quantile(params["upper_quantile"]))
    out = values.clip(lower=lower, upper=upper)
    if pd.api.types.is_integer_dtype(series) and (lower is None or float(lower).is_integer()) \
            and (upper is None or float(upper).is_integer()):
        return out.astype(series.dtype)
    return out


def _surrogate(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    from faker import Faker

    fake = Faker(params["locale"])
    provider = getattr(fake, params["provider"])
    key = (ctx.secret or b"") + str(params["seed"]).encode()
    text = _text(series)

    def one(value: str) -> str:
        digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).digest()
        fake.seed_instance(int.from_bytes(digest[:8], "big"))
        return str(provider())

    return text.map({v: one(v) for v in _distinct(text)})


def _id_birth_date(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    """A national identifier that encodes a birth date (PESEL, NIR, codice fiscale) generalized to that
    date at `to` precision; identifiers encoding none become missing (the identifier itself is dropped)."""
    from analysis.pii.columns import value_type
    from analysis.pii.national_ids import birth_date_in_id

    cut = {"year": 4, "month": 7, "day": 10}[params["to"]]

    def one(value: str):
        born = birth_date_in_id(value_type(value) or "", value)
        return born[:cut] if born and len(born) >= cut else (born[:4] if born else None)

    text = _text(series)
    return text.map({v: one(v) for v in _distinct(text)}).astype("str")


_FALLBACK_PATTERNS = {
    "EMAIL_ADDRESS": re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"),
    "CREDIT_CARD": re.compile(r"\b\d(?:[ -]?\d){12,15}\b"),
    "US_SSN": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "PHONE_NUMBER": re.compile(r"(?:\+?\d{1,2}[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b"),
    "IP_ADDRESS": re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),
}


def regex_spans(text: str) -> list[dict]:
    """A small pattern-only span finder used when `analysis.pii.find_text_spans` is unavailable."""
    spans = []
    for entity, pattern in _FALLBACK_PATTERNS.items():
        for m in pattern.finditer(text):
            if not any(s["start"] < m.end() and m.start() < s["end"] for s in spans):
                spans.append({"entity_type": entity, "start": m.start(), "end": m.end(), "score": 1.0})
    return spans


def _pii_spans(series: pd.Series, params: dict) -> Optional[dict[int, list]]:
    """Spans per row position from `analysis.pii.find_text_spans`, or None when its engine fails."""
    from analysis.pii import find_text_spans

    try:
        spans = find_text_spans(series, rows="all", entities=params["entities"],
                                score_threshold=params["score_threshold"] or None)
    except (OSError, RuntimeError):  # e.g. the spaCy model is not installed
        return None
    by_row: dict[int, list] = {}
    for span in spans:
        by_row.setdefault(int(span.row), []).append(span)
    return by_row


def _span_fields(span: Any) -> tuple[str, int, int, float]:
    get = span.get if isinstance(span, dict) else (lambda k, d=None: getattr(span, k, d))
    return str(get("entity_type")), int(get("start")), int(get("end")), float(get("score", 1.0) or 1.0)


def redact_spans(text: str, spans: list, *, operator: str = "replace", new_value: Optional[str] = None,
                 entities: Optional[list[str]] = None, score_threshold: float = 0.0) -> str:
    """Replace the given spans (objects or dicts with entity_type, start, end, score) with
    presidio-anonymizer operators: replace (with `<ENTITY>` or `new_value`), redact, mask or hash."""
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    results = []
    for span in spans:
        entity, start, end, score = _span_fields(span)
        if score < score_threshold or (entities and entity not in entities):
            continue
        if not 0 <= start < end <= len(text):
            raise ValueError(f"span {entity} [{start}, {end}) is outside a text of length {len(text)}")
        results.append(RecognizerResult(entity_type=entity, start=start, end=end, score=score))
    if not results:
        return text
    params = {"replace": {"new_value": new_value} if new_value else {},
              "redact": {}, "hash": {"hash_type": "sha256"},
              "mask": {"masking_char": "*", "chars_to_mask": 10**6, "from_end": False}}[operator]
    engine = _engine()
    return engine.anonymize(text=text, analyzer_results=results,
                            operators={"DEFAULT": OperatorConfig(operator, params)}).text


_ENGINE = None


def _engine():
    global _ENGINE
    if _ENGINE is None:
        from presidio_anonymizer import AnonymizerEngine

        _ENGINE = AnonymizerEngine()
    return _ENGINE


def _text_redact(series: pd.Series, params: dict, ctx: Context) -> pd.Series:
    by_row = _pii_spans(series, params) if params["finder"] == "auto" else None
    ctx.span_finder = "analysis.pii.find_text_spans" if by_row is not None else "patterns (email, phone, card, SSN, IP)"
    out = []
    for position, value in enumerate(series.tolist()):
        if not isinstance(value, str) or not value:
            out.append(value)
            continue
        spans = by_row.get(position, []) if by_row is not None else regex_spans(value)
        ctx.text_spans_found += len(spans)
        out.append(redact_spans(value, spans, operator=params["operator"], new_value=params["new_value"],
                                entities=params["entities"], score_threshold=params["score_threshold"]))
    return pd.Series(out, index=series.index, dtype="str")


_NUM = (int, float)
_OPT_NUM = (int, float, type(None))


def _check_bin(p: dict) -> Optional[str]:
    if (p["width"] is None) == (p["edges"] is None):
        return "give exactly one of width or edges"
    if p["width"] is not None and p["width"] <= 0:
        return f"width must be > 0, got {p['width']}"
    if p["edges"] is not None and (len(p["edges"]) < 2 or not all(isinstance(e, _NUM) for e in p["edges"])):
        return "edges must be a list of at least two numbers"
    return None


def _check_top_bottom(p: dict) -> Optional[str]:
    if all(p[k] is None for k in ("lower", "upper", "lower_quantile", "upper_quantile")):
        return "give lower/upper or lower_quantile/upper_quantile"
    for k in ("lower_quantile", "upper_quantile"):
        if p[k] is not None and not 0 <= p[k] <= 1:
            return f"{k} must be in [0, 1], got {p[k]}"
    return None


def _check_mask(p: dict) -> Optional[str]:
    if p["keep_first"] < 0 or p["keep_last"] < 0:
        return "keep_first and keep_last must be >= 0"
    return None if len(p["char"]) == 1 else f"char must be one character, got {p['char']!r}"


def _check_pseudo(p: dict) -> Optional[str]:
    return None if 8 <= p["length"] <= 64 else f"length must be between 8 and 64, got {p['length']}"


def _check_surrogate(p: dict) -> Optional[str]:
    from faker import Faker

    try:
        fake = Faker(p["locale"])
    except (AttributeError, ValueError):
        return f"unknown Faker locale {p['locale']!r} (e.g. en_US, de_DE, fr_FR)"
    return None if callable(getattr(fake, p["provider"], None)) else \
        f"unknown Faker provider {p['provider']!r} (e.g. name, email, phone_number, address, city, ssn)"


def _check_text(p: dict) -> Optional[str]:
    if p["finder"] not in ("auto", "patterns"):
        return f"finder must be auto (the PII scan's recognizers) or patterns, got {p['finder']!r}"
    if p["operator"] not in ("replace", "redact", "mask", "hash"):
        return f"operator must be replace, redact, mask or hash, got {p['operator']!r}"
    return None


def _check_zip(p: dict) -> Optional[str]:
    return None if p["keep"] >= 0 and len(p["fill"]) <= 1 else "keep must be >= 0 and fill one character or empty"


OPERATORS: dict[str, OperatorSpec] = {spec.name: spec for spec in [
    OperatorSpec("keep", _keep, {}, "leave the column unchanged"),
    OperatorSpec("drop", _keep, {}, "remove the column from the output", drops_column=True),
    OperatorSpec("redact", _redact, {"replacement": ((str,), "[REDACTED]"), "keep_missing": ((bool,), True)},
                 "replace every value with a fixed text"),
    OperatorSpec("mask", _mask, {"keep_first": ((int,), 0), "keep_last": ((int,), 4), "char": ((str,), "*"),
                                 "by_type": ((bool,), False)},
                 "hide all but the first/last characters (by_type: mask each cell by its own PII type, "
                 "e-mails as j***@e***.com, phones and cards keeping two digits)", extra_check=_check_mask),
    OperatorSpec("pseudonymize", _pseudonymize, {"length": ((int,), 16), "prefix": ((str,), "")},
                 "keyed HMAC-SHA256 token: same value, same token, for whoever holds the secret",
                 needs_secret=True, extra_check=_check_pseudo),
    OperatorSpec("bin", _bin, {"width": (_OPT_NUM, None), "origin": (_NUM, 0), "edges": ((list, type(None)), None)},
                 "generalize numbers into intervals of a width or between edges", extra_check=_check_bin),
    OperatorSpec("date_truncate", _date_truncate, {"to": ((str,), "year")},
                 "generalize dates to year or month",
                 extra_check=lambda p: None if p["to"] in ("year", "month", "day") else
                 f"to must be year, month or day, got {p['to']!r}"),
    OperatorSpec("zip_truncate", _zip_truncate, {"keep": ((int,), 3), "fill": ((str,), "*"), "width": ((int,), 5)},
                 "keep the first digits of a postal code", extra_check=_check_zip),
    OperatorSpec("id_birth_date", _id_birth_date, {"to": ((str,), "year")},
                 "replace a national ID that encodes a birth date (PESEL, NIR, codice fiscale) by that date, "
                 "generalized to year or month; other values become missing",
                 extra_check=lambda p: None if p["to"] in ("year", "month", "day") else
                 f"to must be year, month or day, got {p['to']!r}"),
    OperatorSpec("hierarchy", _hierarchy, {"mapping": ((dict,), MISSING), "default": ((str, type(None)), None)},
                 "map categories to broader groups (unmapped: default, or kept when default is null)"),
    OperatorSpec("top_bottom_code", _top_bottom,
                 {"lower": (_OPT_NUM, None), "upper": (_OPT_NUM, None), "lower_quantile": (_OPT_NUM, None),
                  "upper_quantile": (_OPT_NUM, None)},
                 "clip extreme values to a floor and a ceiling", extra_check=_check_top_bottom),
    OperatorSpec("surrogate", _surrogate, {"provider": ((str,), "name"), "locale": ((str,), "en_US"),
                                           "seed": ((int,), 0)},
                 "realistic fake values (Faker), the same fake for the same value", needs_secret=True,
                 extra_check=_check_surrogate),
    OperatorSpec("text_redact", _text_redact,
                 {"operator": ((str,), "replace"), "new_value": ((str, type(None)), None),
                  "entities": ((list, type(None)), None), "score_threshold": (_NUM, 0.0),
                  "finder": ((str,), "auto")},
                 "replace personal data found inside free text (presidio-anonymizer)", extra_check=_check_text),
]}
