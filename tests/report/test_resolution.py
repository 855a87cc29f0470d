"""The report's rating respects what a test can resolve: no "Act" on a 1-bit secret, no "Watch" when
the false-positive rate cannot be resolved."""

from __future__ import annotations

from analysis.report import ReportInputs, assemble_report


def test_a_recoverable_one_bit_secret_is_not_rated_act():
    one_bit = {"secret_space_bits": 1.0, "verdict": "recoverable",
               "models": [{"name": "no DP", "epsilon": None, "canaries": [{"repeats": 64, "exposure": 1.0}]}]}
    item = assemble_report(ReportInputs(memorization=one_bit)).item("memorization_exposure")
    assert item.rating == "grey" and "too small" in item.display
    wide = dict(one_bit, secret_space_bits=20.0, models=[{"name": "no DP", "epsilon": None,
                                                          "canaries": [{"repeats": 64, "exposure": 18.0}]}])
    assert assemble_report(ReportInputs(memorization=wide)).item("memorization_exposure").rating == "red"


def test_an_unresolvable_fpr_is_not_rated_watch():
    attack = {"name": "loss", "auc": 0.52, "tpr_at_fpr": {"0.001": 0.005, "0.01": 0.012},
              "warnings": ["too few non-members to resolve FPR 0.001"]}
    item = assemble_report(ReportInputs(attacks=[attack])).item("attack_tpr_at_0.001_fpr")
    assert item.rating == "grey" and "cannot be resolved" in item.display
    resolved = dict(attack, warnings=[])
    assert assemble_report(ReportInputs(attacks=[resolved])).item("attack_tpr_at_0.001_fpr").rating == "amber"
