"""AppTest of the Report page: summary with traffic lights, editable thresholds, downloads, history."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from analysis import history
from tests.rendered import shown

APP = "dashboard/app.py"
PAGE = "app_pages/report.py"


def _open_report() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _frame_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _summary(at: AppTest):
    return _frame_with(at, "rating")


def _open_thresholds(at: AppTest, open_: bool = True) -> None:
    """Open (or close) the thresholds panel, as a click on its header does: its inputs exist only while open."""
    at.session_state["report_thresholds_open"] = open_
    at.run()


def _set_threshold(at: AppTest, key: str, value: float) -> None:
    """Type a threshold into the open panel (AppTest does not send a panel's open state back by itself)."""
    at.session_state["report_thresholds_open"] = True
    at.number_input(key=key).set_value(value).run()


def test_report_with_nothing_run_is_all_grey_but_names_the_dataset():
    at = _open_report()
    assert at.title[0].value == "Report"
    summary = _summary(at)
    assert len(summary) == 8 and set(summary["rating"]) == {"○ Not run"}
    assert any("customers.csv" in m.value for m in at.markdown)
    assert any("Not run in this session yet" in c.value for c in at.caption)


def test_quick_audit_fills_the_report_and_thresholds_change_the_lights(history_url):
    at = _open_report()
    at.button(key="report_run_quick").click().run()
    assert not at.exception, at.exception
    summary = _summary(at).set_index("what")
    assert summary.loc["Direct identifiers", "rating"] == "● Act"
    assert "email" in summary.loc["Direct identifiers", "measured"]
    assert summary.loc["k (smallest group)", "rating"] == "● Act"
    assert summary.loc["Strongest attack: AUC", "rating"] != "○ Not run"
    headers = [h.value for h in at.header]
    assert {"Personal data in the table", "Re-identification risk", "Membership inference on the model",
            "What was run"} <= set(headers)
    report = at.session_state["report"]
    assert report.provenance.dataset["name"] == "customers.csv"

    # A team that accepts k = 1 sets both thresholds to 1: the light turns green.
    assert not [n for n in at.number_input if n.key.startswith("report_thr_")]  # closed: not drawn
    _open_thresholds(at)
    _set_threshold(at, "report_thr_k_anonymity_green", 1.0)
    _set_threshold(at, "report_thr_k_anonymity_amber", 1.0)
    summary = _summary(at).set_index("what")
    assert summary.loc["k (smallest group)", "rating"] == "● OK"
    assert "green ≥ 1" in summary.loc["k (smallest group)", "thresholds"]
    # Closing the panel, or leaving the page and coming back, keeps them.
    _open_thresholds(at, False)
    assert not [n for n in at.number_input if n.key.startswith("report_thr_")]
    at.switch_page("app_pages/data.py").run()
    at.switch_page(PAGE).run()
    assert _summary(at).set_index("what").loc["k (smallest group)", "rating"] == "● OK"
    _open_thresholds(at)
    assert at.number_input(key="report_thr_k_anonymity_green").value == 1.0

    at.button(key="report_save").click().run()
    assert any("Saved as run" in s.value for s in at.success)
    runs = history.list_runs(url=history_url)
    assert len(runs) == 1 and runs[0].source == "dashboard" and runs[0].dataset_name == "customers.csv"


def test_inconsistent_thresholds_show_an_error_not_a_traceback():
    at = _open_report()
    _open_thresholds(at)
    _set_threshold(at, "report_thr_attack_auc_green", 0.9)
    assert not at.exception
    assert any("attack_auc" in shown(e.value) for e in at.error)


def _store_two_runs(url):
    from analysis.report import ReportInputs, assemble_report
    from analysis.risk import assess_risk
    from analysis.tables import load_sample

    table = load_sample("customers.csv")
    for qis, title in ((["zip", "age", "sex"], "before"), (["sex", "state"], "after")):
        risk = assess_risk(table.frame, qis, k=5)
        history.save_run(assemble_report(ReportInputs(table=table, risk=risk, title=title)), url=url)


def test_history_page_lists_runs_and_compares_two(history_url):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/history.py").run()
    assert not at.exception
    assert any("No runs yet" in i.value for i in at.info)

    _store_two_runs(history_url)
    at.run()
    assert not at.exception, at.exception
    runs = _frame_with(at, "title")
    assert list(runs["title"]) == ["after", "before"]
    summary = _frame_with(at, "rating A").set_index("what")
    assert summary.loc["k_anonymity", "A"] == "1" and float(summary.loc["k_anonymity", "B"]) > 1
    assert summary.loc["k_anonymity", "verdict"] == "▲ better"
    numbers = _frame_with(at, "number")
    assert "risk.k" in set(numbers["number"])


def test_report_uses_the_results_other_pages_stored():
    from analysis.risk import assess_risk

    at = AppTest.from_file(APP, default_timeout=120).run()
    table = at.session_state["table"]
    at.session_state["risk_report"] = assess_risk(table.frame, ["sex", "state"], k=5)  # as the Anonymize page does
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    summary = _summary(at).set_index("what")
    assert summary.loc["k (smallest group)", "measured"].startswith("k = ")
    assert summary.loc["Direct identifiers", "rating"] == "○ Not run"
    assert "Re-identification risk" in [h.value for h in at.header]
    assert len(at.get("plotly_chart")) == 3  # the Anonymize page's risk figures


def test_report_shows_the_model_audit_pages_model_and_attacks():
    from analysis.attacks.audit import run_audit
    from analysis.models.recipes import get_recipe, train_model

    at = AppTest.from_file(APP, default_timeout=120).run()
    frame = at.session_state["table"].frame.sample(n=800, random_state=0).reset_index(drop=True)
    trained = train_model(frame, "churned", recipe="logistic_regression", seed=0)
    # What the Model audit page stores: a bundle dict and the audit result.
    at.session_state["model_bundle"] = {"name": "Logistic regression", "key": "k1", "model": trained.model,
                                        "recipe": get_recipe("logistic_regression"), "members": trained.members,
                                        "non_members": trained.non_members, "label": "churned"}
    at.session_state["attack_results"] = run_audit(trained.model, trained.members, trained.non_members, "churned",
                                                   attacks=["threshold"], seed=0, n_jobs=1)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert "Membership inference on the model" in [h.value for h in at.header]
    model_line = next(m.value for m in at.markdown if m.value.startswith("**Model**"))
    assert "Logistic regression" in model_line and "sha256:" in model_line
    assert _summary(at).set_index("what").loc["Strongest attack: AUC", "rating"] != "○ Not run"
