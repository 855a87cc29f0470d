"""AppTest: after a plan was applied, the Report page judges the released table and shows the raw
table's figures beside it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from analysis.anonymize import apply_plan, suggest_plan
from analysis.risk import assess_risk
from dashboard import state

QIS = ["age", "sex", "zip"]


def test_report_after_a_plan_shows_the_released_risk_beside_the_raw():
    at = AppTest.from_file("dashboard/app.py", default_timeout=180).run()
    frame = at.session_state[state.TABLE].frame
    plan = suggest_plan(frame, QIS, k=5, direct_identifiers=["customer_name", "email"])
    released = apply_plan(frame, plan, secret=b"0123456789abcdef0123").frame
    at.session_state[state.RISK] = assess_risk(frame, QIS, k=5)
    at.session_state[state.PLAN] = plan
    at.session_state[state.RISK_AFTER] = assess_risk(released, QIS, k=5)
    at.switch_page("app_pages/report.py").run()
    assert not at.exception, at.exception
    summary = next(d.value for d in at.dataframe if "rating" in d.value.columns).set_index("what")
    measured = summary.loc["k (smallest group)", "measured"]
    assert "in the released table" in measured and "raw table: k = 1" in measured
    assert summary.loc["k (smallest group)", "rating"] == "● OK"
    side_by_side = next(d.value for d in at.dataframe if "released table" in d.value.columns)
    assert list(side_by_side.columns) == ["measure", "raw table", "released table"]
