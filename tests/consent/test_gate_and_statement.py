"""Consent in the CI gate and the data-use statement (HTML, JSON, Markdown), on the bundled customers."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.audit import ConfigError, load_config, run_audit_config, validate_config
from analysis.cli import main
from analysis.report.export import report_json
from analysis.report.html import render_html
from analysis.report.markdown import render_markdown
from analysis.report.model import SCHEMA_VERSION
from analysis.settings import PROJECT_ROOT


def _config(customers_path, *, enforce: bool, member_share: float = 0.5) -> dict:
    return {"version": 1, "data": str(customers_path), "label": "churned", "seed": 0, "rows": 2500,
            "consent": {"column": "consent_training", "enforce": enforce, "withdrawn_after": "2024-06-30"},
            "steps": {"scan": {"sample_rows": 200},
                      "attack": {"model": "random_forest", "attacks": ["threshold"], "member_share": member_share}},
            "policies": {"require_consent": "training", "max_rows_without_consent": 0,
                         "withdrawn_must_be_absent": True},
            "history": {"enabled": False}}


@pytest.fixture(scope="module")
def enforced(customers_path):
    return run_audit_config(_config(customers_path, enforce=True))


@pytest.fixture(scope="module")
def not_enforced(customers_path):
    return run_audit_config(_config(customers_path, enforce=False, member_share=0.8))


def test_enforced_consent_passes_the_gate(enforced, customers_path):
    assert enforced.passed, [p.message for p in enforced.failed_policies]
    consent = enforced.report.section("consent").metrics
    sample = pd.read_csv(customers_path).sample(n=2500, random_state=0)
    without = int((sample["consent_training"] != "yes").sum())
    assert consent["rows_excluded"] == without and consent["rows_without_consent"] == 0
    assert consent["withdrawal.still_in_training"] == 0
    assert enforced.inputs.attacks.settings["n_members"] + enforced.inputs.attacks.settings["n_non_members"] \
        == 2500 - without


def test_training_on_everything_fails_all_three_consent_policies(not_enforced):
    failed = {p.name for p in not_enforced.failed_policies}
    assert failed == {"require_consent", "max_rows_without_consent", "withdrawn_must_be_absent"}
    check = not_enforced.inputs.withdrawal
    assert check.p_value < 0.01 and check.still_in_training


def test_statement_is_built_from_results_without_raw_values(enforced, customers_path):
    report = enforced.report
    topics = {line.topic for line in report.statement.lines}
    assert {"personal data", "consent", "protections", "residual risk", "withdrawal", "provenance"} <= topics
    texts = " ".join(line.text for line in report.statement.lines)
    assert "Column email is a direct identifier holding EMAIL_ADDRESS." in texts
    assert report.provenance.dataset["sha256"] in texts
    markdown, html = render_markdown(report), render_html(report)
    data = json.loads(report_json(report))  # validates against the schema
    assert data["schema_version"] == SCHEMA_VERSION and data["statement"]["lines"]
    raw = pd.read_csv(customers_path, dtype=str)
    for value in raw["email"].head(200).tolist() + raw["ssn"].head(200).tolist():
        assert value not in markdown and value not in html
    assert "## Data-use statement" in markdown and "| rating | what | measured |" in markdown
    assert 'id="section-statement"' in html


def test_sample_configs_validate_and_name_their_needs(customers_path):
    for name in ("audit.consent.yaml", "audit.consent_failing.yaml"):
        cfg = validate_config(load_config(PROJECT_ROOT / "configs" / name))
        assert cfg["consent"]["withdrawn_after"] == "2024-06-30"
    config = _config(customers_path, enforce=True)
    config.pop("consent")
    with pytest.raises(ConfigError, match="require_consent"):
        validate_config(config)
    config = _config(customers_path, enforce=True)
    config["steps"].pop("attack")
    config["policies"] = {"withdrawn_must_be_absent": True}
    with pytest.raises(ConfigError, match="withdrawn_must_be_absent"):
        validate_config(config)


def test_audit_cli_writes_the_markdown_statement(tmp_path, customers_path, monkeypatch):
    config = _config(customers_path, enforce=True)
    config["steps"] = {"scan": {"sample_rows": 100}}
    config["rows"] = 300
    config["policies"] = {"max_rows_without_consent": 0}
    path = tmp_path / "audit.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    out = tmp_path / "statement.md"
    assert main(["audit", str(path), "--markdown", str(out), "--no-history", "--quiet"]) == 0
    text = out.read_text()
    assert "Training used only rows with consent to training" in text
