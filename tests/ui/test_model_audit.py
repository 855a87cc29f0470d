"""AppTest of the Model audit page: train a model on the bundled customers table and audit it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

APP = "dashboard/app.py"


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/model_audit.py").run()
    assert not at.exception
    return at


def test_train_then_audit_shows_accuracies_metrics_and_masked_records():
    at = _page()
    assert at.title[0].value == "Model audit"
    assert any("Train a model" in i.value for i in at.info)
    at.selectbox(key="audit_recipe").select("random_forest")
    at.number_input(key="audit_rows").set_value(600)
    at.button[0].click().run()  # "Train model"
    assert not at.exception, at.exception
    bundle = at.session_state["model_bundle"]
    # coin-flip membership: about half of the 600 rows each
    assert len(bundle["members"]) + len(bundle["non_members"]) == 600 and abs(len(bundle["members"]) - 300) < 50
    assert any("Run audit" in i.value for i in at.info)

    at.multiselect(key="audit_attacks").set_value(["threshold", "lira"])
    at.number_input(key="audit_refs").set_value(2)
    at.selectbox(key="audit_slice").select("plan")
    at.button[1].click().run()  # "Run audit"
    assert not at.exception, at.exception
    assert not at.error
    result = at.session_state["attack_results"]
    assert [a.name for a in result.attacks] == ["loss", "confidence", "loss_per_class", "confidence_per_class",
                                               "lira_offline", "lira_online"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Train accuracy"] == f"{result.train_accuracy:.3f}"
    assert metrics["Test accuracy"] == f"{result.test_accuracy:.3f}"
    attacks_table, exposed = at.dataframe[0].value, at.dataframe[1].value
    assert list(attacks_table["attack"]) == [a.name for a in result.attacks]
    assert len(exposed) == 10
    raw_emails = set(bundle["members"]["email"])
    assert not set(exposed["email"]) & raw_emails  # identifiers are masked
    assert any("overfit" in w.value for w in at.warning)

    # Changing only the slice view reuses the stored result (no retraining).
    at.selectbox(key="audit_slice_view").select("plan").run()
    assert not at.exception and at.session_state["attack_results"] is result


def test_empty_attack_choice_is_an_error_not_a_traceback():
    at = _page()
    at.number_input(key="audit_rows").set_value(300)
    at.button[0].click().run()
    at.multiselect(key="audit_attacks").set_value([])
    at.button[1].click().run()
    assert not at.exception
    assert "at least one attack" in at.error[0].value
