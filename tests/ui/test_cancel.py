"""Cancel on work a page starts by itself (dashboard/cache.py `run_auto`, used by the PII scan and the
risk): a cancelled run stays stopped for the same inputs until the user starts it again."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page():
    import streamlit as st

    from dashboard import cache

    calls = st.session_state.setdefault("calls", [])

    def compute(bar):
        calls.append(st.session_state.get("inputs", "a"))
        bar(0.5, "half way")
        if st.session_state.get("interrupt"):
            st.stop()  # what a rerun does to a running script: it ends where it stands
        return f"result for {st.session_state.get('inputs', 'a')}"

    inputs = st.session_state.get("inputs", "a")
    st.write(cache.run_auto("work", cache.content_key(inputs), compute, label="Working", cancel_key="work_cancel"))


def test_cancel_stops_the_run_until_started_again_and_new_inputs_start_it():
    at = AppTest.from_function(_page, default_timeout=60)
    at.session_state["interrupt"] = True
    at.run()  # the run is under way: the Cancel button is on the page
    assert at.session_state["calls"] == ["a"]
    at.button(key="work_cancel").click().run()
    assert any("cancelled" in w.value for w in at.warning)
    at.session_state["interrupt"] = False
    at.run()  # any later rerun: still cancelled, nothing recomputed
    assert at.session_state["calls"] == ["a"]
    assert any("cancelled" in i.value for i in at.info)
    at.button(key="work_cancel_restart").click().run()
    at.run()
    assert at.session_state["calls"] == ["a", "a"]
    assert "result for a" in [m.value for m in at.markdown]
    at.session_state["inputs"] = "b"  # other inputs start by themselves
    at.run()
    assert at.session_state["calls"] == ["a", "a", "b"]
    assert "result for b" in [m.value for m in at.markdown]
    assert not at.exception


def _failing_page():
    import streamlit as st

    from analysis.tables import DataError
    from dashboard import cache

    def compute(bar):
        st.session_state["calls"] = st.session_state.get("calls", 0) + 1
        raise DataError("column 'age' has no values")  # ours: shown as it is (a library's: its type only)

    st.write(cache.run_auto("work", "key", compute, label="Working", cancel_key="work_cancel"))


def test_an_error_is_shown_and_not_taken_for_a_cancel():
    at = AppTest.from_function(_failing_page, default_timeout=60)
    at.run()
    assert [e.value for e in at.error] == ["column 'age' has no values"]
    at.run()
    assert at.session_state["calls"] == 2 and not at.info  # tried again, not "cancelled"
