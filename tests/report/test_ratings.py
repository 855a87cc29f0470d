"""Traffic-light rules: the thresholds decide the colour, and a team can change them."""

from __future__ import annotations

import pytest

from analysis.report.ratings import Rule, Thresholds, default_thresholds


def test_lower_is_better_rule_colours_by_its_thresholds():
    rule = Rule("attack_auc", "AUC", "lower", 0.55, 0.65)
    assert [rule.rate(v) for v in (0.5, 0.55, 0.6, 0.65, 0.9)] == ["green", "green", "amber", "amber", "red"]
    assert rule.rate(None) == "grey"
    assert rule.describe() == "green ≤ 0.55, amber ≤ 0.65, red above"


def test_higher_is_better_rule_for_k():
    rule = default_thresholds().rule("k_anonymity")
    assert [rule.rate(k) for k in (1, 2, 4, 5, 50)] == ["red", "amber", "amber", "green", "green"]


def test_overrides_change_only_the_named_rule():
    base = default_thresholds()
    strict = base.with_overrides({"k_anonymity": {"green": 10, "amber": 5}})
    assert strict.rate("k_anonymity", 7) == "amber" and base.rate("k_anonymity", 7) == "green"
    assert strict.rule("attack_auc") == base.rule("attack_auc")
    assert strict.with_overrides({"k_anonymity": [20, 10]}).rule("k_anonymity").green == 20


@pytest.mark.parametrize("overrides, needle", [
    ({"k_anonimity": {"green": 5}}, "k_anonimity"),
    ({"k_anonymity": {"red": 1}}, "red"),
    ({"k_anonymity": {"green": "many"}}, "k_anonymity"),
    ({"attack_auc": {"green": 0.9, "amber": 0.6}}, "attack_auc"),
])
def test_bad_overrides_name_the_key(overrides, needle):
    with pytest.raises(ValueError, match=needle):
        default_thresholds().with_overrides(overrides)


def test_every_rule_is_listed_in_the_report_thresholds(full_report):
    assert [t["metric"] for t in full_report.thresholds] == Thresholds().metrics()
    assert all(item.rule for item in full_report.summary)
