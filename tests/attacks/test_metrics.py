"""The metric code agrees with scikit-learn and reports intervals and warnings a reader can trust."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from analysis.attacks.metrics import clopper_pearson, downsample_roc, membership_metrics


def _scores(rng, n_in=3000, n_out=3000, shift=0.5):
    scores = np.concatenate([rng.normal(shift, 1, n_in), rng.normal(0, 1, n_out)])
    truth = np.concatenate([np.ones(n_in, bool), np.zeros(n_out, bool)])
    return scores, truth


def test_auc_and_tpr_at_fpr_agree_with_sklearn_roc_curve(rng):
    scores, truth = _scores(rng)
    result = membership_metrics(scores, truth, name="gauss")
    fpr, tpr, _ = roc_curve(truth, scores)
    assert result.auc == pytest.approx(roc_auc_score(truth, scores), abs=1e-12)
    assert result.advantage == pytest.approx(np.max(tpr - fpr), abs=1e-12)
    for key, level in (("0.001", 0.001), ("0.01", 0.01)):
        assert result.tpr_at_fpr[key] == pytest.approx(np.max(tpr[fpr <= level]), abs=1e-12)
        lo, hi = result.tpr_ci[key]
        assert lo <= result.tpr_at_fpr[key] <= hi
        assert result.achieved_fpr[key] <= level
    # The downsampled ROC is a subset of sklearn's points, starts at 0 and ends at (1, 1).
    assert result.roc_fpr[-1] == 1.0 and result.roc_tpr[-1] == 1.0
    assert len(result.roc_fpr) <= 1000
    assert np.all(np.diff(result.roc_fpr) >= 0)
    assert result.n_members == 3000 and result.n_non_members == 3000


def test_ties_and_integer_scores_match_sklearn(rng):
    scores = rng.integers(0, 5, 400).astype(float)
    truth = rng.random(400) < 0.4
    result = membership_metrics(scores, truth, name="ties")
    assert result.auc == pytest.approx(roc_auc_score(truth, scores))


def test_clopper_pearson_matches_known_values():
    assert clopper_pearson(0, 10)[0] == 0.0
    assert clopper_pearson(0, 10)[1] == pytest.approx(0.3084971, abs=1e-6)
    lo, hi = clopper_pearson(5, 10)
    assert lo == pytest.approx(0.187086, abs=1e-5) and hi == pytest.approx(0.812914, abs=1e-5)


def test_warns_when_non_members_cannot_resolve_the_fpr(rng):
    scores, truth = _scores(rng, n_in=300, n_out=300)
    result = membership_metrics(scores, truth, name="small")
    assert any("0.001 cannot be resolved" in w for w in result.warnings)
    assert any("0.01" in w and "rough" in w for w in result.warnings)


def test_random_scores_give_no_evidence_of_leakage(rng):
    scores = rng.random(4000)
    truth = np.arange(4000) < 2000
    result = membership_metrics(scores, truth, name="coin")
    assert abs(result.auc - 0.5) < 0.03
    lo, hi = result.tpr_ci["0.01"]
    assert lo <= 0.01 <= hi
    assert result.epsilon_lower_bound is None  # only the audit, which knows how membership was drawn, bounds it


def test_perfect_separation_proves_a_large_epsilon():
    scores = np.concatenate([np.ones(1000), np.zeros(1000)])
    truth = scores.astype(bool)
    result = membership_metrics(scores, truth, name="perfect")
    assert result.auc == 1.0 and result.advantage == 1.0
    assert result.tpr_at_fpr["0.001"] == 1.0


def test_validation_names_the_bad_value():
    with pytest.raises(ValueError, match="both members and non-members"):
        membership_metrics(np.zeros(3), np.ones(3), name="x")
    with pytest.raises(ValueError, match="non-finite"):
        membership_metrics(np.array([0.0, np.nan]), np.array([1, 0]), name="x")
    with pytest.raises(ValueError, match="fprs"):
        membership_metrics(np.array([0.0, 1.0]), np.array([1, 0]), name="x", fprs=(2.0,))


def test_result_serialises_to_json(rng):
    scores, truth = _scores(rng, n_in=200, n_out=200)
    data = json.loads(membership_metrics(scores, truth, name="j").to_json())
    assert set(data["tpr_at_fpr"]) == {"0.001", "0.01"}
    assert {"name", "auc", "advantage", "tpr_ci", "epsilon_lower_bound", "roc_fpr", "warnings"} <= set(data)


def test_downsample_keeps_low_fpr_points():
    fpr = np.linspace(0, 1, 100_001)
    tpr = np.sqrt(fpr)
    small_f, small_t = downsample_roc(fpr, tpr, points=400)
    assert len(small_f) < 1000
    assert sum(f <= 0.01 for f in small_f) >= 150
