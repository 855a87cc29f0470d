"""The one recommendation rule (analysis.tradeoff.choose_budget) over every protection."""

from __future__ import annotations

import math

from analysis.tradeoff import BudgetSummary, KERAS_MODEL, choose_budget, recommend


def _row(strategy, eps, acc, tpr, *, unit="", k=None, label=None):
    return BudgetSummary(model=KERAS_MODEL, epsilon_target=eps, label=label or strategy, runs=1, epsilon=eps,
                         pld_epsilon=eps, noise_multiplier=1.0, accuracy=acc, accuracy_std=0.0, roc_auc=acc, f1=acc,
                         tpr_at_0_1pct=tpr, tpr_at_1pct=tpr, attack_auc=0.5, train_seconds=1.0, strategy=strategy,
                         unit=unit, k=k)


NONE = _row("none", math.inf, 0.85, 0.012, unit="none", label="non-private")


def test_the_strongest_guarantee_that_keeps_accuracy_wins():
    rows = [NONE, _row("anonymized", math.inf, 0.85, 0.009, unit="none", k=5),
            _row("dp", 2.0, 0.81, 0.0012, unit="record", label="DP-SGD ε = 2"),
            _row("anonymized+dp", 2.0, 0.816, 0.001, unit="record", k=5, label="anonymized + DP-SGD ε = 2"),
            _row("federated", math.inf, 0.84, 0.011, unit="none", label="FedAvg"),
            _row("dp-federated", 8.0, 0.83, 0.002, unit="client", label="DP-FedAvg ε = 8 per client")]
    chosen, reference, meets = choose_budget(rows)
    # anonymized + DP-SGD's ε = 2 is per anonymized row; per person (k = 5 coupled rows) it is 10, so k does
    # not rank it above plain DP-SGD at ε = 2 per record (= per person)
    assert (chosen.strategy, reference.strategy, meets) == ("dp", "none", True)
    text = recommend(rows)
    assert text.startswith("epsilon 2 keeps 95% of non-private accuracy")
    assert "at chance" in text and "anonymized leaves 0.90%" in text and "FedAvg leaves 1.1%" in text


def test_anonymized_dp_ranks_at_its_per_person_epsilon():
    anon_dp = _row("anonymized+dp", 1.0, 0.84, 0.001, unit="record", k=5, label="anonymized + DP-SGD ε = 1")
    rows = [NONE, anon_dp, _row("dp", 4.0, 0.84, 0.001, unit="record"), _row("dp", 8.0, 0.84, 0.001, unit="record")]
    assert choose_budget(rows)[0].epsilon_target == 4.0       # ε = 4 per person beats 1 x 5 = 5 per person
    assert choose_budget([NONE, anon_dp, rows[3]])[0] is anon_dp     # 5 per person beats 8


def test_a_record_epsilon_ranks_before_a_client_epsilon_then_k_then_nothing():
    rows = [NONE, _row("federated", math.inf, 0.85, 0.01, unit="none"),
            _row("anonymized", math.inf, 0.85, 0.01, unit="none", k=5),
            _row("dp-federated", 8.0, 0.84, 0.01, unit="client"), _row("dp", 8.0, 0.70, 0.001, unit="record")]
    assert choose_budget(rows)[0].strategy == "dp-federated"  # DP-SGD at 8 loses too much accuracy
    assert choose_budget([r for r in rows if r.strategy != "dp-federated"])[0].strategy == "anonymized"
    assert choose_budget([NONE, rows[1]])[0].strategy == "federated"


def test_when_nothing_keeps_accuracy_the_weakest_guarantee_is_named():
    rows = [NONE, _row("dp", 1.0, 0.5, 0.001, unit="record"), _row("anonymized", math.inf, 0.6, 0.01, k=3)]
    chosen, _, meets = choose_budget(rows)
    assert chosen.strategy == "anonymized" and not meets
    assert recommend(rows).startswith("No option tested keeps 95% of non-private accuracy: the weakest guarantee")
