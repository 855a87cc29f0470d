"""The risk figures draw what the results say (no metric is computed in a figure)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.anonymize import Plan, apply_plan
from analysis.figures import risk as figures
from analysis.risk import assess_risk
from analysis.utility import compare_utility

FRAME = pd.DataFrame({"zip": ["A", "A", "A", "B", "B", "C"], "age": [30, 30, 30, 40, 40, 50]})


def test_figures_show_the_report_numbers():
    before = assess_risk(FRAME, ["zip", "age"], k=3)
    hist = figures.class_size_histogram(before)
    assert list(hist.data[0].x[:3]) == ["1", "2", "3"] and list(hist.data[0].y[:3]) == [1, 2, 3]
    assert hist.layout.xaxis.type == "category"
    bands = figures.risk_distribution(before)
    assert list(bands.data[0].y[-3:]) == pytest.approx([3 / 6, 2 / 6, 1 / 6])  # risks 1/3, 1/2, 1
    combos = figures.riskiest_combinations(before)
    assert len(combos.data[0].y) == len(before.riskiest_combinations)
    result = apply_plan(FRAME, Plan.from_dict({"suppression": {"k": 2, "quasi_identifiers": ["zip", "age"]}}))
    after = assess_risk(result.frame, ["zip", "age"], k=3)
    both = figures.risk_before_after(before, after)
    assert [t.name for t in both.data] == ["before (k=1)", "after (k=2)"]
    utility = compare_utility(FRAME, result.frame)
    cols = figures.utility_columns(utility)
    assert set(cols.data[0].y) == {"zip", "age"}
