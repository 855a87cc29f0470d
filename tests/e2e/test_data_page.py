"""Browser test: upload a CSV through the file chooser and see its preview and row count."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_first_page_shows_bundled_sample(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_text("customers.csv", exact=False).first.wait_for()
    assert page.get_by_test_id("stMetricValue").first.inner_text() == "5,000"
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("customer_name")
    page.wait_for_timeout(1500)  # let the canvas grid paint before the README screenshot
    screenshot(page, "data_page")


def test_upload_csv_shows_preview_and_row_count(page, app_url, tmp_path):
    csv_file = tmp_path / "visits.csv"
    csv_file.write_text("visitor,city,visits\nAda,Paris,3\nBo,Oslo,5\nCy,Rome,8\n", encoding="utf-8")
    page.goto(app_url)
    wait_idle(page)
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").get_by_test_id("stBaseButton-secondary").click()
    chooser.value.set_files(str(csv_file))
    page.get_by_text("Loaded visits.csv").wait_for()
    wait_idle(page)
    assert page.get_by_test_id("stMetricValue").first.inner_text() == "3"
    preview = page.get_by_test_id("stDataFrame").first
    expect(preview).to_contain_text("Oslo")
    expect(preview).to_contain_text("visitor")


def test_malformed_upload_shows_message_and_keeps_data(page, app_url, tmp_path):
    bad = tmp_path / "ragged.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    page.goto(app_url)
    wait_idle(page)
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").get_by_test_id("stBaseButton-secondary").click()
    chooser.value.set_files(str(bad))
    page.get_by_text("ragged rows").wait_for()
    assert page.get_by_test_id("stMetricValue").first.inner_text() == "5,000"
    assert page.get_by_test_id("stException").count() == 0
