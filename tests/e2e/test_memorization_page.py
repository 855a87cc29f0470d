"""Browser test of the Memorization page: a small text test on the notes column, start to verdict."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _set_number(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")
    wait_idle(page)


def test_small_text_test_shows_verdict_chart_and_canaries(page, app_url):
    open_page(page, app_url, "Memorization")
    page.get_by_role("heading", name="Memorization").wait_for()
    expect(page.get_by_role("combobox", name="Text column")).to_have_value("notes")

    repeats = page.get_by_test_id("stMultiSelect").filter(has_text="Times each secret is inserted")
    for tag in ("4", "16"):
        tag_button = repeats.get_by_role("button", name=f"{tag}, close by backspace", exact=True)
        tag_button.get_by_title("Delete").click()
        wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Secret space size").click()
    page.get_by_role("option", name=re.compile(r"^1,000 ")).click()
    wait_idle(page)
    page.get_by_text("Training settings").click()
    _set_number(page, "Epochs", "2")
    _set_number(page, "Rows to train on (a seeded sample)", "100")

    page.get_by_role("button", name="Run memorization test").click()
    wait_idle(page, timeout_ms=300_000)
    verdict = page.get_by_test_id("stAlertContentInfo").first
    expect(verdict).to_contain_text("non-private model", timeout=300_000)
    expect(verdict).to_contain_text("epsilon 3")
    wait_idle(page)
    assert page.get_by_test_id("stException").count() == 0
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("10.0 bits", timeout=30_000)
    charts = page.locator(".js-plotly-plot")
    expect(charts.first).to_contain_text("maximum: log2|R|", timeout=30_000)
    expect(charts.first).to_contain_text("DP-SGD (epsilon 3)")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    charts.first.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let the charts and the grid paint before the README screenshot
    screenshot(page, "memorization_page")
