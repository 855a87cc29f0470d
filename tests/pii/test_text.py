"""Free-text spans: every row on request, guards against false alarms, allow and deny lists."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.pii import TextSpan, find_text_spans
from analysis.pii.text import highlight_html

NOTES = pd.Series([
    "Spoke with John Smith about the refund.",
    "Call back on (212) 555-0143 in the evening.",
    "Send the receipt to mary.jones@example.com please.",
    "Card 4111 1111 1111 1111 was declined.",
    "Order 48213 arrived damaged in 2023, replacement sent monthly.",
    None,
    "Spoke with John Smith about the refund.",
], index=[10, 11, 12, 13, 14, 15, 16])


@pytest.fixture(scope="module")
def spans(engine):
    return find_text_spans(NOTES, rows="all", backend="serial")


def _found(spans, row):
    return {(s.entity_type, NOTES.iloc[row][s.start:s.end]) for s in spans if s.row == row}


def test_spans_in_every_row(spans):
    assert all(isinstance(s, TextSpan) for s in spans)
    assert ("PERSON", "John Smith") in _found(spans, 0)
    assert ("PHONE_NUMBER", "(212) 555-0143") in _found(spans, 1)
    assert ("EMAIL_ADDRESS", "mary.jones@example.com") in _found(spans, 2)
    assert ("CREDIT_CARD", "4111 1111 1111 1111") in _found(spans, 3)
    assert _found(spans, 6) == _found(spans, 0)  # duplicates get the same spans, at their own row
    assert [(s.row, s.start) for s in spans] == sorted((s.row, s.start) for s in spans)


def test_guards_against_false_alarms(spans):
    # order numbers, bare years, 'evening'/'monthly' are not dates; an e-mail's domain is not a URL
    assert _found(spans, 4) == set()
    assert {t for t, _ in _found(spans, 2)} == {"EMAIL_ADDRESS"}
    assert {t for t, _ in _found(spans, 1)} == {"PHONE_NUMBER"}
    assert not any(s.row == 5 for s in spans)


def test_rows_option_samples_or_reads_all(engine):
    long = pd.Series([f"Ticket {i}: call (212) 555-{i:04d} today." for i in range(30)])
    assert len({s.row for s in find_text_spans(long, rows=10, backend="serial")}) == 10
    assert len({s.row for s in find_text_spans(long, rows="all", backend="serial")}) == 30
    with pytest.raises(ValueError, match="rows"):
        find_text_spans(long, rows="some")
    with pytest.raises(ValueError, match="Series"):
        find_text_spans(["not", "a", "series"])


def test_allow_and_deny_lists_in_text(engine):
    texts = pd.Series(["Spoke with John Smith about project falcon."])
    spans = find_text_spans(texts, rows="all", backend="serial", allow_list=["John Smith"], deny_list=["falcon"])
    assert {(s.entity_type, texts[0][s.start:s.end]) for s in spans} == {("DENY_LIST", "falcon")}


def test_highlight_escapes_and_marks():
    html = highlight_html("<b>Hi</b> John", [TextSpan(row=0, entity_type="PERSON", start=10, end=14, score=0.85)])
    assert html.startswith("\\<b\\>Hi\\</b\\> <mark")
    assert "John" in html and "PERSON" in html
    masked = highlight_html("Hi John", [TextSpan(row=0, entity_type="PERSON", start=3, end=7, score=0.85)], mask=True)
    assert "John" not in masked and "J\\*\\*\\*" in masked  # J*** escaped for Markdown
