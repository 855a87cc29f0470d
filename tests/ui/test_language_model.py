"""AppTest of the Language model page: train on the notes column and see the audit's figures."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

APP = "dashboard/app.py"


def test_train_and_audit_on_notes_shows_attacks_canaries_and_no_pii_value():
    at = AppTest.from_file(APP, default_timeout=600).run()
    at.switch_page("app_pages/language_model.py").run()
    assert not at.exception
    assert at.title[0].value == "Language model"
    assert at.selectbox(key="lm_column").value == "notes"
    assert any("Train and audit" in i.value for i in at.info)
    at.multiselect(key="lm_repeats").set_value([1, 16])
    at.number_input(key="lm_epochs").set_value(3)
    at.number_input(key="lm_rows").set_value(600)
    at.checkbox(key="lm_pii").set_value(False)
    at.selectbox(key="lm_space").set_value(1000)
    at.button(key="lm_train").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    result = at.session_state["language_model_audit"]
    assert {a.name for a in result.attacks} >= {"loss", "zlib", "min_k", "min_k_plus_plus"}
    assert {c.repeats for c in result.canaries.canaries} == {0, 1, 16}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Canary exposure (16×)"] == f"{result.canaries.mean_exposure(16):.1f} bits"
    assert metrics["Blind baseline AUC"] == f"{result.baseline.auc:.2f}"
    attacks = at.dataframe[0].value
    assert len(attacks) == len(result.attacks) + 1  # and the blind baseline

    at.switch_page("app_pages/data.py").run()
    at.switch_page("app_pages/language_model.py").run()
    assert at.session_state["language_model_audit"] is result
