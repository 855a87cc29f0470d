"""Metrics, and the labelled evaluation sets: a table the rules have never seen is classified as well
as the known one (the issue's 'done when')."""

from __future__ import annotations

import pytest

from analysis.pii import find_text_spans, scan_table
from analysis.pii.evalset import make_eval_set
from analysis.pii.evaluate import evaluate_columns, evaluate_scan, evaluate_spans, fbeta


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


@pytest.mark.parametrize("variant", ["known", "unseen"])
def test_column_f1_on_known_and_unseen_tables(engine, variant):
    data = make_eval_set(150, variant=variant, seed=21)
    scan = scan_table(data.frame, sample_rows=0, backend="serial")
    text = data.text_columns[0]
    spans = find_text_spans(data.frame[text], rows="all", backend="serial")
    reports = evaluate_scan(scan, data, spans)
    assert reports["column"].overall.f1_score >= 0.97, reports["column"].errors
    assert reports["kind"].overall.f1_score >= 0.95, reports["kind"].errors
    assert reports["span"].overall.f2_score >= 0.75, reports["span"].errors[:10]
