"""Browser test: on Adult with the example anonymization plan, compare none, anonymized, DP-SGD at ε = 1
and anonymized + DP-SGD on the Privacy-utility page: one table with each guarantee in its unit, one
chart, the recommendation over every protection."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import load_bundled, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _set_number(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")


def test_small_set_of_strategies_in_one_table_and_chart(page, app_url):
    load_bundled(page, app_url, "adult.csv")
    page.get_by_test_id("stSidebarNav").get_by_text("Anonymize", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Load example plan").click()
    wait_idle(page)
    page.get_by_role("heading", name="Before and after").wait_for()
    page.get_by_test_id("stSidebarNav").get_by_text("Privacy-utility", exact=True).click()
    wait_idle(page)

    chosen = page.get_by_test_id("stMultiSelect").filter(has_text="Protections")
    for name in ("non-private", "DP-SGD", "anonymized", "anonymized + DP-SGD"):  # the plan is there
        expect(chosen.get_by_role("button", name=f"{name}, close by backspace", exact=True)).to_be_visible()
    budgets = page.get_by_test_id("stMultiSelect").filter(has_text="Privacy budgets")
    budgets.get_by_role("button", name="ε = 8, close by backspace").get_by_title("Delete").click()
    wait_idle(page)
    expect(budgets).not_to_contain_text("ε = 8")
    page.get_by_text("Model, DP-SGD and attack settings").click()
    _set_number(page, "Epochs", "1")
    _set_number(page, "Use at most N rows (0: all)", "1000")
    page.get_by_role("button", name="Run comparison").click()
    wait_idle(page, timeout_ms=600_000)

    alert = page.get_by_test_id("stAlertContentSuccess").first
    expect(alert).to_contain_text("of non-private accuracy", timeout=600_000)
    wait_idle(page)
    table = page.get_by_test_id("stDataFrame").first
    for text in ("non-private", "anonymized", "DP-SGD ε = 1", "anonymized + DP-SGD ε = 1", "ε = 1 per record"):
        expect(table).to_contain_text(text, timeout=60_000)
    expect(table).to_contain_text(re.compile(r"k = \d+"))
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_contain_text("measured leakage", timeout=60_000)
    expect(chart).to_contain_text("DP bound")
    assert page.get_by_test_id("stException").count() == 0
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let the chart paint before the README screenshot
    screenshot(page, "strategies_page")
