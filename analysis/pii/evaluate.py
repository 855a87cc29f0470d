"""Precision, recall, F1 and F2 of a scan against labelled truth, per entity type, for columns and
for free-text spans (F2 weighs recall twice: a missed identifier costs more than a false alarm)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

from analysis.results import Result


@dataclass(frozen=True)
class EntityScore(Result):
    entity: str
    true_positives: int
    false_positives: int
    false_negatives: int
    precision_score: float
    recall_score: float
    f1_score: float
    f2_score: float


@dataclass(frozen=True)
class EvaluationReport(Result):
    """`overall` is micro-averaged over every entity type; `per_entity` one row per type."""

    level: str  # "column" or "span"
    overall: EntityScore
    per_entity: list[EntityScore]
    errors: list[str]


def fbeta(precision: float, recall: float, beta: float) -> float:
    if precision + recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def _score(entity: str, tp: int, fp: int, fn: int) -> EntityScore:
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    return EntityScore(entity, tp, fp, fn, round(precision, 4), round(recall, 4),
                       round(fbeta(precision, recall, 1.0), 4), round(fbeta(precision, recall, 2.0), 4))


def _report(level: str, counts: dict[str, list[int]], errors: list[str]) -> EvaluationReport:
    per = [_score(e, *c) for e, c in sorted(counts.items())]
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return EvaluationReport(level=level, overall=_score("ALL", *total), per_entity=per, errors=errors)


def evaluate_columns(truth: Mapping[str, Optional[str]], predicted: Mapping[str, Optional[str]]) -> EvaluationReport:
    """Column level: each column has one true entity type (None for non-PII; 'A|B' for a column of
    mixed types) and one predicted (`ColumnFinding.entity_label`: the top entity or the mixed types,
    None when nothing was found). A wrong type counts as a false positive of the predicted type and a
    false negative of the true type."""
    counts: dict[str, list[int]] = {}
    errors = []
    for column, true_entity in truth.items():
        pred = predicted.get(column)
        if true_entity is not None:
            counts.setdefault(true_entity, [0, 0, 0])
        if pred is not None:
            counts.setdefault(pred, [0, 0, 0])
        if pred == true_entity:
            if pred is not None:
                counts[pred][0] += 1
            continue
        errors.append(f"{column}: expected {true_entity}, got {pred}")
        if pred is not None:
            counts[pred][1] += 1
        if true_entity is not None:
            counts[true_entity][2] += 1
    return _report("column", counts, errors)


def evaluate_kinds(truth: Mapping[str, str], predicted: Mapping[str, str]) -> EvaluationReport:
    """The same scoring over column kinds (direct_identifier, quasi_identifier, ...); 'other' is the
    negative class."""
    t = {c: (k if k != "other" else None) for c, k in truth.items()}
    p = {c: (k if k != "other" else None) for c, k in predicted.items()}
    report = evaluate_columns(t, p)
    return EvaluationReport(level="kind", overall=report.overall, per_entity=report.per_entity, errors=report.errors)


def evaluate_spans(truth: Iterable[tuple[int, str, int, int]], predicted: Iterable[tuple[int, str, int, int]],
                   *, min_overlap: float = 0.5) -> EvaluationReport:
    """Span level: a prediction matches a true span of the same type in the same row when they
    overlap by at least `min_overlap` of the longer one. Each true span matches at most once."""
    truth = [tuple(t[:4]) for t in truth]
    by_row: dict[int, list[tuple[int, str, int, int]]] = {}
    for t in truth:
        by_row.setdefault(t[0], []).append(t)
    used: set[tuple] = set()
    counts: dict[str, list[int]] = {}
    errors = []
    for row, entity, start, end in predicted:
        counts.setdefault(entity, [0, 0, 0])
        match = None
        for t in by_row.get(row, []):
            if t in used or t[1] != entity:
                continue
            overlap = min(end, t[3]) - max(start, t[2])
            if overlap > 0 and overlap >= min_overlap * max(end - start, t[3] - t[2]):
                match = t
                break
        if match:
            used.add(match)
            counts[entity][0] += 1
        else:
            counts[entity][1] += 1
            if len(errors) < 50:
                errors.append(f"row {row}: false {entity} at {start}-{end}")
    for t in truth:
        counts.setdefault(t[1], [0, 0, 0])
        if t not in used:
            counts[t[1]][2] += 1
            if len(errors) < 100:
                errors.append(f"row {t[0]}: missed {t[1]} at {t[2]}-{t[3]}")
    return _report("span", counts, errors)


def evaluate_scan(scan, eval_set, spans=None) -> dict[str, EvaluationReport]:
    """Column, kind and (when `spans` are given) span reports of a ScanResult against an EvalSet."""
    structured = {c: t.entity for c, t in eval_set.columns.items() if c not in eval_set.text_columns}
    predicted = {c.name: c.entity_label for c in scan.columns if c.name in structured}
    out = {"column": evaluate_columns(structured, predicted),
           "kind": evaluate_kinds({c: t.kind for c, t in eval_set.columns.items()},
                                  {c.name: c.kind for c in scan.columns})}
    if spans is not None:
        truth = [(r, e, s, t) for r, e, s, t, _ in eval_set.spans]
        out["span"] = evaluate_spans(truth, [(sp.row, sp.entity_type, sp.start, sp.end) for sp in spans])
    return out
