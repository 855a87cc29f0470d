"""Browser test: the federated section of the Privacy-utility page runs a tiny Flower simulation
(2 clients, 1 round, 300 rows) and shows the per-round chart, the rows with client-level epsilon,
and what federation protects against."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _set_number(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")


def test_federated_section_trains_and_compares(page, app_url):
    open_page(page, app_url, "Privacy-utility")
    section = page.get_by_role("heading", name="Federated learning: FedAvg and DP-FedAvg")
    section.scroll_into_view_if_needed()
    expect(page.get_by_text("press Run federated comparison", exact=False)).to_be_visible()

    _set_number(page, "Clients", "2")
    _set_number(page, "Rounds", "1")
    _set_number(page, "Target client ε / noise multiplier", "4")
    page.get_by_text("Client training").click()
    _set_number(page, "Local epochs per round", "1")
    _set_number(page, "Federated: use at most N rows (0: all)", "300")
    page.get_by_role("button", name="Run federated comparison").click()
    wait_idle(page, timeout_ms=900_000)

    expect(page.get_by_text("keeps each holder's raw records on its side", exact=False).first).to_be_visible(
        timeout=900_000)
    wait_idle(page)
    table = page.get_by_test_id("stDataFrame").last  # the federated rows (the DP-SGD grid has not run)
    expect(table).to_contain_text("DP-FedAvg (2 clients, 1 round)", timeout=60_000)
    expect(table).to_contain_text("client epsilon")
    expect(page.get_by_text("client-level ε = 4.00", exact=False)).to_be_visible()
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts.filter(has_text="per round").first).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    charts.filter(has_text="per round").first.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let the charts paint before the screenshot
    screenshot(page, "federated_section")
