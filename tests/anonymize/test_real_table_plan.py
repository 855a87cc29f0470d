"""The suggested plan makes the output anonymous on a COMPAS-shaped table (CLI and library), leaves the
consent columns alone on the bundled customers table (so the comparison runs it), and generalizes
before it blanks."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.anonymize import Plan, apply_plan, suggest_plan
from analysis.cli import main
from analysis.consent import mapping_from_suggestions, suggest_consent_columns, training_rows
from analysis.pii import scan_table
from analysis.pii.evalset import make_eval_set
from analysis.risk import assess_risk, columns_of_kind
from analysis.settings import SAMPLE_DATA_DIR
from analysis.tables import load_table

QIS = ["sex", "age", "race", "juv_fel_count", "juv_misd_count", "juv_other_count"]
IDENTIFIERS = ["name", "first", "last", "id", "c_case_number", "r_case_number", "vr_case_number"]


@pytest.fixture(scope="module")
def compas_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("compas") / "compas.csv"
    make_eval_set(3000, variant="real", seed=5).frame.to_csv(path, index=False)
    return path


def _in_clear(raw: pd.DataFrame, out: pd.DataFrame) -> dict[str, int]:
    """Per identifier column, how many of its raw values appear in the output: text identifiers anywhere,
    the integer `id` in its own column (small integers occur in count columns by chance)."""
    cells = set()
    for column in out.columns:
        cells |= set(out[column].dropna().astype("str"))
    found = {}
    for c in IDENTIFIERS:
        values = set(raw[c].dropna().astype("str"))
        where = set(out[c].dropna().astype("str")) if c == "id" and c in out.columns else cells
        found[c] = len(values & where)
    return found


def test_suggested_plan_leaves_no_identifier_in_clear_and_k_holds(compas_csv):
    frame = load_table(compas_csv).frame
    scan = scan_table(frame, backend="serial")
    plan = suggest_plan(frame, QIS, k=5, direct_identifiers=columns_of_kind(frame, scan, "direct_identifier"),
                        free_text=columns_of_kind(frame, scan, "free_text"),
                        other_quasi_identifiers=columns_of_kind(frame, scan, "quasi_identifier"))
    assert plan.columns["dob"].to_dict() == {"operator": "date_truncate", "to": "year"}
    assert plan.columns["c_jail_in"].to_dict() == {"operator": "date_truncate", "to": "month"}
    assert plan.columns.get("sex") is None or plan.columns["sex"].operator != "redact"  # sex, race: not blanked
    assert plan.columns.get("race") is None or plan.columns["race"].operator != "redact"
    out = apply_plan(frame, plan).frame
    assert _in_clear(frame, out) == {c: 0 for c in IDENTIFIERS}
    assert assess_risk(out, QIS, k=5).k >= 5
    assert out["dob"].str.fullmatch(r"\d{4}").all()
    assert len(out) >= 0.98 * len(frame)


def test_cli_plan_then_anonymize(compas_csv, tmp_path, capsys):
    plan_path, out_path = tmp_path / "plan.yaml", tmp_path / "out.csv"
    assert main(["plan", str(compas_csv), "--quasi-identifiers", ",".join(QIS), "--k", "5",
                 "--out", str(plan_path)]) == 0
    assert "wrote" in capsys.readouterr().out
    plan = Plan.from_file(plan_path)
    assert set(IDENTIFIERS) <= set(plan.columns) and plan.suppression.k == 5
    assert main(["anonymize", str(compas_csv), "--plan", str(plan_path), "--out", str(out_path)]) == 0
    frame, out = load_table(compas_csv).frame, load_table(out_path).frame
    assert _in_clear(frame, out) == {c: 0 for c in IDENTIFIERS}
    assert assess_risk(out, QIS, k=5).k >= 5


def test_cli_plan_names_a_missing_column(compas_csv, tmp_path, capsys):
    assert main(["plan", str(compas_csv), "-q", "sex,no_such_column", "--out", str(tmp_path / "p.yaml")]) == 2
    assert "no_such_column" in capsys.readouterr().err


def test_plan_never_names_consent_columns_and_runs_in_the_comparison():
    from analysis.strategies import run_strategies

    frame = load_table(SAMPLE_DATA_DIR / "customers.csv").frame.head(600)
    scan = scan_table(frame, sample_rows=300, backend="serial")
    quasi = columns_of_kind(frame, scan, "quasi_identifier")
    assert "consent_training_withdrawn_at" in quasi  # the scan sees a date: the plan must still leave it out
    plan = suggest_plan(frame, quasi, k=5, direct_identifiers=columns_of_kind(frame, scan, "direct_identifier"),
                        free_text=columns_of_kind(frame, scan, "free_text"), other_quasi_identifiers=quasi)
    consent = {"consent_training", "consent_marketing", "consent_training_withdrawn_at"}
    assert not consent & set(plan.columns) and not consent & set(plan.suppression.quasi_identifiers)
    assert "consent_training_withdrawn_at" in plan.description
    mapping = mapping_from_suggestions(suggest_consent_columns(frame))
    rows, _ = training_rows(frame, mapping)
    result = run_strategies(rows, "churned", ["none", "anonymized"], plan=plan, seeds=1, seed=1, epochs=1,
                            batch_size=64)
    assert result.skipped == [] and [r.strategy for r in result.runs] == ["none", "anonymized"]


def test_applying_a_plan_to_another_table_names_the_missing_columns():
    plan = Plan.from_dict({"columns": {"first": {"operator": "pseudonymize"}, "dob": {"operator": "date_truncate"}}})
    with pytest.raises(ValueError, match="not in the table: first, dob"):
        apply_plan(pd.DataFrame({"age": [1, 2]}), plan)
