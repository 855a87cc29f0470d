"""Browser test: the Privacy-utility page's privacy axis on the bundled customers table - the canary ε
lower bound against the accounted ε (chart with y = x), the strongest attack per protection (RMIA by
default) and the most exposed records, with no bound above its accounted ε."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e


def _set_number(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")


def test_canary_bound_strongest_attack_and_exposed_records(page, app_url):
    open_page(page, app_url, "Privacy-utility")
    page.get_by_role("heading", name="Privacy-utility").wait_for()
    budgets = page.get_by_test_id("stMultiSelect").filter(has_text="Privacy budgets")
    budgets.get_by_role("button", name="ε = 8, close by backspace").get_by_title("Delete").click()
    wait_idle(page)
    expect(budgets).to_contain_text("ε = 1")
    page.get_by_text("Model, DP-SGD and attack settings").click()
    _set_number(page, "Epochs", "2")
    _set_number(page, "Use at most N rows (0: all)", "1000")
    expect(page.get_by_label("RMIA reference models (0: off)", exact=True)).to_have_value("2")
    _set_number(page, "Canaries (0: off)", "50")
    page.get_by_role("button", name="Run comparison").click()
    wait_idle(page, timeout_ms=400_000)

    expect(page.get_by_role("heading", name="Canary audit: measured ε lower bound vs accounted ε")).to_be_visible(
        timeout=400_000)
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="Canary audit")
    expect(chart).to_have_count(1, timeout=60_000)
    expect(chart).to_contain_text("y = x")
    expect(page.get_by_text("No run's bound exceeds its accounted ε", exact=False)).to_be_visible()
    expect(page.get_by_text("Broken privacy guarantee", exact=False)).to_have_count(0)

    expect(page.get_by_role("heading", name="Strongest attack per protection")).to_be_visible()
    strongest = page.get_by_test_id("stDataFrame").filter(has_text="strongest attack")
    expect(strongest).to_have_count(1)
    expect(strongest).to_contain_text("rmia_online")  # the attacks tried: RMIA beside the thresholds

    expect(page.get_by_role("heading", name="Most exposed records")).to_be_visible()
    exposed = page.get_by_test_id("stDataFrame").filter(has_text="members in group")
    expect(exposed).to_have_count(1)
    expect(page.get_by_test_id("stDataFrame").filter(has_text="non-members with p < 1% (chance)")).to_have_count(1)
    assert page.get_by_test_id("stException").count() == 0
