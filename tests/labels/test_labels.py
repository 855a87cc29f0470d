"""Safer defaults on a COMPAS-shaped table: no protected attribute suggested as the label, and a feature
that is the label in another form is named as a leak."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.anonymize import Plan
from analysis.anonymize.defaults import restrict_plan
from analysis.labels import leakage_check
from analysis.pii.evalset import make_eval_set
from analysis.tables import suggest_label_columns


def test_label_suggestion_skips_protected_attributes():
    frame = make_eval_set(300, variant="real", seed=1).frame
    candidates = suggest_label_columns(frame)
    assert candidates[0] == "two_year_recid"
    assert not {"sex", "race", "age_cat"} & set(candidates)


def test_a_feature_equal_to_the_label_is_a_leak_and_ordinary_ones_are_not():
    frame = make_eval_set(1500, variant="real", seed=1).frame
    report = leakage_check(frame, "two_year_recid", ["event", "sex", "race", "age", "priors_count", "name"])
    assert report.leaking == ["event"]
    assert "event" in report.message() and "two_year_recid" in report.message()
    scores = {s.feature: s for s in report.scores}
    assert scores["event"].auc == 1.0 and scores["sex"].auc < 0.7 and scores["name"].auc < 0.7


def test_leakage_on_a_multiclass_label_uses_balanced_accuracy():
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c"], 600)
    frame = pd.DataFrame({"y": y, "copy": [v.upper() for v in y], "noise": rng.normal(size=600)})
    report = leakage_check(frame, "y")
    assert report.leaking == ["copy"] and all(s.auc is None for s in report.scores)


def test_restrict_plan_keeps_rules_on_the_chosen_columns():
    plan = Plan.from_dict({"columns": {"name": "pseudonymize", "age": {"operator": "bin", "width": 10}},
                           "suppression": {"k": 5, "quasi_identifiers": ["age", "sex"]}})
    small = restrict_plan(plan, ["age", "label"])
    assert list(small.columns) == ["age"] and small.suppression.quasi_identifiers == ["age"]
    assert restrict_plan(plan, ["label"]) is None
