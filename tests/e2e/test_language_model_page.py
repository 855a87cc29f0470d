"""Browser test of the Language model page: upload a causal LM exported elsewhere (a bigram model written
with the onnx helper API, a word-level tokenizer.json) with its training and held-out documents, audit
it in the model worker, and read the attacks' figures."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from analysis.tables import load_sample
from analysis.text_lm.train import split_pool
from tests.e2e.conftest import open_page, screenshot, wait_idle
from tests.text_lm.foreign import bigram_for

pytestmark = pytest.mark.e2e


def _upload(page, label: str, path) -> None:
    uploader = page.get_by_test_id("stFileUploader").filter(has_text=label)
    with page.expect_file_chooser() as chooser:
        uploader.get_by_test_id("stBaseButton-secondary").click()
    chooser.value.set_files(str(path))
    expect(uploader).to_contain_text(path.name, timeout=60_000)


def test_uploaded_language_model_is_audited(page, app_url, tmp_path):
    members, non_members = split_pool(load_sample("tickets.csv").frame["body"].tolist(), member_fraction=0.5,
                                      seed=3, max_rows=600)
    model, tokenizer = bigram_for(members)
    files = {"bigram.onnx": model, "tokenizer.json": tokenizer,
             "members.txt": ("\n".join(members) + "\n").encode(), "held_out.txt": ("\n".join(non_members) + "\n").encode()}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)

    open_page(page, app_url, "Language model")
    page.get_by_role("heading", name="Language model").wait_for()
    page.get_by_test_id("stRadio").get_by_text("Upload a model").click()
    wait_idle(page)
    _upload(page, "Model (.onnx)", tmp_path / "bigram.onnx")
    _upload(page, "tokenizer.json", tmp_path / "tokenizer.json")
    _upload(page, "Training documents", tmp_path / "members.txt")
    _upload(page, "Held-out documents", tmp_path / "held_out.txt")
    page.get_by_text("PII extraction and reconstruction").click()  # off: no PII engine in this test
    page.get_by_role("button", name="Audit", exact=True).click()
    wait_idle(page, timeout_ms=300_000)

    baseline = page.get_by_test_id("stMetric").filter(has_text="Blind baseline AUC")
    expect(baseline).to_be_visible(timeout=300_000)
    assert page.get_by_test_id("stException").count() == 0
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_contain_text("log-log ROC", timeout=30_000)
    expect(chart).to_contain_text("min_k_plus_plus")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_text("members and 300 non-members audited", exact=False)).to_be_visible()
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    screenshot(page, "language_model_page")
