"""Streamlit AppTest of the Data page with the bundled datasets."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

APP = "dashboard/app.py"


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_first_run_shows_bundled_customers():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Data"
    assert _metrics(at)["Rows"] == "5,000"
    assert _metrics(at)["Columns"] == "26"  # 23 + three consent columns
    assert at.session_state["label_column"] == "churned"
    assert len(at.dataframe) == 3  # preview, column profile, consent per purpose


def test_switching_to_adult_keeps_one_label_and_counts():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox[0].select("adult.csv").run()
    at.button(key="load_sample").click().run()
    assert not at.exception
    assert _metrics(at)["Rows"] == "32,561"
    assert at.session_state["label_column"] == "class"
    assert any("Loaded adult.csv" in s.value for s in at.success)


def test_user_can_choose_no_label():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox[1].select("sex").run()
    assert at.session_state["label_column"] == "sex"
    at.selectbox[1].select_index(0).run()  # the "(none)" option
    assert at.session_state["label_column"] is None
    at.run()  # a rerun keeps the choice
    assert at.session_state["label_column"] is None
