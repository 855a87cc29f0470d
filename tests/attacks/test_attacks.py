"""Attack correctness: no signal from a model that ignores its input, a strong attack on a memorising
model, and LiRA beating the global loss threshold at 0.1% FPR on an overfit target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from analysis.attacks.audit import expand_attacks, run_audit
from analysis.attacks.reference import balanced_membership
from analysis.models.recipes import get_recipe, split_members, train_model


class InputIgnoringModel:
    """Returns random class probabilities that do not depend on the input at all."""

    def __init__(self, classes, seed=0):
        self.classes_ = np.asarray(classes)
        self._rng = np.random.default_rng(seed)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        p = self._rng.random(len(features))
        return np.column_stack([p, 1 - p])


class PriorRecipe:
    """A recipe whose models ignore the input (class priors): every reference model is identical."""

    name = "prior"

    def fit(self, features, labels, *, seed, progress=None):
        return DummyClassifier(strategy="prior").fit(features, labels)

    def describe(self):
        return {"recipe": "prior"}


def test_input_ignoring_model_shows_no_leakage():
    rng = np.random.default_rng(11)
    table = pd.DataFrame({"x": rng.normal(size=8000), "y": rng.integers(0, 2, 8000)})
    members, non_members, _ = split_members(table, "y", seed=0)
    model = InputIgnoringModel([0, 1], seed=5)
    result = run_audit(model, members, non_members, "y", attacks=("threshold",), seed=0)
    for attack in result.attacks:
        assert abs(attack.auc - 0.5) < 0.03, attack.name
        lo, hi = attack.tpr_ci["0.01"]
        assert lo <= 0.01 <= hi, attack.name  # TPR ~ FPR within the Clopper-Pearson interval
        assert attack.advantage < 0.06


def test_prior_model_gives_chance_level_lira_and_rmia(noisy_table):
    members, non_members, _ = split_members(noisy_table, "y", seed=0)
    recipe = PriorRecipe()
    model = recipe.fit(members.drop(columns=["y"]), members["y"].to_numpy(), seed=0)
    result = run_audit(model, members, non_members, "y", recipe=recipe, attacks=("lira", "rmia"),
                       reference_models=4, backend="serial")
    for attack in result.attacks:
        assert np.isfinite(attack.auc)
        assert abs(attack.auc - 0.5) < 0.08, attack.name
        assert attack.tpr_at_fpr["0.01"] <= 0.05, attack.name


def test_memorising_model_is_strongly_attacked(noisy_table):
    trained = train_model(noisy_table, "y", recipe="nearest_neighbor", seed=0)
    assert trained.train_accuracy == 1.0 and trained.test_accuracy < 0.7
    result = run_audit(trained.model, trained.members, trained.non_members, "y", attacks=("loss",),
                       fair_coin=trained.fair_coin)
    loss = result.attack("loss")
    assert loss.auc > 0.7
    assert loss.advantage > 0.4
    assert loss.epsilon_lower_bound > 0.5
    # The unpruned tree memorises too.
    tree = train_model(noisy_table, "y", recipe="unpruned_tree", seed=0)
    assert run_audit(tree.model, tree.members, tree.non_members, "y", attacks=("loss",)).attacks[0].auc > 0.7


def test_lira_beats_global_threshold_at_low_fpr_on_overfit_target(adult_small):
    recipe = get_recipe("random_forest", n_estimators=40)
    trained = train_model(adult_small, "class", recipe=recipe, seed=0)
    assert trained.train_accuracy - trained.test_accuracy > 0.1  # overfit
    result = run_audit(trained.model, trained.members, trained.non_members, "class", recipe=recipe,
                       attacks=("loss", "lira", "rmia"), reference_models=6, seed=0, backend="serial")
    loss = result.attack("loss").tpr_at_fpr["0.001"]
    best_lira = max(result.attack("lira_offline").tpr_at_fpr["0.001"],
                    result.attack("lira_online").tpr_at_fpr["0.001"])
    assert best_lira > loss
    assert best_lira >= 0.005
    assert result.attack("rmia_online").tpr_at_fpr["0.001"] > loss
    assert result.attack("lira_online").auc > result.attack("loss").auc


def test_balanced_membership_puts_each_record_in_half_the_models():
    mask = balanced_membership(8, 100, seed=1)
    assert mask.shape == (8, 100)
    assert np.all(mask.sum(axis=0) == 4)
    assert np.array_equal(mask, balanced_membership(8, 100, seed=1))


def test_expand_attacks_and_errors():
    assert expand_attacks(["threshold"]) == ["loss", "confidence", "loss_per_class", "confidence_per_class"]
    assert expand_attacks("lira,loss") == ["loss", "lira_offline", "lira_online"]
    with pytest.raises(ValueError, match="unknown attack 'bogus'"):
        expand_attacks(["bogus"])
