"""Utility before versus after, against hand-computed distances."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.utility import compare_utility


def test_hand_computed_distances_and_counts():
    original = pd.DataFrame({"cat": ["a", "a", "b", "b"], "num": [1, 2, 3, 4], "gen": [1, 2, 3, 4],
                             "gone": ["x", "y", "z", "w"]})
    anonymized = pd.DataFrame({"cat": ["a", "a", "a", "b"], "num": [1, 2, 3, 5],
                               "gen": ["1-2", "1-2", "3-4", "3-4"]})
    u = compare_utility(original, anonymized)
    cols = {c.column: c for c in u.columns}
    assert cols["cat"].metric == "total_variation" and cols["cat"].distance == pytest.approx(0.25)
    assert cols["cat"].changed_share == pytest.approx(0.25)
    assert cols["num"].metric == "ks" and cols["num"].distance == pytest.approx(0.25)
    assert cols["num"].wasserstein == pytest.approx(0.25)
    assert cols["gen"].metric == "entropy_loss"
    assert cols["gen"].distance == pytest.approx(1 - math.log(2) / math.log(4))  # 0.5
    assert cols["gone"].metric == "dropped" and cols["gone"].distance == 1.0
    # changed cells: cat 1 + num 1 + gen 4 + gone 4 = 10 of 16
    assert u.cells_changed_share == pytest.approx(10 / 16) and u.rows_dropped == 0


def test_dropped_rows_and_suppressed_cells():
    original = pd.DataFrame({"zip": ["A", "A", "B", "C"], "v": [1, 2, 3, 4]})
    anonymized = pd.DataFrame({"zip": ["A", "A", "*"], "v": [1, 2, 3]}, index=[0, 1, 2])
    u = compare_utility(original, anonymized)
    assert u.rows_dropped == 1 and u.rows_dropped_share == pytest.approx(0.25)
    assert u.cells_suppressed_share == pytest.approx(1 / 8)
    # changed: the suppressed cell, plus the dropped row's 2 cells
    assert u.cells_changed_share == pytest.approx(3 / 8)


def test_quick_model_loses_accuracy_when_the_signal_is_removed():
    rng = np.random.default_rng(0)
    x = rng.normal(size=600)
    original = pd.DataFrame({"x": x, "noise": rng.normal(size=600), "y": np.where(x > 0, "yes", "no")})
    anonymized = original.assign(x=0.0)
    u = compare_utility(original, anonymized, label="y", seed=1)
    assert u.accuracy_original_score > 0.9
    assert u.accuracy_anonymized_score < 0.7 and u.accuracy_drop > 0.2
    again = compare_utility(original, anonymized, label="y", seed=1)
    assert again.accuracy_anonymized_score == u.accuracy_anonymized_score  # seeded


def test_misaligned_tables_are_rejected():
    with pytest.raises(ValueError, match="index"):
        compare_utility(pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [1]}, index=[7]))
    with pytest.raises(ValueError, match="label column"):
        compare_utility(pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [1]}), label="y")


def test_an_untouched_empty_column_is_unchanged_and_an_emptied_one_is_lost():
    original = pd.DataFrame({"age": [30.0, 41.0, 52.0, 63.0], "fax": [np.nan] * 4})
    untouched = compare_utility(original, original.copy())
    assert {c.column: c.distance for c in untouched.columns} == {"age": 0.0, "fax": 0.0}
    emptied = compare_utility(original, original.assign(age=np.nan))
    assert {c.column: c.distance for c in emptied.columns} == {"age": 1.0, "fax": 0.0}
