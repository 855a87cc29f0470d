"""Browser test: FedAvg and DP-FedAvg chosen among the protections of the Privacy-utility page run a tiny
Flower simulation (2 clients, 1 round, 300 rows); their rows carry the guarantee per client and say what
federation protects against."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _set_number(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")


def test_federated_protections_train_and_compare(page, app_url):
    open_page(page, app_url, "Privacy-utility")
    chosen = page.get_by_test_id("stMultiSelect").filter(has_text="Protections")
    chosen.get_by_role("button", name="DP-SGD, close by backspace", exact=True).get_by_title("Delete").click()
    wait_idle(page)
    for name in ("FedAvg", "DP-FedAvg"):
        chosen.click()
        page.get_by_role("option", name=name, exact=True).click()
        page.keyboard.press("Escape")
        wait_idle(page)
    page.get_by_text("Model, DP-SGD and attack settings").click()
    _set_number(page, "Epochs", "1")
    _set_number(page, "Use at most N rows (0: all)", "300")
    page.get_by_text("Federated settings (FedAvg, DP-FedAvg, FedAvg + DP-SGD)").click()
    _set_number(page, "Clients", "2")
    _set_number(page, "Rounds", "1")
    _set_number(page, "Local epochs per round", "1")
    page.get_by_role("button", name="Run comparison").click()
    wait_idle(page, timeout_ms=900_000)

    expect(page.get_by_text("keeps each holder's raw records on its side", exact=False).first).to_be_visible(
        timeout=900_000)
    wait_idle(page)
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_contain_text("DP-FedAvg ε = 8 per client", timeout=60_000)
    expect(table).to_contain_text("FedAvg")
    expect(page.get_by_text("per client (PLD", exact=False)).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    page.wait_for_timeout(1500)
    screenshot(page, "federated_section")
