"""LiRA at the model's resolution, and settings that say which variance each side used."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.attacks.audit import run_audit
from analysis.attacks.lira import PER_RECORD_VARIANCE_MIN, lira_attacks
from analysis.attacks.reference import ReferenceOutputs
from analysis.attacks.scores import (FALLBACK_RESOLUTION, AuditData, outputs_from_proba, probability_resolution)
from analysis.models.recipes import get_recipe, train_model


def test_a_forest_is_clipped_at_half_a_tree_vote(adult_small):
    trained = train_model(adult_small.iloc[:300], "class", recipe=get_recipe("random_forest", n_estimators=30),
                          seed=0)
    clip, rule = probability_resolution(trained.model, [])
    assert clip == pytest.approx(1 / 60) and "30 trees" in rule


def test_other_models_are_clipped_at_half_the_smallest_gap_they_produce():
    # Hand case: outputs 0.9, 1.0 (saturated) and 0.97 -> smallest non-zero min(p, 1 - p) is 0.03.
    target = outputs_from_proba(np.array([[0.1, 0.9], [0.0, 1.0]]), np.array([1, 1]))
    reference = outputs_from_proba(np.array([[0.03, 0.97], [1.0, 0.0]]), np.array([1, 0]))
    clip, _ = probability_resolution(object(), [target, (reference.log_p, reference.log_not_p)])
    assert clip == pytest.approx(0.015)
    # Every output exactly 0 or 1: the stated smoothing.
    saturated = outputs_from_proba(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1, 1]))
    clip, rule = probability_resolution(object(), [saturated])
    assert clip == FALLBACK_RESOLUTION and "smoothing" in rule


def _reference(n_models: int, in_counts: int, n: int = 6, seed: int = 0) -> ReferenceOutputs:
    rng = np.random.default_rng(seed)
    in_mask = np.zeros((n_models, n), dtype=bool)
    in_mask[:in_counts] = True  # the first `in_counts` models hold every record
    log_p = np.log(rng.uniform(0.2, 0.8, size=(n_models, n)))
    return ReferenceOutputs(log_p=log_p, log_not_p=np.log1p(-np.exp(log_p)), in_mask=in_mask)


def test_variance_is_reported_per_side():
    data = AuditData(features=None, labels=np.zeros(6), is_member=np.array([1, 1, 1, 0, 0, 0], bool))
    target = outputs_from_proba(np.full((6, 2), 0.5), np.zeros(6, dtype=int))
    # 40 models: 8 hold every record (IN side: 8 < 32, global), 32 do not (OUT side: per record).
    online, offline = (lira_attacks(target, data, _reference(40, 8), variants=(v,))[0] for v in ("online", "offline"))
    assert online.settings["variance_in"] == "global"
    assert online.settings["variance_out"] == "per record" and PER_RECORD_VARIANCE_MIN == 32
    assert online.settings["variance"] == "IN global, OUT per record"
    assert offline.settings["variance"] == "per record"
    few = lira_attacks(target, data, _reference(8, 4), variants=("online",))[0]
    assert few.settings["variance"] == "global"


def test_lira_reaches_half_of_rmia_on_a_memorizing_forest(adult_small):
    # A forest of fully grown trees gives p = 1 to most training records. Clipped at 1e-12 that is
    # logit 27.6 and LiRA collapsed (TPR@1%FPR ~3% vs RMIA ~21% on Adult); at 1/(2 x trees) it is not.
    frame = adult_small.iloc[:2000].reset_index(drop=True)
    recipe = get_recipe("random_forest", n_estimators=30)
    trained = train_model(frame, "class", recipe=recipe, seed=0)
    assert trained.train_accuracy > 0.99  # it memorizes
    audit = run_audit(trained.model, trained.members, trained.non_members, "class", recipe=recipe,
                      attacks=("lira", "rmia"), reference_models=8, backend="serial", seed=0)
    tpr = {a.name: a.tpr_at_fpr["0.01"] for a in audit.attacks}
    best_lira = max(tpr["lira_online"], tpr["lira_offline"])
    best_rmia = max(tpr["rmia_online"], tpr["rmia_offline"])
    assert best_rmia > 0.05, tpr
    assert best_lira >= 0.5 * best_rmia, tpr
    assert audit.attack("lira_online").settings["probability_clip"] == pytest.approx(1 / 60)
    assert math.isfinite(audit.attack("lira_offline").auc)
