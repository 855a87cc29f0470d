"""AppTest: the Anonymize page measures GDPR anonymity of the release (raw table vs the plan) against a
held-out control half, with intervals."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

APP = "dashboard/app.py"


def test_measure_anonymity_of_raw_and_planned_release():
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.selectbox[0].select("adult.csv").run()
    at.button(key="load_sample").click().run()
    at.switch_page("app_pages/anonymize.py").run()
    at.selectbox(key="anon_example").select("adult_k5_numbers.yaml").run()
    at.button(key="anon_load_example").click().run()
    assert not at.exception
    at.button(key="anon_measure_gdpr").click().run()
    assert not at.exception and not at.error
    rows = next(d.value for d in at.dataframe if "criterion" in d.value.columns)
    table = rows.set_index(["table", "criterion"])
    assert set(table.index.get_level_values("table")) == {"raw", "anonymized"}
    raw, anon = table.loc[("raw", "singling out univariate")], table.loc[("anonymized", "singling out univariate")]
    assert raw["risk"] > 0.9 and anon["95% high"] < raw["95% low"]
    assert (table["95% low"] <= table["risk"]).all() and (table["risk"] <= table["95% high"]).all()
