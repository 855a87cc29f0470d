"""Browser test: on the bundled customers table (no anonymization plan yet), compare DP-SGD at ε = 1 with
the non-private twin: the recommendation, the table with the guarantee's unit, the chart, and the
anonymized strategy reported as skipped with its reason."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _set_number(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")


def test_small_grid_shows_recommendation_table_and_chart(page, app_url):
    open_page(page, app_url, "Privacy-utility")
    page.get_by_role("heading", name="Privacy-utility").wait_for()
    expect(page.get_by_text("press Run comparison", exact=False)).to_be_visible()

    chosen = page.get_by_test_id("stMultiSelect").filter(has_text="Protections")
    chosen.click()
    page.get_by_role("option", name="anonymized", exact=True).click()
    page.keyboard.press("Escape")
    budgets = page.get_by_test_id("stMultiSelect").filter(has_text="Privacy budgets")
    budgets.get_by_role("button", name="ε = 8, close by backspace").get_by_title("Delete").click()
    wait_idle(page)
    expect(budgets).to_contain_text("ε = 1")
    page.get_by_text("Model, DP-SGD and attack settings").click()
    _set_number(page, "Epochs", "1")
    _set_number(page, "Use at most N rows (0: all)", "1000")
    page.get_by_role("button", name="Run comparison").click()
    wait_idle(page, timeout_ms=300_000)

    alert = page.get_by_test_id("stAlertContentSuccess").first
    expect(alert).to_contain_text("epsilon 1", timeout=300_000)
    expect(alert).to_contain_text("of non-private accuracy")
    expect(page.get_by_text("anonymized skipped: no anonymization plan", exact=False)).to_be_visible()
    wait_idle(page)
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_contain_text("non-private", timeout=60_000)
    expect(table).to_contain_text("ε = 1 per record")
    expect(page.get_by_text("one example per microbatch", exact=False)).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_contain_text("DP bound", timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    page.wait_for_timeout(1500)  # let the charts paint before the README screenshot
    screenshot(page, "privacy_utility_page")
