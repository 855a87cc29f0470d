"""Browser test: loading another table drops everything that belonged to the previous one (issue 26).

A comparison interrupted on customers.csv, a "Saved as run" notice on the Report: after adult.csv is loaded,
the sidebar names it in the same run, no page shows or starts anything from customers.csv."""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import load_bundled, wait_idle

pytestmark = pytest.mark.e2e


def _go(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    wait_idle(page, timeout_ms=240_000)


def test_switching_datasets_never_shows_or_runs_the_previous_one(page, app_url):
    favicons = []
    page.on("response", lambda r: favicons.append(r.status) if r.url.endswith("/favicon.png") else None)
    page.goto(app_url)
    wait_idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Dataset: customers.csv")

    # A notice about customers.csv on the Report page.
    _go(page, "Report")
    page.get_by_role("button", name="Save to history").click()
    wait_idle(page)
    expect(page.get_by_text("Saved as run")).to_be_visible()

    # A comparison asked for on customers.csv, left while it runs (its request would outlive the table).
    _go(page, "Privacy-utility")
    page.get_by_role("button", name="Run comparison").click()
    status = page.get_by_text(re.compile(r"Training \d+ protection\(s\) x \d+ seed\(s\): (starting|waiting|running)"))
    expect(status).to_be_visible(timeout=60_000)  # feedback: the job's status names what runs
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()

    page.get_by_test_id("stSidebarNav").get_by_text("Data", exact=True).click()
    wait_idle(page, timeout_ms=240_000)
    page.get_by_test_id("stSelectbox").filter(has_text="bundled dataset").click()
    page.get_by_role("option", name=re.compile(r"^adult\.csv")).click()
    page.get_by_role("button", name="Load bundled dataset").click()
    page.get_by_text("Loaded adult.csv").wait_for()
    wait_idle(page)
    expect(sidebar).to_contain_text("Dataset: adult.csv")  # the run that loaded it, no further click
    expect(sidebar).not_to_contain_text("customers.csv")

    _go(page, "Privacy-utility")
    expect(page.get_by_text("Choose the protections and press")).to_be_visible()
    expect(status).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.get_by_text("churned")).to_have_count(0)  # customers.csv's label, in no message or widget
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)

    _go(page, "Report")
    expect(page.get_by_text("Saved as run")).to_have_count(0)
    expect(page.get_by_text("churned")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)

    # The browser's favicon request (made on every new session) and a plain one are served, not HTTP 500.
    with urllib.request.urlopen(f"{app_url}/favicon.png", timeout=10) as response:
        assert response.status == 200 and response.read(8) == b"\x89PNG\r\n\x1a\n"
    assert favicons and all(code == 200 for code in favicons)
