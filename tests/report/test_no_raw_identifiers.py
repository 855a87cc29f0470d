"""Neither the HTML nor the JSON report holds a raw cell value of a direct identifier (customers.csv)."""

from __future__ import annotations

import plotly.offline
import pytest

from analysis.report import ReportInputs, assemble_report
from analysis.report.figures import section_figures
from analysis.report.html import render_html
from tests.report.conftest import DIRECT_COLUMNS


def _raw_values(table, columns):
    values = set()
    for col in columns:
        for v in table.frame[col].dropna().astype(str):
            v = v.strip()
            if len(v) >= 5:  # shorter strings ("M", "WA") are not identifying on their own
                values.add(v)
    return values


def _leaked(values, text):
    """Raw values found in text. Exact: a value can only be in the text if its first 5 characters are."""
    windows = {text[i:i + 5] for i in range(len(text) - 4)}
    return [v for v in values if v[:5] in windows and v in text]


@pytest.fixture(scope="module")
def direct_columns(scan_result):
    flagged = {c.name for c in scan_result.columns if c.kind == "direct_identifier"}
    assert set(DIRECT_COLUMNS) <= flagged | {"date_of_birth"}, flagged
    return sorted(flagged | set(DIRECT_COLUMNS))


def test_reports_hold_only_masked_identifier_examples(full_inputs, full_report, customers, direct_columns):
    raw = _raw_values(customers, direct_columns)
    html = render_html(full_report, section_figures(full_inputs)).replace(plotly.offline.get_plotlyjs(), "")
    text = full_report.to_json()
    leaked_html, leaked_json = _leaked(raw, html), _leaked(raw, text)
    assert leaked_html == [] and leaked_json == [], (len(leaked_html), len(leaked_json))
    # The scan's examples are still shown, masked.
    table = full_report.section("scan").tables[0]
    examples = {row[0]: row[4] for row in table.rows}
    assert "*" in examples["email"] and "@" in examples["email"]
    assert _leaked(raw, "x" + customers.frame["email"].iloc[3] + "x")  # the check does find a raw value


def test_report_masks_again_an_example_that_slipped_through(customers, scan_result):
    import dataclasses

    email = customers.frame["email"].iloc[0]
    leaky_columns = [dataclasses.replace(c, examples=[email]) if c.name == "email" else c
                     for c in scan_result.columns]
    leaky = dataclasses.replace(scan_result, columns=leaky_columns)
    report = assemble_report(ReportInputs(table=customers, scan=leaky))
    assert email not in report.to_json()
    assert any("masked again" in n for n in report.section("scan").notes)
