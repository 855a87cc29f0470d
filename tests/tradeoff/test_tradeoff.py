"""The DP-SGD grid (run_strategies with strategies none and dp, plus the baseline) on a small slice of
Adult: the split, seeds, epsilon accounting, the DP bound, twins, warnings, JSON, figures, the rule."""

from __future__ import annotations

import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest

from analysis.privacy.dp import compute_epsilon, default_delta
from analysis.strategies import run_strategies
from analysis.tables import load_table
from analysis.tradeoff import (
    BASELINE_MODEL, KERAS_MODEL, BudgetSummary, dp_bound_tpr, recommend, split_for_seed, within_dp_bound,
)

ROWS = 3000
GRID = ("none", "dp")


@pytest.fixture(scope="module")
def adult(adult_path):
    return load_table(adult_path).frame


@pytest.fixture(scope="module")
def result(adult):
    return run_strategies(adult, "class", GRID, epsilons=(0.5, math.inf), seeds=1, epochs=2, batch_size=128,
                          max_rows=ROWS, group_column="sex", baseline=True)


def _run(result, strategy):
    return next(r for r in result.runs if r.strategy == strategy)


def test_grid_has_one_run_per_budget_and_seed_plus_baseline(result):
    assert [(r.strategy, r.model, r.epsilon_target) for r in result.runs] == [
        ("none", KERAS_MODEL, math.inf), ("dp", KERAS_MODEL, 0.5), ("baseline", BASELINE_MODEL, math.inf)]
    for run in result.runs:
        assert 0.5 < run.accuracy <= 1 and 0.5 < run.roc_auc <= 1
        assert set(run.group_accuracy) == {"Male", "Female"}
        assert {a.name for a in run.attacks} == {"loss", "loss_per_class"}
        assert run.n_train == run.n_members == run.n_non_members == ROWS // 2
    assert [s.label for s in result.summary] == ["non-private", "DP-SGD ε = 0.5", "baseline (LogReg)"]
    assert result.skipped == [] and result.recommended_epsilon == 0.5
    assert result.recommendation and "epsilon 0.5" in result.recommendation


def test_reported_epsilon_is_the_accountants(result):
    run = _run(result, "dp")
    n = ROWS // 2
    assert run.delta == pytest.approx(default_delta(n)) == pytest.approx(result.delta) and run.unit == "record"
    again = compute_epsilon(noise_multiplier=run.noise_multiplier, sampling_rate=128 / n,
                            steps=2 * math.ceil(n / 128), delta=run.delta)
    assert run.epsilon == pytest.approx(again.rdp_epsilon) and run.pld_epsilon == pytest.approx(again.pld_epsilon)
    assert run.epsilon <= 0.5 + 1e-6 and run.pld_epsilon < run.epsilon
    assert run.details["microbatching"] == "one example per microbatch"
    assert "Poisson" in run.details["sampling_assumption"]
    plain = _run(result, "none")
    assert math.isinf(plain.epsilon) and plain.noise_multiplier == 0.0 and plain.unit == "none"


def test_dp_model_at_small_epsilon_stays_within_the_dp_bound(result):
    run = _run(result, "dp")
    assert within_dp_bound(run)
    for attack in run.attacks:
        # the grid's split is not coin flips: no empirical epsilon bound is claimed (issue 13)
        assert attack.epsilon_lower_bound is None
        for key, (lo, _hi) in attack.tpr_ci.items():
            assert lo <= dp_bound_tpr(run.epsilon, run.delta, [float(key)])[0]


def test_twins_share_architecture_split_and_seed(result, adult):
    private, plain, baseline = _run(result, "dp"), _run(result, "none"), _run(result, "baseline")
    assert private.seed == plain.seed == baseline.seed == result.config.training.seed
    assert private.split_hash == plain.split_hash == baseline.split_hash
    assert private.details["recipe"] == plain.details["recipe"] and private.details["recipe"]["hidden"] == [64, 32]
    first = split_for_seed(adult, "class", seed=0, max_rows=ROWS)
    second = split_for_seed(adult, "class", seed=0, max_rows=ROWS)
    assert first[0].index.equals(second[0].index)
    assert not first[0].index.isin(first[1].index).any()
    other = split_for_seed(adult, "class", seed=1, max_rows=ROWS)
    assert not first[0].index.equals(other[0].index)  # each seed its own split


def test_seeds_each_train_on_their_own_split_and_the_summary_averages_them(adult):
    result = run_strategies(adult, "class", GRID, epsilons=[8], seeds=2, seed=3, epochs=1, max_rows=200)
    assert [(r.strategy, r.seed) for r in result.runs] == [("none", 3), ("dp", 3), ("none", 4), ("dp", 4)]
    assert len({r.split_hash for r in result.runs if r.seed == 3}) == 1
    assert len({r.split_hash for r in result.runs}) == 2
    for row in result.summary:
        runs = [r for r in result.runs if r.strategy == row.strategy]
        assert row.runs == 2 and row.accuracy == pytest.approx(np.mean([r.accuracy for r in runs]))
        assert row.accuracy_std == pytest.approx(np.std([r.accuracy for r in runs], ddof=1))


def test_a_delta_of_at_least_one_over_n_is_warned_once(adult):
    # 60 rows: 30 members, so delta = 0.05 >= 1/30; two seeds give the accountant's warning twice
    result = run_strategies(adult, "class", GRID, epsilons=[8], delta=0.05, seeds=2, epochs=1, max_rows=60)
    assert result.delta == 0.05 and all(r.delta == 0.05 for r in result.runs if r.strategy == "dp")
    assert result.warnings[0].startswith("delta = 0.05 is at least 1/n = 0.0333 (n = 30 training rows)")
    assert len(result.warnings) == len(set(result.warnings))  # each warning once, however many runs give it
    assert sum("0.0333: a mechanism" in w for w in result.warnings) == 1
    quiet = run_strategies(adult, "class", ["none"], seeds=1, epochs=1, max_rows=60)
    assert quiet.warnings == [] and quiet.delta == pytest.approx(default_delta(30))


def test_result_serializes_with_the_cli_fields(result):
    data = json.loads(result.to_json())
    run = data["runs"][1]
    for key in ("epsilon_target", "epsilon", "delta", "noise_multiplier", "accountant", "accuracy", "roc_auc",
                "attacks", "train_seconds"):
        assert key in run
    assert data["runs"][0]["epsilon_target"] is None  # non-private: JSON has no infinity
    assert run["attacks"][0]["tpr_at_fpr"].keys() == {"0.001", "0.01"}
    assert data["config_key"] == result.config.key() and len(data["data_fingerprint"]) == 64


def test_figures(result):
    from analysis.figures.tradeoff import attack_vs_bound, strategies_figure

    chart = strategies_figure(result)
    assert isinstance(chart, go.Figure)
    markers = [t for t in chart.data if t.mode == "markers"]  # labels in the hover, not drawn over each other
    assert [list(t.text) for t in markers] == [["non-private"], ["DP-SGD ε = 0.5"], ["baseline (LogReg)"]]
    assert all("%{text}" in t.hovertemplate for t in markers)
    assert [t.name for t in chart.data if t.mode == "lines+markers"] == ["DP bound of DP-SGD (e^ε·FPR + δ)"]
    bound = attack_vs_bound(result)
    names = [t.name for t in bound.data]
    assert any("DP bound" in n for n in names) and sum("attack" in n for n in names) == 2


def _summary(eps, acc, tpr):
    return BudgetSummary(model=KERAS_MODEL, epsilon_target=eps, label=str(eps), runs=3, epsilon=eps,
                         pld_epsilon=eps, noise_multiplier=1.0, accuracy=acc, accuracy_std=0.0, roc_auc=acc,
                         f1=acc, tpr_at_0_1pct=tpr, tpr_at_1pct=tpr, attack_auc=0.5, train_seconds=1.0)


def test_recommendation_picks_the_smallest_budget_that_keeps_accuracy():
    rows = [_summary(1, 0.70, 0.001), _summary(2, 0.825, 0.002), _summary(8, 0.84, 0.01),
            _summary(math.inf, 0.85, 0.041)]
    text = recommend(rows)
    assert text.startswith("epsilon 2 keeps 97% of non-private accuracy")
    assert "from 4.1% to 0.20%" in text and "leaks little" not in text
    assert recommend(rows[:3]).startswith("Include both")
    assert recommend([_summary(1, 0.5, 0.0), rows[-1]]).startswith("No budget tested keeps 95%")
    quiet = recommend([_summary(1, 0.84, 0.0011), _summary(math.inf, 0.85, 0.0009)])
    assert "from 0.09% to 0.11%" in quiet and "already leaks little" in quiet


def test_bad_arguments_are_named(adult):
    with pytest.raises(ValueError, match="nope"):
        run_strategies(adult, "nope", GRID)
    with pytest.raises(ValueError, match="epsilon"):
        run_strategies(adult, "class", GRID, epsilons=(0,))
    with pytest.raises(ValueError, match="group_column"):
        run_strategies(adult, "class", GRID, group_column="class")
    with pytest.raises(ValueError, match="lira-ish"):
        run_strategies(adult, "class", GRID, attacks=("threshold", "lira-ish"))  # "threshold" itself is an alias
    assert np.isclose(dp_bound_tpr(1.0, 0.0, [0.01])[0], math.e * 0.01)


def test_result_names_the_recommended_budget_it_describes():
    from analysis.tradeoff import BudgetSummary, choose_budget

    def row(eps, acc):
        return BudgetSummary(model="keras_mlp", epsilon_target=eps, label=str(eps), runs=1, epsilon=eps,
                             pld_epsilon=eps, noise_multiplier=1.0, accuracy=acc, accuracy_std=0.0, roc_auc=0.5,
                             f1=0.5, tpr_at_0_1pct=0.001, tpr_at_1pct=0.01, attack_auc=0.5, train_seconds=1.0)

    summary = [row(1.0, 0.70), row(2.0, 0.83), row(4.0, 0.84), row(float("inf"), 0.85)]
    chosen, reference, meets = choose_budget(summary, retention=0.97)
    assert (chosen.epsilon_target, reference.accuracy, meets) == (2.0, 0.85, True)
    chosen, _, meets = choose_budget(summary, retention=0.999)
    assert (chosen.epsilon_target, meets) == (4.0, False)  # none meets it: the largest budget


def test_one_seed_shows_no_spread(result):
    assert all(s.runs == 1 and math.isnan(s.accuracy_std) for s in result.summary)  # not "sd 0.000"
    assert result.table()["accuracy sd"].isna().all()
    assert json.loads(result.to_json())["summary"][0]["accuracy_std"] is None
