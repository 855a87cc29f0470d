"""Browser test: one session uploads a model file that crashes XGBoost's native loader in-process; another
session, on the same running app, keeps working. The file is refused inside the model worker (by the
structural check there, or by the worker's crash handling if a check missed it: tests/security covers
both), never in the Streamlit server."""

from __future__ import annotations

import json
import urllib.request

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from analysis.tables import load_sample
from tests.e2e.conftest import choose_file, wait_idle
from tests.e2e.test_model_audit_page import _open_audit

pytestmark = pytest.mark.e2e


def _crashing_xgboost_file(path) -> None:
    """An XGBoost model of the bundled customers table whose first tree points at node 100,000,000:
    XGBoost's native loader reads past its array (SIGSEGV) when it is loaded in-process."""
    import xgboost as xgb

    frame = load_sample("customers.csv").frame
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and c != "churned"]
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2},
                        xgb.DMatrix(frame[numeric].fillna(0).to_numpy(np.float64), label=frame["churned"].astype(int)),
                        num_boost_round=2)
    model = json.loads(bytes(booster.save_raw("json")))
    model["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"][0] = 100_000_000
    path.write_text(json.dumps(model))


def test_a_crashing_model_upload_leaves_other_sessions_working(browser, app_url, tmp_path):
    model_file = tmp_path / "crash.json"
    _crashing_xgboost_file(model_file)
    first = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    second = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    for tab in (first, second):
        tab.set_default_timeout(120_000)
    try:
        _open_audit(first, app_url, adult=False)  # session A: Model audit, bundled customers table

        _open_audit(second, app_url, adult=False)  # session B uploads the crashing file
        second.get_by_test_id("stRadio").get_by_text("Load a file").click()
        wait_idle(second)
        choose_file(second, model_file)
        error = second.get_by_test_id("stAlert").filter(has_text="crash.json")
        expect(error).to_have_count(1, timeout=120_000)
        expect(error).to_contain_text("100000000")  # the tree check names the out-of-range child
        assert second.get_by_test_id("stException").count() == 0

        # The server is alive and session A still works: it trains and audits a model.
        assert urllib.request.urlopen(f"{app_url}/_stcore/health", timeout=5).read() == b"ok"
        first.get_by_role("button", name="Train model").click()
        first.get_by_role("heading", name="Audit: Logistic regression").wait_for(timeout=180_000)
        first.get_by_role("button", name="Run audit").click()
        expect(first.get_by_text("Most exposed members", exact=False)).to_have_count(1, timeout=300_000)
        expect(first.get_by_text("Connection error", exact=False)).to_have_count(0)
    finally:
        first.context.close()
        second.context.close()
