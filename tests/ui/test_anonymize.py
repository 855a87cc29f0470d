"""AppTest of the Anonymize page on the bundled Adult table."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.rendered import shown

APP = "dashboard/app.py"
ADULT_QIS = ["age", "sex", "race", "native-country"]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _adult_anonymize_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox[0].select("adult.csv").run()
    at.button(key="load_sample").click().run()
    at.switch_page("app_pages/anonymize.py").run()
    assert not at.exception
    return at


def test_risk_for_chosen_quasi_identifiers_then_example_plan_reaches_k5():
    at = _adult_anonymize_page()
    assert at.title[0].value == "Anonymize"
    assert set(ADULT_QIS) <= set(at.multiselect[0].value)  # suggested by name without a scan
    at.multiselect[0].set_value(ADULT_QIS).run()
    m = _metrics(at)
    assert m["k (smallest class)"] == "1" and m["Sample uniques"] == "1,330"
    assert m["Records below k=5"] == "3,035"
    assert any("plan is empty" in i.value for i in at.info)

    at.button(key="anon_suggest").click().run()  # generalize just enough, suppress at most 2%
    assert not at.exception
    m = _metrics(at)
    assert int(m["k after"]) >= 5 and int(m["Rows dropped"].replace(",", "")) <= 0.02 * 32561

    at.selectbox(key="anon_example").select("adult_k5.yaml").run()
    at.button(key="anon_load_example").click().run()
    assert not at.exception
    m = _metrics(at)
    assert at.multiselect[0].value == ADULT_QIS
    assert at.checkbox(key="anon_suppress").value is True  # the plan's suppression is shown switched on
    assert int(m["k after"]) >= 5 and m["Sample uniques after"] == "0"
    assert m["Rows dropped"] == "217"
    assert "Model accuracy (class)" in m
    assert at.session_state["anonymized"].k_after >= 5
    assert not at.error
    at.run()  # a rerun keeps the plan's suppression
    assert at.session_state["anonymization_plan"].suppression is not None
    assert int(_metrics(at)["k after"]) >= 5
    at.switch_page("app_pages/data.py").run()  # leave and come back: choices and plan are kept
    at.switch_page("app_pages/anonymize.py").run()
    assert at.multiselect[0].value == ADULT_QIS and at.checkbox(key="anon_suppress").value is True
    assert int(_metrics(at)["k after"]) >= 5


def test_rule_editor_and_generated_secret_shown_once():
    at = _adult_anonymize_page()
    at.multiselect[0].set_value(ADULT_QIS).run()
    at.selectbox(key="anon_rule_column").select("workclass").run()
    at.selectbox(key="anon_op_workclass").select("pseudonymize").run()
    at.button(key="anon_set_rule").click().run()
    assert not at.exception and not at.error
    assert at.session_state["anonymization_plan"].columns["workclass"].operator == "pseudonymize"
    assert len(at.code) == 1 and any("shown once" in w.value for w in at.warning)
    secret_hex = at.code[0].value
    assert secret_hex not in at.session_state["anonymization_plan"].to_yaml()
    at.run()
    assert len(at.code) == 0  # not shown again
    # a bad parameter is reported, not raised
    at.selectbox(key="anon_rule_column").select("age").run()
    at.selectbox(key="anon_op_age").select("bin").run()
    at.text_input(key="anon_age_bin_width").input("-5").run()
    at.button(key="anon_set_rule").click().run()
    assert not at.exception and any("width must be > 0" in shown(e.value) for e in at.error)
