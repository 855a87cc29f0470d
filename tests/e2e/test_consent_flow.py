"""Browser test of consent, end to end on the bundled customers table: the Data page maps consent (suggested
columns) with enforcement on, Model audit trains on consented rows only and runs the withdrawal check, and
the Report page exports the data-use statement as Markdown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_idle

pytestmark = pytest.mark.e2e


def _metric(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
    return box.get_by_test_id("stMetricValue").inner_text().strip()


def test_map_consent_train_check_withdrawal_and_export_the_statement(page, app_url, tmp_path):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("heading", name="Consent").wait_for()
    consent = page.get_by_test_id("stMultiSelect").filter(has_text="Consent columns")
    expect(consent).to_contain_text("consent_training")
    expect(consent).to_contain_text("consent_marketing")
    expect(page.get_by_role("switch", name="Train only on rows with consent for training")).to_be_checked()
    expect(page.get_by_test_id("stDataFrame").last).to_be_visible()

    page.get_by_test_id("stSidebarNav").get_by_text("Model audit", exact=True).click()
    wait_idle(page)
    page.get_by_test_id("stMain").get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Random forest").click()
    page.get_by_label("Use at most N rows (0: all)").fill("1000")
    page.get_by_role("button", name="Train model").click()
    wait_idle(page)
    page.get_by_role("heading", name=re.compile("Audit: Random forest")).wait_for()
    # membership is drawn by coin flips (about half of the 1,000 rows each side)
    expect(page.get_by_text(re.compile(r"^\d{3} members · \d{3} non-members$"))).to_be_visible()

    page.get_by_role("heading", name="Withdrawal check").wait_for()
    expect(page.get_by_text("321 withdrawn rows")).to_be_visible()
    page.get_by_role("button", name="Run withdrawal check").click()
    wait_idle(page, timeout_ms=240_000)
    page.get_by_text("p-value (one-sided)").wait_for()
    assert _metric(page, "Verdict") == "no evidence at this test's power"  # enforced: none was trained on
    assert page.get_by_test_id("stException").count() == 0

    page.get_by_test_id("stSidebarNav").get_by_text("Report", exact=True).click()
    wait_idle(page)
    page.get_by_role("heading", name="Data-use statement").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download statement (Markdown)").click()
    path = tmp_path / "statement.md"
    download.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("## Data-use statement")
    assert "Training used only rows with consent to training; 751 rows were excluded" in text
    assert "The withdrawal check tested 321 withdrawn records" in text
    assert "@" not in text  # no e-mail address (or any raw value) in the statement
    assert page.get_by_test_id("stException").count() == 0
