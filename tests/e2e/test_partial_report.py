"""Browser test: a quick audit that cannot run every step still gives a report (issue 26).

A table without quasi-identifiers and a 4-row table whose label has one class: each shows the sections that
could be computed, says in page words what is missing beside the control that fixes it, offers the downloads,
and leaves no progress bar or Cancel button behind."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_file, wait_idle

pytestmark = pytest.mark.e2e


def _load_with_label(page, app_url, path, label: str) -> None:
    page.goto(app_url)
    wait_idle(page)
    choose_file(page, path)
    page.get_by_text(f"Loaded {path.name}").wait_for()
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Label (target) column").click()
    page.get_by_role("option", name=re.compile(rf"^{label}")).click()
    wait_idle(page)


def _quick_audit(page) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text("Report", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Run quick audit").click()
    wait_idle(page, timeout_ms=240_000)


def _no_leftovers(page) -> None:
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _json_report(page, tmp_path) -> dict:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON report").click()
    path = tmp_path / "report.json"
    download.value.save_as(path)
    return json.loads(path.read_text(encoding="utf-8"))


def test_table_without_quasi_identifiers_gives_a_partial_report_and_a_way_to_choose_them(page, app_url, tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,amount,quantity,returned\n" + "".join(
        f"O{i:04d},{(i * 37) % 500 + 0.5},{i % 7 + 1},{'yes' if i % 3 == 0 else 'no'}\n" for i in range(200)),
        encoding="utf-8")
    _load_with_label(page, app_url, orders, "returned")
    _quick_audit(page)
    missing = page.locator(".st-key-report_not_computed_risk")
    expect(missing).to_contain_text("Re-identification risk not computed")
    expect(missing).to_contain_text("recognised no quasi-identifier")
    expect(page.get_by_role("heading", name="Personal data in the table")).to_be_visible()
    expect(page.get_by_role("heading", name="Membership inference on the model")).to_be_visible()
    _no_leftovers(page)
    report = _json_report(page, tmp_path)
    assert [s["key"] for s in report["sections"]] == ["scan", "attack"]
    assert "risk" in report["provenance"]["settings"]["not_computed"]
    with page.expect_download() as html:
        page.get_by_role("button", name="Download HTML report").click()
    assert html.value.path().read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    # The control beside the message fixes it: choose quasi-identifiers, run again, the risk is there.
    missing.get_by_test_id("stMultiSelect").click()
    page.get_by_role("option", name="quantity").click()
    page.keyboard.press("Escape")
    wait_idle(page)
    missing.get_by_role("button", name="Run the quick audit with these").click()
    wait_idle(page, timeout_ms=240_000)
    expect(page.get_by_role("heading", name="Re-identification risk")).to_be_visible()
    expect(page.locator(".st-key-report_not_computed_risk")).to_have_count(0)
    _no_leftovers(page)


def test_one_class_table_gives_a_partial_report_and_a_way_to_choose_the_label(page, app_url, tmp_path):
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("customer_id,age,zip,churned\nC001,34,10115,no\nC002,45,10117,no\nC003,29,10119,no\n"
                    "C004,51,10115,no\n", encoding="utf-8")
    _load_with_label(page, app_url, tiny, "churned")
    _quick_audit(page)
    missing = page.locator(".st-key-report_not_computed_attack")
    expect(missing).to_contain_text("Membership inference not computed")
    expect(missing).to_contain_text("single class")
    expect(missing.get_by_role("button", name="Run the quick audit with this label")).to_be_visible()
    expect(page.get_by_role("heading", name="Personal data in the table")).to_be_visible()
    _no_leftovers(page)
    report = _json_report(page, tmp_path)
    assert "scan" in [s["key"] for s in report["sections"]]
    assert "attack" not in [s["key"] for s in report["sections"]]
    assert "attack" in report["provenance"]["settings"]["not_computed"]
    with page.expect_download() as markdown:
        page.get_by_role("button", name="Download statement (Markdown)").click()
    assert markdown.value.path().read_text(encoding="utf-8").strip()
