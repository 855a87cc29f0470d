"""Metrics, and the labelled evaluation sets: a table the rules have never seen is classified as well
as the known one (the issue's 'done when')."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.pii import find_text_spans, scan_table
from analysis.pii.evalset import make_eval_set
from analysis.pii.evaluate import evaluate_columns, evaluate_kinds, evaluate_spans, fbeta
from analysis.tables import load_table


def test_fbeta_and_column_scores():
    assert fbeta(1.0, 0.5, 2.0) == pytest.approx(5 * 0.5 / (4 + 0.5))
    report = evaluate_columns({"a": "PERSON", "b": None, "c": "EMAIL_ADDRESS"},
                              {"a": "PERSON", "b": "PHONE_NUMBER", "c": None})
    assert report.overall.true_positives == 1
    assert report.overall.false_positives == 1 and report.overall.false_negatives == 1
    per = {e.entity: e for e in report.per_entity}
    assert per["PHONE_NUMBER"].precision_score == 0.0 and per["EMAIL_ADDRESS"].recall_score == 0.0


def test_span_matching_needs_type_row_and_overlap():
    truth = [(0, "PERSON", 10, 20), (1, "EMAIL_ADDRESS", 0, 15)]
    report = evaluate_spans(truth, [(0, "PERSON", 10, 19), (1, "EMAIL_ADDRESS", 14, 30), (2, "PERSON", 0, 3)])
    assert report.overall.true_positives == 1
    assert report.overall.false_positives == 2 and report.overall.false_negatives == 1


def test_eval_set_is_seeded_and_labelled():
    a, b = make_eval_set(30, variant="unseen", seed=5), make_eval_set(30, variant="unseen", seed=5)
    assert a.frame.equals(b.frame) and a.spans == b.spans
    assert set(a.columns) == set(a.frame.columns)
    for row, entity, start, end, column in a.spans[:20]:
        assert 0 <= start < end <= len(a.frame[column][row])
    with pytest.raises(ValueError, match="other"):
        make_eval_set(30, variant="other")


DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("variant", ["known", "unseen"])
def test_committed_eval_files_match_the_generator(variant):
    truth = json.loads((DATA / f"eval_{variant}_truth.json").read_text())
    data = make_eval_set(truth["rows"], variant=variant, seed=truth["seed"])
    assert truth["columns"] == {c: {"entity": t.entity, "kind": t.kind} for c, t in data.columns.items()}
    assert truth["spans"] == [list(s) for s in data.spans]


@pytest.mark.parametrize("variant", ["known", "unseen"])
def test_column_f1_on_known_and_unseen_tables(engine, variant):
    """The committed tables, read from disk as a user's file would be."""
    truth = json.loads((DATA / f"eval_{variant}_truth.json").read_text())
    frame = load_table(DATA / f"eval_{variant}.csv").frame
    scan = scan_table(frame, sample_rows=0, backend="serial")
    text = truth["text_columns"][0]
    structured = {c: t["entity"] for c, t in truth["columns"].items() if c != text}
    columns = evaluate_columns(structured, {c.name: c.entity_label for c in scan.columns if c.name in structured})
    kinds = evaluate_kinds({c: t["kind"] for c, t in truth["columns"].items()}, {c.name: c.kind for c in scan.columns})
    spans = find_text_spans(frame[text], rows="all", backend="serial")
    span_report = evaluate_spans([tuple(s[:4]) for s in truth["spans"]],
                                 [(s.row, s.entity_type, s.start, s.end) for s in spans])
    assert columns.overall.f1_score >= 0.97, columns.errors
    assert kinds.overall.f1_score >= 0.95, kinds.errors
    assert span_report.overall.f2_score >= 0.75, span_report.errors[:10]
