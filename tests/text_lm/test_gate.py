"""The language-model step of the CI gate: its report section (HTML, JSON, Markdown) and policies."""

from __future__ import annotations

import json

import pytest

from analysis.audit import ConfigError, run_audit_on_table
from analysis.report.export import report_json, validate_report
from analysis.report.figures import section_figures
from analysis.report.html import render_html
from analysis.report.markdown import render_markdown
from analysis.tables import load_sample
from tests.rendered import shown

STEP = {"text_column": "body", "epochs": 4, "max_rows": 600, "canary_repeats": [1, 16], "secret_space_size": 1000,
        "max_documents": 300}


def test_gate_reports_the_language_model_and_enforces_its_policies():
    table = load_sample("tickets.csv")
    outcome = run_audit_on_table(table, {"steps": {"language_model": STEP},
                                         "policies": {"max_pii_extracted": 0, "max_text_tpr_at_0.001_fpr": 1.0}})
    section = next(s for s in outcome.report.sections if s.key == "language_model")
    result = outcome.inputs.language_model
    assert section.metrics["pii_extracted"] == result.extraction.pii_in_training > 0
    assert section.metrics["min_k_plus_plus.tpr_at_0.001_fpr"] == result.attacks[3].tpr_at_fpr["0.001"]
    policies = {p.name: p for p in outcome.report.policies}
    assert not policies["max_pii_extracted"].passed  # the non-private model repeats training PII
    assert policies["max_text_tpr_at_0.001_fpr"].passed
    data = json.loads(report_json(outcome.report))
    validate_report(data)
    figures = section_figures(outcome.inputs)
    assert [t for t, _ in figures["language_model"]] == ["Membership inference on documents (log-log ROC)",
                                                         "Canary exposure by insertion count",
                                                         "PII in sampled generations by type"]
    html = render_html(outcome.report, figures)
    markdown = render_markdown(outcome.report)
    assert "section-language_model" in html and "min_k_plus_plus" in html
    assert "Language model: training PII values in its generations" in shown(markdown)
    emails = set(table.frame["email"])
    assert not any(e in html or e in markdown or e in json.dumps(data) for e in emails)


def test_gate_step_names_a_missing_text_column():
    with pytest.raises(ConfigError, match="steps.language_model.text_column"):
        run_audit_on_table(load_sample("tickets.csv"), {"steps": {"language_model": {"text_column": "nope"}}})
