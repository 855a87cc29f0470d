"""Anonymization: apply a `Plan` (column -> operator) to a table, then suppress until k holds.

    plan = Plan.from_yaml(Path("examples/plans/adult_k5.yaml").read_text())
    result = apply_plan(frame, plan, secret=my_secret)   # result.frame is the anonymized table

The secret for keyed operators (pseudonymize, surrogate) is supplied by the caller or generated
here; a generated one is returned once in `result.generated_secret` and never appears in the
plan, the output table or the result's JSON.
"""

from __future__ import annotations

import functools

import secrets as _secrets
from dataclasses import dataclass, field
from typing import Any, Optional

import pandas as pd

from analysis.anonymize.operators import OPERATORS, Context, hmac_token, redact_spans, regex_spans
from analysis.anonymize.plan import ColumnRule, Plan, Suppression, parse_params
from analysis.anonymize.suppression import suppress
from analysis.progress import ProgressCallback, report
from analysis.results import Result, package_versions, to_jsonable

_versions = functools.lru_cache(maxsize=1)(package_versions)  # reading package metadata is slow

__all__ = ["Plan", "ColumnRule", "Suppression", "apply_plan", "AnonymizationResult", "OPERATORS",
           "generate_secret", "suggest_plan", "frequency_hierarchy", "redact_spans", "regex_spans",
           "hmac_token", "parse_params"]

_HIDDEN_FIELDS = ("frame", "generated_secret")


def generate_secret() -> bytes:
    """32 random bytes for HMAC-SHA256 (show them to the user once, as hex)."""
    return _secrets.token_bytes(32)


@dataclass(frozen=True)
class AnonymizationResult(Result):
    """Counts describing what the plan did; the table itself is `frame` (never serialized)."""

    plan: dict
    rows_in: int
    rows_out: int
    rows_dropped: int
    columns_dropped: list[str]
    cells_changed: dict[str, int]          # per column, by its operator
    cells_suppressed: int
    k_target: Optional[int]
    k_after: Optional[int]                 # smallest class on the suppression quasi-identifiers
    secret_source: str                     # "supplied", "generated" or "none"
    text_spans_redacted: int
    span_finder: str
    frame: pd.DataFrame = field(repr=False, compare=False, default=None)
    generated_secret: Optional[bytes] = field(repr=False, compare=False, default=None)
    versions: dict = field(default_factory=lambda: dict(_versions()))

    def to_dict(self) -> dict[str, Any]:
        return {f: to_jsonable(getattr(self, f)) for f in self.__dataclass_fields__ if f not in _HIDDEN_FIELDS}


def _changed(before: pd.Series, after: pd.Series) -> int:
    """Cells whose value differs (missing on both sides is no change)."""
    from analysis.utility import _diff

    return int(_diff(before, after).sum())


def apply_plan(frame: pd.DataFrame, plan: Plan, *, secret: Optional[bytes] = None,
               progress: Optional[ProgressCallback] = None) -> AnonymizationResult:
    """Apply each column rule, then the plan's suppression. The index of kept rows is preserved."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if not isinstance(plan, Plan):
        raise ValueError(f"plan must be an analysis.anonymize.Plan, got {type(plan).__name__}")
    if secret is not None and (not isinstance(secret, (bytes, bytearray)) or len(secret) < 16):
        raise ValueError("secret must be at least 16 bytes")
    plan.check_columns(frame.columns)
    generated = None
    if plan.needs_secret and secret is None:
        generated = secret = generate_secret()
    ctx = Context(secret=bytes(secret) if secret is not None else None)
    out = frame.copy()
    changed: dict[str, int] = {}
    dropped_cols: list[str] = []
    total = max(1, len(plan.columns) + 1)
    for i, (column, rule) in enumerate(plan.columns.items()):
        report(progress, i / total, f"{rule.operator} on column {i + 1}/{len(plan.columns)}")
        spec = OPERATORS[rule.operator]
        if spec.drops_column:
            dropped_cols.append(column)
            changed[column] = int(len(frame))
            continue
        params = {name: rule.params.get(name, default) for name, (_, default) in spec.params.items()}
        new = spec.fn(out[column], params, ctx)
        changed[column] = _changed(frame[column], new)
        out[column] = new
    out = out.drop(columns=dropped_cols)
    cells_suppressed, k_after, rows_dropped = 0, None, 0
    if plan.suppression is not None:
        report(progress, (total - 1) / total, f"suppressing until k={plan.suppression.k}")
        s = plan.suppression
        outcome = suppress(out, s.quasi_identifiers, s.k, method=s.method, marker=s.marker)
        out, cells_suppressed, k_after, rows_dropped = (outcome.frame, outcome.cells_suppressed,
                                                        outcome.k_after, outcome.records_dropped)
    report(progress, 1.0, "done")
    return AnonymizationResult(
        plan=plan.to_dict(), rows_in=int(len(frame)), rows_out=int(len(out)), rows_dropped=rows_dropped,
        columns_dropped=dropped_cols, cells_changed=changed, cells_suppressed=cells_suppressed,
        k_target=plan.suppression.k if plan.suppression else None, k_after=k_after,
        secret_source="none" if secret is None else ("generated" if generated else "supplied"),
        text_spans_redacted=ctx.text_spans_found, span_finder=ctx.span_finder,
        frame=out, generated_secret=generated)


def frequency_hierarchy(series: pd.Series, *, min_count: int = 100, other: str = "Other") -> dict[str, str]:
    """A starting hierarchy: categories with fewer than `min_count` records map to `other`."""
    counts = series.astype("str").value_counts(dropna=True)
    return {str(v): (str(v) if c >= min_count else other) for v, c in counts.items()}


def suggest_plan(frame: pd.DataFrame, quasi_identifiers: list[str], *, k: int = 5,
                 direct_identifiers: Optional[list[str]] = None, free_text: Optional[list[str]] = None,
                 max_suppression: float = 0.02, method: str = "record",
                 other_quasi_identifiers: Optional[list[str]] = None,
                 reserved: Optional[list[str]] = None) -> Plan:
    """A first plan to edit, whose output is meant to be anonymous (see `defaults.py`): transform every
    direct identifier (dates to their year, the rest pseudonymized), redact spans in free text, generalize
    the chosen quasi-identifiers just enough (greedy search, see `search.py`: coarser values before `*`)
    that at most `max_suppression` of the records fall in classes below k and suppress those, and
    generalize the other quasi-identifier dates to their month. `reserved` columns (default: the consent
    columns the tool reads, `defaults.reserved_columns`) are never in the plan."""
    from analysis.anonymize.defaults import (QUASI_DATE_RULE, direct_identifier_rule, other_quasi_dates,
                                             reserved_columns)
    from analysis.anonymize.search import greedy_generalization

    if not 0.0 <= max_suppression <= 1.0:
        raise ValueError(f"max_suppression must be in [0, 1], got {max_suppression!r}")
    missing = [c for c in quasi_identifiers if c not in frame.columns]
    if missing:
        raise ValueError(f"quasi-identifier(s) not in the table: {', '.join(missing)}")
    kept_out = set(reserved_columns(frame) if reserved is None else reserved)
    quasi = [c for c in quasi_identifiers if c not in kept_out]
    columns: dict[str, Any] = {}
    for column in direct_identifiers or []:
        if column not in quasi and column not in kept_out and column in frame.columns:
            columns[column] = direct_identifier_rule(frame[column])
    for column in free_text or []:
        if column not in quasi and column not in kept_out and column in frame.columns:
            columns[column] = {"operator": "text_redact"}
    for column in other_quasi_dates(frame, other_quasi_identifiers, [*quasi, *columns, *kept_out]):
        columns[column] = dict(QUASI_DATE_RULE)
    if quasi:
        columns.update(greedy_generalization(frame, list(quasi), k=int(k), max_suppression=float(max_suppression)))
    left = sorted(kept_out & (set(quasi_identifiers) | set(direct_identifiers or [])))
    return Plan.from_dict({"columns": columns, "suppression": {
        "k": int(k), "quasi_identifiers": list(quasi), "method": method} if quasi else None,
        "description": f"left out (read by the tool): {', '.join(left)}" if left else ""})
