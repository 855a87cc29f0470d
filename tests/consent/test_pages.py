"""AppTest of consent in the app: the mapping suggested on the Data page, enforcement in Model audit's
training, the withdrawal check, and the statement on the Report page (bundled customers table)."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

APP = "dashboard/app.py"


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception, at.exception
    return at


def _train(at: AppTest, rows: int) -> dict:
    at.switch_page("app_pages/model_audit.py").run()
    at.selectbox(key="audit_recipe").select("random_forest")
    at.number_input(key="audit_rows").set_value(rows)
    at.button[0].click().run()  # "Train model"
    assert not at.exception, at.exception
    return at.session_state["model_bundle"]


def test_data_page_suggests_the_mapping_and_switches_enforcement_on():
    at = _app()
    fp = at.session_state["table"].fingerprint[:12]
    assert at.multiselect(key=f"consent_columns_{fp}").value == ["consent_training", "consent_marketing"]
    assert at.selectbox(key=f"consent_withdrawn_{fp}").value == "consent_training_withdrawn_at"
    assert at.toggle(key=f"consent_enforce_{fp}").value is True
    counts = next(d.value for d in at.dataframe if "purpose" in d.value.columns)
    training = counts[counts["purpose"] == "training"].iloc[0]
    assert (training["consented"], training["not consented"], training["unknown"]) == (4249, 538, 213)


def test_training_here_uses_consented_rows_and_the_withdrawal_check_runs():
    at = _app()
    bundle = _train(at, 600)
    consent = bundle["consent"]
    assert consent.rows_kept == 4249 and consent.rows_left_out == 751 and not consent.unknown_as_consented
    assert not any(c.startswith("consent_") for c in bundle["members"].columns)
    at.button(key="withdrawal_run").click().run()
    assert not at.exception, at.exception
    check = at.session_state["withdrawal_check"]
    assert check.rows == 321 and not check.still_in_training  # enforced: none of them was trained on


def test_switching_enforcement_off_trains_on_everything_and_the_check_flags_it():
    at = _app()
    fp = at.session_state["table"].fingerprint[:12]
    at.toggle(key=f"consent_enforce_{fp}").set_value(False).run()
    bundle = _train(at, 0)  # all 5,000 rows: half of the withdrawn customers are members
    assert len(bundle["members"]) + len(bundle["non_members"]) == 5000
    assert bundle["consent"].enforced is False and bundle["consent"].kept_without_consent == 751
    at.button(key="withdrawal_run").click().run()
    assert not at.exception, at.exception
    check = at.session_state["withdrawal_check"]
    assert check.still_in_training and check.p_value < 0.01

    at.switch_page("app_pages/report.py").run()
    assert not at.exception, at.exception
    statement = at.session_state["report"].statement
    texts = [line.text for line in statement.lines]
    assert any("Consent was not enforced: 751 rows" in t for t in texts)
    assert any("still in training" in t for t in texts)
    assert "consent" in [s.key for s in at.session_state["report"].sections]
