"""State per dataset (dashboard/state.py): another table drops every result, request and notice of the
previous one, and the sidebar names the new table in the run that loaded it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

APP = "dashboard/app.py"


def _sidebar_text(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_loading_another_table_drops_requests_results_and_notices():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "customers.csv" in _sidebar_text(at)
    stale = {"tradeoff_request": {"label": "churned"}, "report_quick_request": {"label": "churned"},
             "report_saved_run": "abc12345", "_auto_request_pii_scan": "k", "_memo_store": {"profile": {}},
             "lm_request": {"column": "notes"}}  # any page's "..._request"
    for key, value in stale.items():
        at.session_state[key] = value
    at.selectbox[0].select("adult.csv").run()
    at.button(key="load_sample").click().run()
    assert not at.exception
    for key in stale:
        assert key not in at.session_state or key == "_memo_store"
    assert "profile" in at.session_state["_memo_store"]  # rebuilt for adult.csv only
    assert set(at.session_state["_memo_store"]["profile"]) == {at.session_state["table"].fingerprint}
    assert "adult.csv" in _sidebar_text(at) and "customers.csv" not in _sidebar_text(at)


def test_the_same_table_again_keeps_everything():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.session_state["tradeoff_request"] = {"label": "churned"}
    at.selectbox[0].select("customers.csv").run()
    at.button(key="load_sample").click().run()
    assert at.session_state["tradeoff_request"] == {"label": "churned"}
