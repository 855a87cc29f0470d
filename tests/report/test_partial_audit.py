"""The quick audit in partial mode (analysis/audit.py `run_audit_on_table(partial=True)`): a step that cannot
run on this table is named with what fixes it, every other step is in the report; the CI gate still fails."""

from __future__ import annotations

import pytest

from analysis.audit import ConfigError, quick_audit_config, run_audit_on_table
from analysis.report.export import report_json
from analysis.tables import load_table

ORDERS = "order_id,amount,quantity,returned\n" + "".join(
    f"O{i:04d},{(i * 37) % 500 + 0.5},{i % 7 + 1},{'yes' if i % 3 == 0 else 'no'}\n" for i in range(200))
TINY = "customer_id,age,zip,churned\nC001,34,10115,no\nC002,45,10117,no\nC003,29,10119,no\nC004,51,10115,no\n"


def test_no_quasi_identifier_leaves_out_the_risk_only():
    table = load_table(ORDERS.encode(), name="orders.csv")
    outcome = run_audit_on_table(table, quick_audit_config(label="returned"), partial=True)
    assert [s.key for s in outcome.report.sections] == ["scan", "attack"]
    [failure] = outcome.failures
    assert (failure.step, failure.fix) == ("risk", "quasi_identifiers")
    assert not failure.reason.startswith("steps.")
    assert '"not_computed"' in report_json(outcome.report)


def test_chosen_quasi_identifiers_fix_it():
    table = load_table(ORDERS.encode(), name="orders.csv")
    config = quick_audit_config(label="returned", quasi_identifiers=["quantity"])
    outcome = run_audit_on_table(table, config, partial=True)
    assert not outcome.failures
    assert "risk" in [s.key for s in outcome.report.sections]


def test_one_class_label_leaves_out_the_attack_and_names_the_label():
    table = load_table(TINY.encode(), name="tiny.csv")
    outcome = run_audit_on_table(table, quick_audit_config(label="churned"), partial=True)
    assert "attack" not in [s.key for s in outcome.report.sections]
    assert "scan" in [s.key for s in outcome.report.sections]
    [failure] = outcome.failures
    assert (failure.step, failure.fix) == ("attack", "label")
    assert "churned" in failure.reason and "single class" in failure.reason


def test_a_label_from_another_table_is_a_failure_not_a_crash_and_the_gate_still_raises():
    table = load_table(TINY.encode(), name="tiny.csv")
    outcome = run_audit_on_table(table, quick_audit_config(label="class"), partial=True)
    assert [f.step for f in outcome.failures] == ["attack"]
    with pytest.raises(ConfigError, match="label"):
        run_audit_on_table(table, quick_audit_config(label="class"))
    with pytest.raises(ConfigError, match="quasi_identifiers"):
        run_audit_on_table(load_table(ORDERS.encode(), name="orders.csv"), quick_audit_config(label="returned"))
