"""Train on the bundled ticket table and audit through the one path an uploaded model takes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.text_lm.audit import AuditSettings, run_text_audit
from analysis.text_lm.canaries import canary_exposure, make_kit
from analysis.text_lm.lm import LanguageModel, open_worker
from analysis.text_lm.train import TrainSettings, split_pool, train_text_lm
from tests.text_lm.foreign import bigram_for, bigram_onnx

TICKETS = Path(__file__).resolve().parents[2] / "sample_data" / "tickets.csv"
FAST = TrainSettings(epochs=6, max_rows=1000)


@pytest.fixture(scope="module")
def bodies() -> list[str]:
    return pd.read_csv(TICKETS)["body"].tolist()


def _exposure_by_repeats(trained) -> dict[int, float]:
    with open_worker() as worker:
        lm = LanguageModel.open(worker, trained.model_onnx, trained.tokenizer_json.encode())
        result = canary_exposure(lm, trained.canaries)
    return {r: result.mean_exposure(r) for r in (1, 16)}


def test_canaries_seen_16_times_are_exposed_far_more_than_once_and_less_under_dp(bodies):
    split = split_pool(bodies, member_fraction=0.5, seed=0, max_rows=FAST.max_rows)
    kit = make_kit((1, 16), per_repeat=2, controls=0, seed=0, secret_space_size=1000)
    plain = _exposure_by_repeats(train_text_lm(bodies, split=split, kit=kit, settings=FAST, seed=0))
    private = _exposure_by_repeats(train_text_lm(bodies, split=split, kit=kit, settings=FAST, seed=0, epsilon=1.0))
    assert plain[16] > 9.5  # of log2(1000) = 9.97 bits: the secret ranks first
    assert plain[16] - plain[1] > 4.0
    # DP-SGD bounds each (window, next token) example; a line seen 16 times is a group of 16, so the
    # exposure drops without vanishing
    assert private[16] < plain[16] - 2.0


def test_cli_train_then_audit_reports_every_section_against_chance(bodies, tmp_path):
    out = tmp_path / "model"
    assert main(["text", "train", str(TICKETS), "--text-column", "body", "--out", str(out), "--max-rows", "800",
                 "--epochs", "6", "--canaries", "1,16", "--secret-space", "1000", "--quiet"]) == 0
    for name in ("model.onnx", "tokenizer.json", "members.txt", "non_members.txt", "canaries.json"):
        assert (out / name).is_file(), name
    report = tmp_path / "audit.json"
    assert main(["text", "audit", "--model", str(out / "model.onnx"), "--tokenizer", str(out / "tokenizer.json"),
                 "--members", str(out / "members.txt"), "--non-members", str(out / "non_members.txt"),
                 "--canaries", str(out / "canaries.json"), "--max-documents", "300", "--extraction-samples", "60",
                 "--json", str(report), "--quiet"]) == 0
    data = json.loads(report.read_text())
    attacks = {a["name"]: a for a in data["attacks"]}
    assert {"loss", "zlib", "min_k", "min_k_plus_plus"} <= set(attacks)
    assert set(attacks["zlib"]["tpr_at_fpr"]) == {"0.001", "0.01"}
    assert attacks["loss"]["auc"] > 0.75 and abs(data["baseline"]["auc"] - 0.5) < 0.1
    exposure = {c["repeats"]: c["exposure"] for c in data["canaries"]}
    assert exposure[16] > exposure[1]
    assert data["extraction"]["generated"] > 0 and data["extraction"]["pii_found"] >= data["extraction"]["pii_in_training"]
    assert data["reconstruction"]["accuracy"] > 2 * data["reconstruction"]["chance"]
    assert data["reconstruction"]["chance"] == pytest.approx(0.1)
    assert set(data["verbatim"]) >= {"prefix_tokens", "suffix_tokens", "share"}
    assert "@" not in report.read_text()  # counts only: no extracted e-mail address in the report


def test_a_model_exported_elsewhere_is_audited_through_the_same_path(bodies):
    members, non_members = split_pool(bodies, member_fraction=0.5, seed=1, max_rows=600)
    model, tokenizer = bigram_for(members)
    result = run_text_audit(model, tokenizer, members, non_members, pii=False,
                            settings=AuditSettings(verbatim_prefix=4, verbatim_suffix=4))
    auc = {a.name: a.auc for a in result.attacks}
    assert set(auc) == {"loss", "zlib", "min_k", "min_k_plus_plus"}
    assert auc["loss"] > 0.6  # bigram counts of the members: members are likelier
    assert result.verbatim.documents > 0


def test_reference_model_adds_the_ratio_attack(bodies):
    from tokenizers import Tokenizer

    members, non_members = split_pool(bodies, member_fraction=0.5, seed=2, max_rows=400)
    model, tokenizer = bigram_for(members)
    tok = Tokenizer.from_str(tokenizer.decode())  # the reference: same tokenizer, counts of held-out text
    reference = bigram_onnx([e.ids for e in tok.encode_batch(non_members)], tok.get_vocab_size())
    result = run_text_audit(model, tokenizer, members, non_members, reference_model=reference, pii=False,
                            settings=AuditSettings(verbatim_prefix=3, verbatim_suffix=3))
    names = [a.name for a in result.attacks]
    assert "reference" in names
    ratio = next(a for a in result.attacks if a.name == "reference")
    assert ratio.auc > 0.6
