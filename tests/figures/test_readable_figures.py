"""Figures stay readable on real-sized results: every label of a wide table's heatmap, ticks that do not
repeat, and table names that plotly draws as text, never as a link."""

from __future__ import annotations

import re

from analysis.figures import PERCENT_TICKS
from analysis.figures.pii import entity_heatmap
from analysis.pii.findings import ColumnFinding, EntityFinding, ScanResult

TYPES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON", "US_SSN", "LOCATION"]


def _wide_scan(n_columns: int = 53) -> ScanResult:
    """53 columns named like a real export; every tenth holds one of five entity types."""
    columns = []
    for i in range(n_columns):
        entities = ([EntityFinding(TYPES[(i // 10) % 5], 0.5 + i / 200, 0.9, 0.4, 0.6)] if i % 10 == 3 else [])
        columns.append(ColumnFinding(f"case_field_{i:02d}", "direct_identifier" if entities else "other",
                                     entities, [], []))
    columns.append(ColumnFinding('<a href="http://evil.example">x</a>', "other", [], [], []))
    return ScanResult(columns=columns, rows=1000, seconds=1.0, sample_rows=1000, ner_model=None)


def test_heatmap_of_a_wide_table_labels_every_column_and_entity_type():
    scan = _wide_scan()
    fig = entity_heatmap(scan)
    trace = fig.data[0]
    assert list(trace.x) == sorted(TYPES)  # all 5 entity types, one per column of the grid
    assert len(trace.y) == len(scan.columns)  # one row per column: none squashed away
    assert fig.layout.yaxis.dtick == 1  # every row keeps its label
    assert fig.layout.height >= 20 * len(scan.columns)  # the figure grows with the table
    # flagged columns first, the most prevalent on top
    flagged = [c.name for c in scan.columns if c.entities]
    assert list(trace.y[:len(flagged)]) == sorted(flagged, key=lambda n: -next(
        c.entities[0].prevalence for c in scan.columns if c.name == n))


def test_heatmap_draws_a_column_name_with_a_tag_as_text():
    trace = entity_heatmap(_wide_scan()).data[0]
    assert '&lt;a href="http://evil.example"&gt;x&lt;/a&gt;' in trace.y
    assert not any(str(y).startswith("<a") for y in trace.y)


def test_percent_ticks_keep_enough_precision_not_to_repeat():
    # d3-format: "~" trims trailing zeros, ".3" keeps 0.001% steps; ".0%" printed "0% 0% 0% 1% 1%".
    assert re.fullmatch(r"\.[2-9]~%", PERCENT_TICKS)
    from analysis.figures import attacks, pii, risk  # noqa: F401  every module uses the shared format

    for module in (attacks, pii, risk):
        source = open(module.__file__, encoding="utf-8").read()
        assert not re.search(r"tickformat=\"\.[01]%\"", source), module.__name__
