"""Streamlit AppTest of the Data page with the bundled datasets."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.rendered import shown

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


def test_renamed_columns_are_warned_and_load_cost_shown():
    from analysis.tables import load_table

    table = load_table(b"priors_count,decile_score, priors_count ,decile_score,\n1,2,3,4,5\n6,7,8,9,10\n",
                       name="recidivism.csv")
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_sample_tried"] = True
    at.session_state["table"] = table
    at.run()
    assert not at.exception
    warning = " ".join(shown(w.value) for w in at.warning)
    assert "'priors_count' -> 'priors_count.1'" in warning
    assert "'decile_score' -> 'decile_score.1'" in warning and "(blank) -> 'column_5'" in warning
    assert _metrics(at)["Memory"].endswith(" MB") and _metrics(at)["Load time"].endswith(" s")
    assert list(at.dataframe[0].value.columns) == ["priors_count", "decile_score", "priors_count.1",
                                                   "decile_score.1", "column_5"]
