"""The most exposed records: ranked by p-value, described by quasi-identifier groups (rare combinations
withheld), never by identifier values or raw numbers; p-value shares against the non-members' chance."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.attacks.exposed import MIN_SHOWN, most_exposed, p_values


def _members(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": [f"C-{900000 + i}" for i in range(n)],
        "email": [f"person{i}@example.org" for i in range(n)],
        "age": rng.integers(18, 90, n), "sex": rng.choice(["F", "M"], n),
        "country": np.where(np.arange(n) == 7, "Tuvalu", rng.choice(["US", "CA"], n)),
        "income": rng.normal(50_000, 10_000, n).round(2), "label": rng.choice(["a", "b"], n)})


def _scores(n_members, n_non, top, seed=0):
    rng = np.random.default_rng(seed)
    scores = rng.random(n_members + n_non)
    scores[top] = 0.9999
    return scores


def test_top_records_are_described_without_identifiers_or_raw_numbers():
    members = _members()
    n_non = 300
    runs = [("non-private", "none", {"rmia_offline": (_scores(300, n_non, 7), {"population_size": 2000})}),
            ("DP-SGD ε = 1", "dp", {"rmia_offline": (_scores(300, n_non, [], seed=1), {"population_size": 2000})})]
    report = most_exposed(members, "label", runs, quasi_identifiers=["age", "sex", "country"], top=5)
    assert report.reference_run == "non-private" and report.attack == "rmia_offline"
    first = report.people[0]
    assert first.rank == 1 and first.group_size == 1
    # a group of one would single the person out: its rarest values are withheld
    assert "Tuvalu" not in json.dumps(first.group) and "(withheld: rare combination)" in first.group.values()
    assert any("country" in reason for reason in first.stands_out)
    assert set(first.p_values) == {"non-private", "DP-SGD ε = 1"}
    assert first.p_values["non-private"] < first.p_values["DP-SGD ε = 1"]
    text = json.dumps(report.to_dict())
    assert "customer_id" in report.hidden_columns and "email" in report.hidden_columns
    for column in ("customer_id", "email"):
        assert not any(str(v) in text for v in members[column])
    assert not any(f"{v:.2f}" in text for v in members["income"])  # numbers only as bands or percentiles


def test_shown_groups_describe_at_least_min_shown_members():
    members = _members(seed=2)
    runs = [("non-private", "none", {"rmia_offline": (_scores(300, 300, list(range(10)), seed=3),
                                                       {"population_size": 2000})})]
    report = most_exposed(members, "label", runs, quasi_identifiers=["age", "sex", "country"], top=10)
    for person in report.people:
        shown = {k: v for k, v in person.group.items() if not v.startswith("(withheld")}
        mask = np.ones(len(members), dtype=bool)
        for col, value in shown.items():
            if col == "age":
                continue  # a band: checked through its size below
            mask &= members[col].astype(str).to_numpy() == value
        assert mask.sum() >= MIN_SHOWN or "age" in shown


def test_p_value_shares_compare_members_with_chance():
    n = 1000
    scores = np.concatenate([np.full(n, 0.9995), np.linspace(0, 0.98, n)])
    report = most_exposed(_members(n), "label", [("non-private", "none",
                                                   {"rmia_offline": (scores, {"population_size": 1000})})])
    share = report.runs[0]
    assert share.members_below["rmia_offline"] == 1.0
    assert share.non_members_below["rmia_offline"] == 0.0
    assert np.allclose(p_values("rmia_offline", np.array([0.0, 0.5, 0.9995]), {"population_size": 1000}),
                       [1.0, 0.5, 0.001])
    assert p_values("loss", np.array([1.0])) is None


@pytest.fixture(scope="module")
def audited():
    from analysis.attacks.audit import run_audit
    from analysis.models.recipes import get_recipe, train_model
    from analysis.tables import load_sample

    customers = load_sample("customers.csv").frame.sample(400, random_state=0).reset_index(drop=True)
    trained = train_model(customers, "churned", recipe="logistic_regression", seed=0)
    result = run_audit(trained.model, trained.members, trained.non_members, "churned",
                       recipe=get_recipe("logistic_regression"), attacks=("threshold", "rmia"),
                       reference_models=2, slice_column="plan", seed=1, backend="serial")
    return trained, result


def test_model_audit_reports_exposure_by_group_without_identifiers(audited):
    """The Model audit's result carries the same exposure view (RMIA p-values, groups, no identifiers)."""
    trained, result = audited
    exposure = result.exposure
    assert exposure is not None and exposure.attack == "rmia_offline" and len(exposure.people) == 10
    assert exposure.quasi_identifiers == ["plan"]
    text = json.dumps(exposure.to_dict())
    for column in ("customer_name", "email", "ssn"):
        assert column in exposure.hidden_columns
        assert not any(str(v) in text for v in trained.members[column])
    share = exposure.runs[0]
    assert 0.0 <= share.members_below["rmia_offline"] <= 1.0


def test_report_attack_section_lists_the_most_exposed_members(audited):
    from analysis.report import ReportInputs, assemble_report
    from analysis.report.export import report_json, validate_report
    from analysis.report.html import render_html

    trained, result = audited
    report = assemble_report(ReportInputs(attacks=result))
    validate_report(json.loads(report_json(report)))
    section = next(s for s in report.sections if s.key == "attack")
    table = next(t for t in section.tables if t.title.startswith("Most exposed members"))
    assert len(table.rows) == 10 and "members_p_below_1pct" in section.metrics
    assert any("p-value below 1%" in n for n in section.notes)
    html = render_html(report)
    assert "Most exposed members (quasi-identifier group only)" in html
    assert not any(str(v) in html for v in trained.members["email"])
