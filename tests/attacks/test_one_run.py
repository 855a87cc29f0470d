"""The one-run epsilon lower bound (Steinke, Nasr & Jagielski 2023): its p-value against a direct
computation, chance scores that must not claim epsilon > 0, a perfect attack that must, no bound on a
declared split, and never more than a DP-SGD model's accounted epsilon."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.attacks.audit import run_audit
from analysis.attacks.one_run import (DECLARED_SPLIT, epsilon_from_guesses, guess_grid, one_run_bound,
                                      p_value)
from analysis.models.recipes import draw_members, get_recipe, train_model


def _p_value_loop(m, r, v, eps, delta):
    """The paper's p-value, written as its appendix states it (a plain loop)."""
    q = 1 / (1 + math.exp(-eps))
    beta = stats.binom.sf(v - 1, r, q)
    alpha, total = 0.0, 0.0
    for i in range(1, v + 1):
        total += stats.binom.pmf(v - i, r, q)
        alpha = max(alpha, total / i)
    return min(beta + alpha * delta * 2 * m, 1.0)


@pytest.mark.parametrize("m, r, v, eps, delta", [(1000, 100, 80, 1.0, 1e-5), (500, 40, 40, 2.5, 1e-3),
                                                  (200, 200, 120, 0.3, 0.0), (50, 10, 1, 0.0, 1e-2)])
def test_p_value_matches_the_papers_loop(m, r, v, eps, delta):
    assert p_value(m, r, v, eps, delta) == pytest.approx(_p_value_loop(m, r, v, eps, delta), rel=1e-9)


def test_epsilon_is_where_the_p_value_crosses_the_significance():
    # Hand case, delta = 0: 50 of 50 guesses right -> q^50 = 0.05, eps = log(q / (1 - q)).
    q = 0.05 ** (1 / 50)
    assert epsilon_from_guesses(100, 50, 50, delta=0.0, significance=0.05) == pytest.approx(
        math.log(q / (1 - q)), abs=1e-6)
    assert epsilon_from_guesses(100, 50, 25, delta=0.0, significance=0.05) == 0.0   # chance accuracy


def test_chance_scores_with_coin_flip_membership_claim_zero_at_least_95_percent_of_the_time():
    claims = 0
    trials = 100
    for seed in range(trials):
        rng = np.random.default_rng(seed)
        truth = rng.random(1000) < 0.5
        bound = one_run_bound(rng.random(1000), truth, np.ones(1000, bool), delta=1e-5, seed=seed)
        claims += bound.epsilon > 0
    assert claims <= 0.05 * trials


def test_tied_scores_prove_nothing_even_though_members_come_first():
    truth = np.arange(1000) < 500                        # the audit's order: members, then non-members
    bound = one_run_bound(np.zeros(1000), truth, np.ones(1000, bool))
    assert bound.epsilon == 0.0


def test_a_perfect_attack_proves_a_large_epsilon_with_its_guesses_stated():
    rng = np.random.default_rng(1)
    truth = rng.random(2000) < 0.5
    bound = one_run_bound(truth.astype(float), truth, np.ones(2000, bool), delta=1e-5, tests=7)
    assert bound.epsilon > 3      # 2,000 canaries cap it near 3.6 at delta = 1e-5 (2 m delta = 0.04)
    assert bound.correct >= 0.99 * (bound.guesses_member + bound.guesses_non_member)
    assert bound.choices == 7 * len(guess_grid(2000)) and bound.confidence == 0.95 and bound.delta == 1e-5


def test_only_fair_coin_records_are_guessed_on():
    draw = draw_members(pd.DataFrame({"x": range(4000), "y": [0, 1] * 2000}), "y", member_share=0.8, seed=0)
    coins = np.concatenate([draw.members_fair_coin, draw.non_members_fair_coin])
    assert len(draw.members) / 4000 == pytest.approx(0.8, abs=0.03)
    assert coins.sum() / 4000 == pytest.approx(0.4, abs=0.03)        # 1 - |2p - 1|
    assert draw.non_members_fair_coin.all()                           # p > 1/2: non-members only by a coin
    truth = np.concatenate([np.ones(len(draw.members), bool), np.zeros(len(draw.non_members), bool)])
    bound = one_run_bound(truth.astype(float), truth, coins)
    assert bound.canaries == int(coins.sum())


def test_declared_split_gets_no_bound_and_says_why():
    # Members from an earlier period, non-members from a later one: the shift alone separates them.
    rng = np.random.default_rng(0)
    n = 600
    early = pd.DataFrame({"x": rng.normal(0, 1, n), "t": rng.normal(0, 1, n)})
    late = pd.DataFrame({"x": rng.normal(0, 1, n), "t": rng.normal(1.5, 1, n)})
    for frame in (early, late):
        frame["y"] = (frame["x"] + rng.normal(0, 1, n) > 0).astype(int)
    recipe = get_recipe("logistic_regression")
    model = recipe.fit(early.drop(columns=["y"]), early["y"].to_numpy(), seed=0)
    audit = run_audit(model, early, late, "y", attacks=("threshold",))
    assert all(a.epsilon_lower_bound is None for a in audit.attacks)
    assert all(a.epsilon_audit.reason == DECLARED_SPLIT for a in audit.attacks)
    value, text = audit.epsilon_headline()
    assert value is None and "declared" in text and audit.settings["membership"] == "declared"


def test_model_trained_here_reports_the_bound_corrected_for_every_attack(adult_small):
    trained = train_model(adult_small.iloc[:1500], "class", recipe="unpruned_tree", seed=0)
    audit = run_audit(trained.model, trained.members, trained.non_members, "class", attacks=("threshold",),
                      fair_coin=trained.fair_coin, delta=1e-5)
    n_attacks = len(audit.attacks)
    for attack in audit.attacks:
        assert attack.epsilon_audit.choices == n_attacks * len(guess_grid(attack.epsilon_audit.canaries))
    value, text = audit.epsilon_headline()
    assert value == max(a.epsilon_lower_bound for a in audit.attacks) and value > 0  # a memorizing tree
    assert "95% confidence" in text and "δ = 1e-05" in text


def test_bound_never_exceeds_the_accounted_epsilon_of_a_dp_sgd_model(adult_small):
    from analysis.privacy.dp import DPConfig

    epsilon = 2.0
    recipe = get_recipe("keras_mlp", hidden=(32,), epochs=3, batch_size=64, dp=DPConfig(target_epsilon=epsilon))
    frame = adult_small.iloc[:1200].reset_index(drop=True)
    for seed in (0, 1):
        trained = train_model(frame, "class", recipe=recipe, seed=seed)
        accounted = trained.model.privacy
        audit = run_audit(trained.model, trained.members, trained.non_members, "class", attacks=("threshold",),
                          fair_coin=trained.fair_coin, delta=accounted.delta, seed=seed)
        value, _ = audit.epsilon_headline()
        assert value is not None and 0 <= value <= accounted.rdp_epsilon
