"""Browser test: upload an ONNX model (a scikit-learn pipeline exported with skl2onnx, raw string and
numeric inputs) on the Model audit page, read the stated input mapping and reference recipe, and
audit it with the loss-threshold, LiRA and RMIA attacks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from analysis.models.recipes import get_recipe
from analysis.tables import load_sample
from tests.e2e.conftest import choose_file, wait_idle
from tests.e2e.test_model_audit_page import _metric, _open_audit

pytestmark = pytest.mark.e2e


def test_uploaded_onnx_model_is_audited(page, app_url, tmp_path):
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    frame = load_sample("customers.csv").frame
    members = frame.iloc[: len(frame) // 2]
    columns = ["age", "amount", "plan"]
    pipeline = get_recipe("logistic_regression").fit(members[columns], members["churned"].to_numpy(), seed=0)
    onnx_bytes = to_onnx(pipeline, initial_types=[("age", FloatTensorType([None, 1])),
                                                  ("amount", FloatTensorType([None, 1])),
                                                  ("plan", StringTensorType([None, 1]))],
                         target_opset=17).SerializeToString()
    model_file = tmp_path / "churn.onnx"
    model_file.write_bytes(onnx_bytes)

    _open_audit(page, app_url, adult=False)
    page.get_by_test_id("stRadio").get_by_text("Load a file").click()
    wait_idle(page)
    choose_file(page, model_file)
    page.get_by_text("Loaded churn.onnx").wait_for(timeout=120_000)
    expect(page.get_by_text("ONNX inputs by name: age, amount, plan", exact=False)).to_be_visible()
    expect(page.get_by_text("Reference models for LiRA / RMIA: logistic_regression", exact=False)).to_be_visible()
    page.get_by_role("heading", name="Audit: churn.onnx").wait_for(timeout=120_000)
    page.get_by_role("button", name="Run audit").click()
    wait_idle(page, timeout_ms=300_000)
    page.get_by_text("Most exposed members").wait_for(timeout=300_000)
    assert 0.5 < float(_metric(page, "Test accuracy")) <= 1.0
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("lira_offline")
    assert page.get_by_test_id("stException").count() == 0
