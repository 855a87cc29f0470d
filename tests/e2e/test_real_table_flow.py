"""Browser test: a new user uploads a COMPAS-shaped table (lower-case names, IDs, case numbers), runs the
PII scan, asks the Anonymize page for a plan and downloads the anonymized CSV: no name, ID or case
number is left in clear, and k >= 5 holds on the quasi-identifiers."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import expect

from analysis.pii.evalset import make_eval_set
from tests.e2e.conftest import choose_file, wait_idle

pytestmark = pytest.mark.e2e

COLUMNS = ["id", "name", "first", "last", "sex", "age", "race", "c_case_number", "c_charge_degree",
           "priors_count", "two_year_recid"]
IDENTIFIERS = ["name", "first", "last", "c_case_number"]


def _metric(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
    return box.get_by_test_id("stMetricValue").inner_text().strip()


def test_upload_scan_suggest_and_download_an_anonymous_table(page, app_url, tmp_path):
    raw = make_eval_set(800, variant="real", seed=9).frame[COLUMNS]
    path = tmp_path / "people.csv"
    raw.to_csv(path, index=False)
    page.goto(app_url)
    wait_idle(page)
    choose_file(page, path)
    page.get_by_text("Loaded people.csv").wait_for()
    wait_idle(page)

    page.get_by_test_id("stSidebarNav").get_by_text("PII scan", exact=True).click()
    page.get_by_test_id("stMetricLabel").filter(has_text="Direct identifiers").wait_for(timeout=300_000)
    wait_idle(page, timeout_ms=240_000)
    expect(page.get_by_test_id("stMetric").filter(has_text="Direct identifiers")
           .get_by_test_id("stMetricValue")).to_have_text("5")  # id, name, first, last, c_case_number

    page.get_by_test_id("stSidebarNav").get_by_text("Anonymize", exact=True).click()
    page.get_by_role("heading", name="Anonymize").wait_for()
    wait_idle(page)
    qi_box = page.get_by_test_id("stMultiSelect").first
    for qi in ("sex", "age", "race"):
        expect(qi_box).to_contain_text(qi)
    page.get_by_role("button", name="Suggest a plan").click()
    page.get_by_role("heading", name="Before and after").wait_for(timeout=240_000)
    wait_idle(page, timeout_ms=240_000)
    assert int(_metric(page, "k after")) >= 5
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    out = pd.read_csv(download.value.path(), dtype=str)
    cells = set(out.stack().astype(str))
    for column in IDENTIFIERS:
        assert not set(raw[column].astype(str)) & cells, column
    assert not set(raw["id"].astype(str)) & set(out["id"].astype(str))
    assert out.groupby(["sex", "age", "race"], dropna=False).size().min() >= 5
    assert page.get_by_test_id("stException").count() == 0
