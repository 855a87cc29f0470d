"""One rule for "strongest" (TPR at 0.1% FPR, ties by AUC), and the report names that metric."""

from __future__ import annotations

import numpy as np

from analysis.attacks.metrics import membership_metrics, strongest
from analysis.report.model import ReportInputs
from analysis.report.sections.attack import attack_section


def test_strongest_is_ranked_at_0_1_percent_fpr_and_the_report_says_so():
    truth = np.arange(2000) < 1000
    rng = np.random.default_rng(0)
    # "sharp": a few members with top scores (wins at 0.1% FPR); "broad": better at 1% FPR and in AUC.
    sharp = np.where(truth & (np.arange(2000) < 100), 10.0, rng.normal(size=2000))
    broad = rng.normal(size=2000) + 1.5 * truth
    a = membership_metrics(sharp, truth, name="sharp")
    b = membership_metrics(broad, truth, name="broad")
    assert a.tpr_at_fpr["0.001"] > b.tpr_at_fpr["0.001"] and b.tpr_at_fpr["0.01"] > a.tpr_at_fpr["0.01"]
    assert b.auc > a.auc
    assert strongest([a, b]).name == "sharp"
    section, facts = attack_section([a, b], ReportInputs())
    assert facts["best"] == "sharp"
    assert "strongest attack by TPR at 0.1% FPR, sharp" in section.sentence
