"""Browser test: Adult table, quasi-identifiers age/sex/race/native-country, k and uniques, and a plan
that reaches k >= 5 with its utility cost."""

from __future__ import annotations

import re

from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from analysis.anonymize import Plan

from tests.e2e.conftest import load_bundled, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _metric(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
    return box.get_by_test_id("stMetricValue").inner_text().strip()


def test_adult_plan_reaches_k5_with_its_utility_cost(page, app_url):
    # Data page: switch to the bundled Adult table
    load_bundled(page, app_url, "adult.csv")
    # Anonymize page in the same session
    page.get_by_test_id("stSidebarNav").get_by_text("Anonymize", exact=True).click()
    wait_idle(page)
    page.get_by_role("heading", name="Anonymize").wait_for()
    page.get_by_role("button", name="Load example plan").click()
    wait_idle(page)
    page.get_by_role("heading", name="Before and after").wait_for()
    wait_idle(page)

    qi_box = page.get_by_test_id("stMultiSelect").first
    for qi in ("age", "sex", "race", "native-country"):
        expect(qi_box).to_contain_text(qi)
    expect(qi_box).not_to_contain_text("occupation")
    assert _metric(page, "k (smallest class)") == "1"
    assert _metric(page, "Sample uniques") == "1,330"
    assert int(_metric(page, "k after")) >= 5
    assert _metric(page, "Sample uniques after") == "0"
    assert _metric(page, "Rows dropped") == "217"
    assert re.fullmatch(r"\d+\.\d%", _metric(page, "Cells changed"))
    assert re.fullmatch(r"\d+\.\d%", _metric(page, "Model accuracy (class)"))
    # the downloaded table holds k >= 5 on the quasi-identifiers; the plan re-loads
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    table = pd.read_csv(download.value.path())
    assert len(table) == 32561 - 217
    assert table.groupby(["age", "sex", "race", "native-country"]).size().min() >= 5
    with page.expect_download() as download:
        page.get_by_role("button", name="Download plan (YAML)").click()
    plan = Plan.from_yaml(Path(download.value.path()).read_text())
    assert plan.suppression.k == 5 and plan.columns["age"].operator == "bin"
    assert page.get_by_test_id("stException").count() == 0
    page.get_by_role("heading", name="Before and after").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let charts paint before the screenshot
    screenshot(page, "anonymize_page")
