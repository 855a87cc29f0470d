"""Browser test: from the bundled data, a report in the browser, HTML and JSON downloads, the run in History."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_report_page_builds_downloads_and_saves_a_run(page, app_url, tmp_path):
    open_page(page, app_url, "Report")
    expect(page.get_by_role("heading", name="Report")).to_be_visible()
    page.get_by_role("button", name="Run quick audit").click()
    # The scan loads spaCy and Presidio on first use: wait for the result, not a fixed time.
    page.get_by_role("heading", name="Membership inference on the model").wait_for(timeout=240_000)
    wait_idle(page, timeout_ms=240_000)
    expect(page.get_by_role("heading", name="Personal data in the table")).to_be_visible()
    expect(page.get_by_role("heading", name="Membership inference on the model")).to_be_visible()
    expect(page.get_by_text("single them out")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    # The charts of the risk and attack sections are drawn (plotly SVG in the page).
    # Every figure the page placed (one keyed slot each: risk, attack, ...) is drawn; plotly loads lazily.
    placed = page.locator("[class*='st-key-report_fig_']").count()
    assert placed >= 4
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(placed, timeout=60_000)

    # A team that accepts k = 1 opens the thresholds (drawn only while open) and sets both to 1; closed again,
    # the panel keeps them and the JSON report rates k green.
    page.get_by_text("Traffic-light thresholds").click()
    for level in ("green", "amber"):
        field = page.locator(f".st-key-report_thr_k_anonymity_{level} input")
        field.fill("1")
        field.press("Enter")
        wait_idle(page)
        expect(field).to_have_value("1")
    page.get_by_text("Traffic-light thresholds").click()
    expect(page.locator(".st-key-report_thr_k_anonymity_green")).to_have_count(0)

    with page.expect_download() as html_download:
        page.get_by_role("button", name="Download HTML report").click()
    html_path = tmp_path / "report.html"
    html_download.value.save_as(html_path)
    html = html_path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Plotly.newPlot(" in html
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=", html, re.IGNORECASE)

    with page.expect_download() as json_download:
        page.get_by_role("button", name="Download JSON report").click()
    json_path = tmp_path / "report.json"
    json_download.value.save_as(json_path)
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert report["provenance"]["dataset"]["name"] == "customers.csv"
    assert [s["key"] for s in report["sections"]] == ["scan", "risk", "attack", "consent"]
    k_rule = next(item for item in report["summary"] if item["metric"] == "k_anonymity")
    assert k_rule["rating"] == "green" and "green ≥ 1" in k_rule["rule"]

    page.get_by_role("button", name="Save to history").click()
    wait_idle(page)
    expect(page.get_by_text("Saved as run")).to_be_visible()
    page.wait_for_timeout(1000)
    screenshot(page, "report_page")

    page.get_by_test_id("stSidebarNav").get_by_text("History", exact=True).click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("Privacy audit of customers.csv")
    assert page.get_by_test_id("stException").count() == 0
