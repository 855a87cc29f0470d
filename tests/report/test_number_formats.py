"""One number format per kind in the report: a share is a percent everywhere ("14.7%" in the sentence and in
the table, never "0.1474" beside it), a spread over one seed is not shown, and a warning names its run."""

from __future__ import annotations

import math
import re

from analysis.report import ReportInputs, assemble_report
from analysis.report.values import measure, share_cell


def test_shares_in_tables_are_percents_like_the_sentences(full_report):
    risk = full_report.section("risk")
    measures = ", ".join(str(cell) for table in risk.tables for row in table.rows for cell in row)
    shares = re.findall(r"(\w*(?:_share|_risk|threshold)): ([^,]+)", measures)
    assert len(shares) >= 6  # prosecutor, journalist, marketer, l-diversity
    assert all(value == "n/a" or re.fullmatch(r"\d+\.\d%", value) for _, value in shares), shares
    attack = full_report.section("attack").tables[0]
    for row in attack.rows:
        for column in ("TPR at 0.1% FPR", "TPR at 1% FPR"):
            cell = row[attack.columns.index(column)]
            assert cell is None or re.fullmatch(r"\d+\.\d\d%", cell), (column, cell)


def test_measure_formats_by_what_the_name_says():
    assert measure("records_at_risk_share", 0.1474) == "14.7%" and measure("threshold", 0.2) == "20.0%"
    assert measure("prosecutor.average_risk", 0.25) == "25.0%"
    assert measure("distinct_l", 3) == "3" and measure("age.t", 0.1474) == "0.1474"
    assert share_cell(None) is None and share_cell(0.0123, 2) == "1.23%"


def _budget(runs: int, sd: float):
    from analysis.tradeoff import BudgetSummary

    return BudgetSummary(model="keras_mlp", epsilon_target=math.inf, label="non-private", runs=runs,
                         epsilon=math.inf, pld_epsilon=math.inf, noise_multiplier=0.0, accuracy=0.81,
                         accuracy_std=sd, roc_auc=0.8, f1=0.7, tpr_at_0_1pct=0.004, tpr_at_1pct=0.02,
                         attack_auc=0.55, train_seconds=1.0, strategy="none", unit="none")


def test_accuracy_spread_is_shown_only_over_several_seeds():
    for runs, sd, shown in ((1, 0.0, None), (1, math.nan, None), (3, 0.012, "1.2%")):
        table = assemble_report(ReportInputs(tradeoff={"summary": [_budget(runs, sd)], "warnings": []})
                                ).section("tradeoff").tables[0]
        row = table.rows[0]
        assert row[table.columns.index("accuracy sd")] == shown
        assert row[table.columns.index("accuracy")] == "81.0%"


def test_warnings_say_which_run_or_attack():
    from analysis.attacks.metrics import attributed_warnings

    shared = "Only 50 non-members: FPR 0.001 cannot be resolved (it needs at least 1000)"
    assert attributed_warnings([("DP-SGD ε = 1", [shared]), ("non-private", [shared, "other"])],
                               every="Every run") == [f"Every run: {shared}", "non-private: other"]
    assert attributed_warnings([("threshold", [shared])], every="Every attack") == [f"threshold: {shared}"]


def test_thresholds_of_a_share_read_in_percent_like_its_value():
    from analysis.report import default_thresholds

    rules = {r.metric: r for r in default_thresholds().rules}
    assert rules["attack_tpr_at_0.001_fpr"].describe() == "green ≤ 0.2%, amber ≤ 1%, red above"
    assert rules["dp_accuracy_kept"].describe() == "green ≥ 97%, amber ≥ 90%, red below"
    assert rules["direct_identifiers"].describe() == "green ≤ 0 columns, amber ≤ 0 columns, red above"
