"""After a plan, the report judges the released (anonymized) table and shows the raw table's figures
beside it; the statement lists every category found, special categories included, and speaks of DP only
for models trained with it."""

from __future__ import annotations

import re

import pytest

from analysis.anonymize import apply_plan, suggest_plan
from analysis.pii import scan_table
from analysis.pii.evalset import make_eval_set
from analysis.report import ReportInputs, assemble_report
from analysis.report.markdown import render_markdown
from analysis.risk import assess_risk, columns_of_kind

QIS = ["sex", "age", "race", "juv_fel_count", "juv_misd_count", "juv_other_count"]


@pytest.fixture(scope="module")
def released():
    frame = make_eval_set(1500, variant="real", seed=4).frame
    scan = scan_table(frame, backend="serial")
    plan = suggest_plan(frame, QIS, k=5, direct_identifiers=columns_of_kind(frame, scan, "direct_identifier"),
                        other_quasi_identifiers=columns_of_kind(frame, scan, "quasi_identifier"))
    out = apply_plan(frame, plan).frame
    raw_risk, after = assess_risk(frame, QIS, k=5), assess_risk(out, QIS, k=5)
    report = assemble_report(ReportInputs(scan=scan, risk=raw_risk, anonymization=plan, released_risk=after))
    return report, raw_risk, after


def test_summary_reads_the_released_table_with_the_raw_beside_it(released):
    report, raw_risk, after = released
    assert raw_risk.k == 1 and after.k >= 5
    k_item = report.item("k_anonymity")
    assert k_item.value == after.k and "released table" in k_item.display and "raw table: k = 1" in k_item.display
    assert k_item.rating == "green"
    direct = report.item("direct_identifiers")
    assert direct.value == 0 and "none in clear in the released table" in direct.display and "first" in direct.display


def test_risk_section_has_raw_and_released_side_by_side(released):
    report, raw_risk, after = released
    risk = report.section("risk")
    table = risk.tables[0]
    assert table.columns == ["measure", "raw table", "released table"]
    assert table.rows[0] == ["k (smallest group)", "1", str(after.k)]
    assert risk.metrics["released.k"] == after.k
    assert "released table has k =" in risk.sentence and "no direct identifier is left in clear" in risk.sentence
    assert "released table" in render_markdown(report)


def test_statement_lists_every_category_and_no_dp_without_a_dp_model(released):
    report, _, _ = released
    text = " ".join(line.text for line in report.statement.lines)
    for category in ("PERSON", "RECORD_ID", "DATE_TIME", "CRIMINAL_OFFENCE", "NRP"):
        assert category in text
    assert "racial or ethnic origin (GDPR Art. 9)" in text and "(GDPR Art. 10)" in text
    assert re.search(r"\bDP\b|DP-SGD|differential privacy|ε", text) is None
