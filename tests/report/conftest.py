"""Shared results for the report tests: scan + risk + a threshold attack on small bundled data."""

from __future__ import annotations

import pytest

from analysis.report import ReportInputs, assemble_report
from analysis.tables import load_sample

DIRECT_COLUMNS = ("customer_name", "email", "phone", "ssn", "card_number", "address", "ip_address")


@pytest.fixture(scope="session")
def customers():
    return load_sample("customers.csv")


@pytest.fixture(scope="session")
def scan_result(customers):
    from analysis.pii import scan_table

    return scan_table(customers.frame, sample_rows=500)


@pytest.fixture(scope="session")
def risk_report(customers):
    from analysis.risk import assess_risk

    return assess_risk(customers.frame, ["zip", "age", "sex"], sensitive=["health_condition"], k=5)


@pytest.fixture(scope="session")
def trained(customers):
    from analysis.models.recipes import train_model

    frame = customers.frame.sample(n=1200, random_state=0).reset_index(drop=True)
    return train_model(frame, "churned", recipe="logistic_regression", seed=0)


@pytest.fixture(scope="session")
def audit_result(trained):
    from analysis.attacks.audit import run_audit

    return run_audit(trained.model, trained.members, trained.non_members, "churned", attacks=["threshold"],
                     seed=0, n_jobs=1)


@pytest.fixture(scope="session")
def full_inputs(customers, scan_result, risk_report, audit_result, trained):
    return ReportInputs(table=customers, scan=scan_result, risk=risk_report, attacks=audit_result,
                        model_info={"name": trained.recipe, "recipe": trained.recipe_settings},
                        seeds={"split": 0}, title="Test audit")


@pytest.fixture(scope="session")
def full_report(full_inputs):
    return assemble_report(full_inputs)
