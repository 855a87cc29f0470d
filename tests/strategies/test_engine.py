"""run_strategies on a small slice of Adult: one row schema, the plan's k, attacks on the raw records,
one split for every strategy, skipped strategies with a reason, and the one recommendation rule."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from analysis.anonymize import Plan, apply_plan
from analysis.risk import record_class_sizes
from analysis.strategies import STRATEGIES, StrategyRun, guarantee_text, parse_strategies, run_strategies
from analysis.tables import load_table
from analysis.tradeoff import _attacks, split_for_seed

ROWS = 600
REQUIRED = {"strategy", "accuracy", "roc_auc", "f1", "epsilon", "delta", "unit", "k", "attacks", "train_seconds",
            "protects"}


@pytest.fixture(scope="module")
def adult(adult_path):
    return load_table(adult_path).frame


@pytest.fixture(scope="module")
def plan(adult_path):
    return Plan.from_file(adult_path.parent.parent / "examples" / "plans" / "adult_k5.yaml")


@pytest.fixture(scope="module")
def result(adult, plan):
    return run_strategies(adult, "class", ["none", "anonymized", "dp", "anonymized+dp"], plan=plan, epsilons=[2],
                          seeds=1, seed=1, epochs=2, batch_size=64, max_rows=ROWS)


def _run(result, strategy):
    return next(r for r in result.runs if r.strategy == strategy)


def test_every_row_has_the_same_keys(result):
    assert [r.strategy for r in result.runs] == ["none", "anonymized", "dp", "anonymized+dp"]
    rows = json.loads(result.to_json())["runs"]
    keys = set(rows[0])
    assert REQUIRED <= keys
    assert all(set(row) == keys for row in rows)
    assert {f.name for f in dataclasses.fields(StrategyRun)} == keys
    units = {r["strategy"]: (r["unit"], r["k"] is not None) for r in rows}
    assert units == {"none": ("none", False), "anonymized": ("none", True), "dp": ("record", False),
                     "anonymized+dp": ("record", True)}
    assert all({a["name"] for a in r["attacks"]} == {"loss", "loss_per_class"} for r in rows)  # the same set


def test_anonymized_rows_carry_the_plans_k_measured_on_the_training_rows(result, adult, plan):
    members, _ = split_for_seed(adult, "class", seed=1, max_rows=ROWS)
    secret = b"k does not depend on the key" * 2
    trained = apply_plan(members, plan, secret=secret).frame
    k = int(record_class_sizes(trained, plan.suppression.quasi_identifiers).min())
    for strategy in ("anonymized", "anonymized+dp"):
        run = _run(result, strategy)
        assert run.k == k and run.k >= plan.suppression.k
        assert run.n_train == len(trained) < len(members)  # suppression dropped rows before training
        assert run.guarantee.endswith(f"k = {k}")
    anon_dp = _run(result, "anonymized+dp")
    assert anon_dp.guarantee.startswith("ε = 2 per anonymized row, not per person")
    person = anon_dp.details["per_person"]
    assert person["group_size"] == plan.suppression.k
    assert person["epsilon"] is None or person["epsilon"] == pytest.approx(anon_dp.epsilon * plan.suppression.k)
    assert any("not per person" in w for w in anon_dp.warnings)
    assert "training steps only" in anon_dp.details["preprocessing"] and "without DP" in anon_dp.details["preprocessing"]


def test_attacks_on_anonymized_rows_use_the_raw_records(result, adult, plan):
    members, non_members = split_for_seed(adult, "class", seed=1, max_rows=ROWS)
    run = _run(result, "anonymized")
    config = result.config.training
    # every raw member is attacked as a member, the suppressed ones included
    assert all(a.n_members == len(members) and a.n_non_members == len(non_members) for a in run.attacks)
    raw = _attacks(run.model_object, members, non_members, config, 0.0)
    assert [(a.name, a.auc, a.tpr_at_fpr) for a in raw] == [(a.name, a.auc, a.tpr_at_fpr) for a in run.attacks]
    # the anonymized rows would have given other scores: the attack really read the raw ones
    anonymized = apply_plan(members, plan.with_suppression(None), secret=b"x" * 32).frame
    other = _attacks(run.model_object.model, anonymized, non_members, config, 0.0)
    assert [a.auc for a in other] != [a.auc for a in raw]


def test_every_strategy_trains_on_the_same_split(result):
    assert len({r.split_hash for r in result.runs}) == 1
    assert len({(r.n_members, r.n_non_members) for r in result.runs}) == 1
    dp = _run(result, "dp")
    assert dp.epsilon <= 2 + 1e-6 and dp.delta == pytest.approx(result.delta) and dp.noise_multiplier > 0


def test_recommendation_covers_every_strategy(result):
    from analysis.tradeoff import accuracy_kept, choose_budget, option_name

    chosen, reference, meets = choose_budget(result.summary)
    assert reference.strategy == "none" and chosen.strategy in {"anonymized", "dp", "anonymized+dp"}
    assert (result.recommended, result.recommended_strategy) == (chosen.label, chosen.strategy)
    assert result.recommended_accuracy_kept == pytest.approx(accuracy_kept(chosen, reference))
    opening = option_name(chosen) if meets else "No option tested keeps 95%"
    assert result.recommendation.startswith(opening)


def test_a_strategy_that_cannot_run_is_skipped_with_a_reason(adult):
    result = run_strategies(adult, "class", ["none", "anonymized", "federated"], epsilons=[math.inf], seeds=1,
                            epochs=1, max_rows=60, clients=50)
    assert [r.strategy for r in result.runs] == ["none"]
    reasons = {s.strategy: s.reason for s in result.skipped}
    assert "no anonymization plan" in reasons["anonymized"]
    assert "50 clients need at least 100 training rows" in reasons["federated"]
    bad_plan = Plan.from_dict({"columns": {"nope": {"operator": "drop"}}})
    result = run_strategies(adult, "class", ["anonymized"], plan=bad_plan, seeds=1, epochs=1, max_rows=60)
    assert result.runs == [] and "nope" in result.skipped[0].reason


def test_names_and_guarantees():
    assert parse_strategies("dp, none") == ["none", "dp"] and list(STRATEGIES)[0] == "none"
    with pytest.raises(ValueError, match="fedprox"):
        parse_strategies("none,fedprox")
    assert guarantee_text("record", 2.0, None) == "ε = 2 per record (preprocessing outside ε)"
    assert guarantee_text("client", 8.0, None) == "ε = 8 per client (preprocessing outside ε)"
    assert guarantee_text("record", 2.0, 5) == "ε = 2 per anonymized row, not per person (preprocessing outside ε), k = 5"
    assert guarantee_text("none", math.inf, 5) == "k = 5"
    assert guarantee_text("none", math.inf, None) == "none"
    assert guarantee_text("record", math.inf, None) == "none"


def test_one_chart_with_a_marker_per_option_and_the_dp_bound_where_it_applies(result):
    from analysis.figures.tradeoff import strategies_figure
    from analysis.tradeoff import dp_bound_tpr

    fig = strategies_figure(result)
    names = [t.name for t in fig.data]
    assert names == ["non-private", "anonymized", "DP-SGD ε = 2", "DP bound of DP-SGD (e^ε·FPR + δ)",
                     "anonymized + DP-SGD ε = 2", "DP bound of anonymized + DP-SGD (e^ε·FPR + δ)"]
    dp = next(s for s in result.summary if s.strategy == "dp")
    bound = fig.data[3]
    assert bound.x[0] == pytest.approx(dp_bound_tpr(dp.epsilon, dp.delta, [0.001])[0])
    assert fig.data[2].y[0] == pytest.approx(dp.accuracy) and fig.layout.xaxis.type == "log"
