"""`privacy-audit compare --canaries`: every run's JSON has its canary audit, the raw and anonymized runs
their GDPR anonymity risks, the comparison its most exposed records; the report built from that JSON
carries the model-anonymity statement in HTML, JSON (schema 1.4.0) and Markdown."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from analysis.report import ReportInputs, assemble_report
from analysis.report.export import report_json, validate_report
from analysis.report.html import render_html
from analysis.report.markdown import render_markdown

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def compared(adult_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "compare.json"
    plan = adult_path.parent.parent / "examples" / "plans" / "adult_k5.yaml"
    code = main(["compare", str(adult_path), "--label", "class", "--strategies", "none,dp,anonymized", "--plan",
                 str(plan), "--epsilons", "1", "--seeds", "1", "--epochs", "2", "--max-rows", "2000",
                 "--canaries", "100", "--anonymity-attacks", "100", "--quiet", "--json", str(out)])
    assert code == 0
    return json.loads(out.read_text())


def test_each_run_has_a_canary_audit_and_rmia(compared):
    for run in compared["runs"]:
        audit = run["canary_audit"]
        assert audit["canaries"] == 100 and audit["confidence"] == 0.95
        assert audit["epsilon_lower_bound"] is not None and 0 <= audit["correct"] <= audit["guesses"]
        names = {a["name"] for a in run["attacks"]}
        assert {"loss", "rmia_offline", "rmia_online"} <= names  # RMIA by default, beside the thresholds
        assert run["details"]["reference_models"]["trained_like"] == "this strategy"


def test_raw_and_anonymized_runs_carry_anonymity(compared):
    by = {r["strategy"]: r for r in compared["runs"]}
    assert by["dp"]["anonymity"] is None
    assert by["none"]["anonymity"]["release"] == "raw" and by["anonymized"]["anonymity"]["release"] == "anonymized"
    for criterion in ("singling_out", "linkability", "inference"):
        value = by["none"]["anonymity"][criterion]
        assert 0 <= value["ci_low"] <= value["risk"] <= value["ci_high"] <= 1


def test_most_exposed_records_are_in_the_json(compared):
    exposure = compared["exposure"]
    assert exposure["reference_run"] == "non-private" and len(exposure["people"]) == 10
    assert {r["run"] for r in exposure["runs"]} == {r["name"] for r in compared["runs"]}
    assert set(exposure["people"][0]["p_values"]) == {r["name"] for r in compared["runs"]}


def test_report_carries_the_model_anonymity_statement(compared):
    report = assemble_report(ReportInputs(tradeoff=compared))
    validate_report(json.loads(report_json(report)))
    assert report.schema_version == "1.4.0"
    section = next(s for s in report.sections if s.key == "model_anonymity")
    assert "EDPB Opinion 28/2024" in section.title and any("not legal advice" in n for n in section.notes)
    assert any(n.startswith("Attacks tried: ") and "rmia_offline" in n for n in section.notes)
    assert any(n.startswith("Not tried: ") for n in section.notes)
    verdicts = {row[0]: row[6] for row in section.tables[0].rows}
    assert set(verdicts) == {"non-private", "DP-SGD ε = 1", "anonymized"}
    assert set(verdicts.values()) <= {"above chance", "not measurably above chance"}
    markdown = render_markdown(report)
    assert "Model anonymity" in markdown and "not legal advice" in markdown and "| non-private |" in markdown
    assert "Model anonymity: evidence for EDPB Opinion 28/2024" in render_html(report)
