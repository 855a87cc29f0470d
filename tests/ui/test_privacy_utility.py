"""AppTest of the Privacy-utility page: a tiny grid on the bundled customers table."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.rendered import shown

APP = "dashboard/app.py"


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/privacy_utility.py").run()
    assert not at.exception
    return at


def test_page_waits_for_the_user_then_runs_a_small_grid():
    at = _page()
    assert at.title[0].value == "Privacy-utility"
    assert at.selectbox(key="tradeoff_label").value == "churned"  # the Data page's label
    assert any("Run comparison" in i.value for i in at.info)
    at.multiselect(key="tradeoff_strategies").set_value(["none", "anonymized", "dp"])
    at.multiselect(key="tradeoff_budgets").set_value([1.0])
    at.number_input(key="tradeoff_seeds").set_value(1)
    at.number_input(key="tradeoff_epochs").set_value(1)
    at.number_input(key="tradeoff_rows").set_value(1000)
    at.selectbox(key="tradeoff_group").select("sex")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, at.exception
    assert not at.error
    result = at.session_state["tradeoff_result"]
    assert [r.name for r in result.runs] == ["non-private", "DP-SGD ε = 1"]
    assert result.runs[1].epsilon <= 1.0 + 1e-6
    assert shown(at.success[0].value) == result.recommendation and "epsilon 1" in result.recommendation
    # no plan on the Anonymize page yet: the anonymized strategy is skipped with its reason
    assert any("anonymized skipped: no anonymization plan" in w.value for w in at.warning)
    table = at.dataframe[0].value
    assert list(table["strategy"]) == ["non-private", "DP-SGD ε = 1"]
    assert list(table["guarantee"]) == ["none", "ε = 1 per record (preprocessing outside ε)"]
    assert any("one example per microbatch" in c.value for c in at.caption)
    # a rerun (e.g. changing the chart metric) reuses the cached result instead of retraining
    at.selectbox(key="tradeoff_metric").select("f1").run()
    assert not at.exception and at.session_state["tradeoff_result"] is result


def test_bad_hidden_layers_show_an_error_not_a_traceback():
    at = _page()
    at.text_input(key="tradeoff_hidden").input("wide")
    at.button[0].click().run()
    assert not at.exception
    assert "hidden layer widths" in at.error[0].value


def test_loading_another_table_resets_the_column_choices():
    at = _page()
    at.selectbox(key="tradeoff_group").select("sex").run()
    at.switch_page("app_pages/data.py").run()
    at.selectbox[0].select("adult.csv").run()
    at.button(key="load_sample").click().run()
    at.switch_page("app_pages/privacy_utility.py").run()
    assert not at.exception
    assert at.selectbox(key="tradeoff_label").value == "class"
    assert at.selectbox(key="tradeoff_group").value is None
