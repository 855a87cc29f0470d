"""AppTest of the Memorization page: run the text test on a few notes and see verdict, chart, table."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.rendered import shown

APP = "dashboard/app.py"


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/memorization.py").run()
    assert not at.exception
    return at


def test_text_test_on_notes_shows_verdict_both_models_and_canaries():
    at = _page()
    assert at.title[0].value == "Memorization"
    assert at.selectbox(key="mem_text_column").value == "notes"
    assert at.multiselect(key="mem_repeats").value == [1, 4, 16, 64]
    assert any("run the test" in i.value for i in at.info)
    at.multiselect(key="mem_repeats").set_value([1, 64])
    at.selectbox(key="mem_space").set_value(1000)
    at.number_input(key="mem_epochs_text").set_value(2)
    at.number_input(key="mem_max_rows").set_value(100)
    at.button(key="mem_run").click().run()
    assert not at.exception, at.exception
    assert not at.error
    result = at.session_state["memorization_result"]
    assert result.kind == "text" and result.secret_space_size == 1000
    assert [m.epsilon for m in result.models] == [None, 3.0]
    assert result.settings["max_rows"] == 100 and result.settings["epochs"] == 2
    assert any(shown(i.value) == result.verdict for i in at.info)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Secret space"] == "10.0 bits"
    top = max(s.mean_exposure for s in result.models[0].by_repeats if s.repeats > 0)
    assert metrics["non-private"] == f"{top:.1f} bits"
    table = at.dataframe[0].value
    assert len(table) == 2 * (4 + 2 * 3)  # two models x (4 controls + 3 canaries for each of 2 counts)
    assert set(table["times inserted"]) == {0, 1, 64}

    # Coming back to the page shows the stored result without retraining.
    at.switch_page("app_pages/data.py").run()
    at.switch_page("app_pages/memorization.py").run()
    assert at.session_state["memorization_result"] is result
    assert any(shown(i.value) == result.verdict for i in at.info)


def test_tabular_mode_and_empty_repeats_warning():
    at = _page()
    at.radio(key="mem_mode").set_value("Table (tabular model)").run()
    # the 2-value label (1 bit) cannot show memorization: the default is a secret with 8+ values
    assert at.selectbox(key="mem_label").value == "tenure_months"
    at.multiselect(key="mem_repeats").set_value([]).run()
    assert any("at least one" in w.value for w in at.warning)
    assert at.button(key="mem_run").disabled
    at.multiselect(key="mem_repeats").set_value([1, 16])
    at.selectbox(key="mem_label").set_value("plan")
    at.number_input(key="mem_epochs_tab").set_value(1)
    at.number_input(key="mem_max_rows").set_value(200)
    at.checkbox(key="mem_dp").uncheck()
    at.button(key="mem_run").click().run()
    assert not at.exception, at.exception
    result = at.session_state["memorization_result"]
    assert result.kind == "tabular" and result.settings["label"] == "plan"
    assert [m.name for m in result.models] == ["non-private"]
    assert "3 possible values" in result.verdict
