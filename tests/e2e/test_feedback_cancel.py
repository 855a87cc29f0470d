"""Browser test: a long action shows its status at once and Cancel really stops it (issue 26)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e

RUNNING = re.compile(r"Training \d+ protection\(s\) x \d+ seed\(s\): (starting|waiting|running)")


def test_comparison_shows_its_status_and_cancel_stops_it_for_good(page, app_url):
    open_page(page, app_url, "Privacy-utility")
    expect(page.locator(".st-key-app_run_done")).to_be_visible()
    page.get_by_role("button", name="Run comparison").click()
    expect(page.locator(".st-key-app_run_busy")).to_be_visible()  # the app's own marker
    expect(page.get_by_text(RUNNING)).to_be_visible(timeout=30_000)  # the job's status, naming what runs
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("cancelled.")).to_be_visible(timeout=180_000)
    wait_idle(page)
    expect(page.get_by_text(RUNNING)).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    # Coming back does not start it again.
    page.get_by_test_id("stSidebarNav").get_by_text("Report", exact=True).click()
    wait_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Privacy-utility", exact=True).click()
    wait_idle(page)
    expect(page.get_by_text("Choose the protections and press")).to_be_visible()
    expect(page.get_by_text(RUNNING)).to_have_count(0)
