"""AppTest: on a COMPAS-shaped table with label two_year_recid, Model audit and Privacy-utility warn that
`event` leaks the label and leave it out of the features; the user can choose the features."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.pii.evalset import make_eval_set
from analysis.tables import load_table
from dashboard import state


@pytest.fixture(scope="module")
def compas_table():
    frame = make_eval_set(600, variant="real", seed=6).frame
    return load_table(frame.to_csv(index=False).encode(), name="compas.csv")


@pytest.mark.parametrize("page, key", [("app_pages/model_audit.py", "audit_features"),
                                       ("app_pages/privacy_utility.py", "tradeoff_features")])
def test_leaking_feature_is_named_and_left_out(compas_table, page, key):
    at = AppTest.from_file("dashboard/app.py", default_timeout=180).run()
    at.session_state[state.TABLE] = compas_table
    at.session_state[state.LABEL_COLUMN] = "two_year_recid"
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert any("event" in w.value and "two_year_recid" in w.value for w in at.warning)
    features = next(m for m in at.multiselect if m.key.startswith(key))
    assert "event" not in features.value and "priors_count" in features.value and "two_year_recid" not in features.value
