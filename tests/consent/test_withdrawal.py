"""The withdrawal check on a memorizing model: flags withdrawn rows that are still in the training set,
and stays quiet (at its 1% level) once the model is retrained without them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.attacks.withdrawal import NO_EVIDENCE, STILL_IN_TRAINING, check_withdrawal, minimum_detectable_auc
from analysis.cli import main
from analysis.models.recipes import get_recipe

COLUMNS = ["age", "sex", "state", "plan", "tenure_months", "amount", "items", "rating", "churned"]


@pytest.fixture(scope="module")
def customers(customers_path) -> pd.DataFrame:
    return pd.read_csv(customers_path)[COLUMNS]


def _split(frame: pd.DataFrame, seed: int):
    order = np.random.default_rng(seed).permutation(len(frame))[:900]
    parts = order[:400], order[400:800], order[800:]
    return [frame.iloc[p].reset_index(drop=True) for p in parts]


def _forest(rows: pd.DataFrame, seed: int):
    return get_recipe("random_forest").fit(rows.drop(columns=["churned"]), rows["churned"].to_numpy(), seed=seed)


@pytest.mark.slow  # 40 random forests (about 15 s on an idle core)
def test_flags_withdrawn_rows_in_training_and_not_after_retraining(customers):
    flagged_in, flagged_out = [], []
    for seed in range(20):
        members, non_members, withdrawn = _split(customers, seed)
        with_them = _forest(pd.concat([members, withdrawn], ignore_index=True), seed)
        without_them = _forest(members, seed)
        flagged_in.append(check_withdrawal(with_them, members, non_members, withdrawn, "churned", seed=seed))
        flagged_out.append(check_withdrawal(without_them, members, non_members, withdrawn, "churned", seed=seed))
    assert all(c.p_value < 0.01 and c.still_in_training and c.verdict == STILL_IN_TRAINING for c in flagged_in)
    assert sum(not c.still_in_training for c in flagged_out) >= 19  # >= 95% of seeds
    retrained = flagged_out[0]
    assert retrained.test_can_tell and retrained.verdict == NO_EVIDENCE
    assert retrained.share_above_threshold < flagged_in[0].share_above_threshold
    assert retrained.members_auc > retrained.minimum_detectable_auc


def test_power_note_says_when_members_are_indistinguishable(customers):
    members, non_members, withdrawn = _split(customers, 0)
    model = get_recipe("logistic_regression").fit(members.drop(columns=["churned"]),
                                                  members["churned"].to_numpy(), seed=0)
    check = check_withdrawal(model, members, non_members, withdrawn.head(20), "churned")
    assert not check.test_can_tell
    assert "cannot tell" in check.power_note
    assert not check.still_in_training


def test_minimum_detectable_auc_shrinks_with_more_records():
    assert minimum_detectable_auc(20, 400) > minimum_detectable_auc(100, 400) > minimum_detectable_auc(1000, 4000) > 0.5


def test_attack_cli_adds_the_withdrawn_object(customers, tmp_path):
    members, non_members, withdrawn = _split(customers, 1)
    pd.concat([members, withdrawn]).to_csv(tmp_path / "a.csv", index=False)
    non_members.to_csv(tmp_path / "b.csv", index=False)
    withdrawn.to_csv(tmp_path / "w.csv", index=False)
    out = tmp_path / "attack.json"
    code = main(["attack", "--train", "random_forest", "--members", str(tmp_path / "a.csv"), "--non-members",
                 str(tmp_path / "b.csv"), "--withdrawn", str(tmp_path / "w.csv"), "--label", "churned",
                 "--attacks", "threshold", "--quiet", "--json", str(out)])
    assert code == 0
    result = json.loads(out.read_text())["withdrawn"]
    assert {"rows", "p_value", "still_in_training", "share_above_threshold", "power_note"} <= set(result)
    assert result["rows"] == 100 and result["still_in_training"] is True and result["p_value"] < 0.01


def test_withdrawn_file_with_other_columns_exits_2(customers, tmp_path):
    members, non_members, withdrawn = _split(customers, 2)
    members.to_csv(tmp_path / "a.csv", index=False)
    non_members.to_csv(tmp_path / "b.csv", index=False)
    withdrawn.drop(columns=["age"]).to_csv(tmp_path / "w.csv", index=False)
    assert main(["attack", "--train", "logistic_regression", "--members", str(tmp_path / "a.csv"), "--non-members",
                 str(tmp_path / "b.csv"), "--withdrawn", str(tmp_path / "w.csv"), "--label", "churned",
                 "--attacks", "threshold", "--quiet"]) == 2
