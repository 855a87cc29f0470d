"""Browser test: the PII scan page classifies the bundled customers table, shows the heatmap and the
highlighted free text, and keeps a kind correction."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


METRICS = ["Rows", "Direct identifiers", "Quasi-identifiers", "Sensitive", "Scan time"]


def _metric(page, label: str) -> str:
    labels = [t.strip() for t in page.get_by_test_id("stMetricLabel").all_inner_texts()]
    assert labels[:len(METRICS)] == METRICS, labels
    return page.get_by_test_id("stMetricValue").nth(METRICS.index(label)).inner_text()


def test_pii_scan_page_finds_identifiers_and_keeps_a_correction(page, app_url):
    open_page(page, app_url, "PII scan")
    page.get_by_test_id("stMetricLabel").filter(has_text="Direct identifiers").wait_for(timeout=300_000)
    page.locator("mark").first.wait_for(timeout=300_000)  # free-text spans are read after the columns
    wait_idle(page, timeout_ms=240_000)
    assert page.get_by_test_id("stException").count() == 0
    assert _metric(page, "Direct identifiers") == "8"
    assert _metric(page, "Quasi-identifiers") == "6"  # zip, age, sex, city, state, consent_training_withdrawn_at
    assert _metric(page, "Sensitive") == "1"
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    expect(page.locator("mark").first).to_be_visible()  # highlighted spans in the notes column
    expect(page.get_by_text("spans in", exact=False).first).to_be_visible()

    page.get_by_label("Correct the kind of column").click()
    page.keyboard.type("plan")  # the option list is virtualised: filter it by typing
    page.get_by_role("option", name="plan", exact=True).click()
    wait_idle(page)
    # The rerun after choosing the column replaces the Kind box (its key names the column): wait until only
    # the new one, showing plan's scanned kind, is on the page; a click on the old one opens nothing.
    kind_box = page.get_by_label("Kind", exact=True)
    expect(kind_box).to_have_count(1, timeout=60_000)
    expect(kind_box).to_have_value("other", timeout=60_000)
    option = page.get_by_role("option", name="quasi identifier", exact=True)
    for _ in range(5):
        kind_box.click()
        try:
            option.wait_for(timeout=10_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
            wait_idle(page)
    option.click()
    wait_idle(page)
    page.get_by_role("button", name="Apply").click()
    wait_idle(page)
    expect(page.get_by_text("Corrected by you: plan → quasi identifier")).to_be_visible()
    assert _metric(page, "Quasi-identifiers") == "7"
    page.wait_for_timeout(1500)  # let the grid and chart paint before the screenshot
    screenshot(page, "pii_scan_page")
