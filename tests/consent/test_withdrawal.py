"""The withdrawal check on a memorizing model: flags withdrawn rows that are still in the training set,
and stays quiet (at its 1% level) once the model is retrained without them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.attacks.withdrawal import (GROUP_TEST, NO_EVIDENCE, RETRAINED_TEST, STILL_IN_TRAINING,
                                        check_withdrawal, minimum_detectable_auc)
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


def _shifted_split(frame: pd.DataFrame, seed: int):
    """Withdrawn rows from the top tenure quartile, members and non-members from below it (as
    benchmarks/withdrawal_shifted.py draws them): people who withdraw are not a random sample."""
    top = frame["tenure_months"] > frame["tenure_months"].quantile(0.75)
    rng = np.random.default_rng(seed)
    rest = frame[~top].iloc[rng.permutation(int((~top).sum()))[:800]].reset_index(drop=True)
    withdrawn = frame[top].iloc[rng.permutation(int(top.sum()))[:100]].reset_index(drop=True)
    return rest.iloc[:400].reset_index(drop=True), rest.iloc[400:].reset_index(drop=True), withdrawn


@pytest.mark.parametrize("seed", [3, 19])  # seeds where the group test flags the never-seen shifted rows
def test_never_seen_rows_from_a_shifted_group_are_not_flagged_with_the_recipe(customers, seed):
    members, non_members, withdrawn = _shifted_split(customers, seed)
    recipe = get_recipe("random_forest")
    model = _forest(members, seed)                                   # never saw the withdrawn rows
    check = check_withdrawal(model, members, non_members, withdrawn, "churned", recipe=recipe, seed=seed, n_jobs=1)
    assert check.group_p_value < 0.01                                # the group test would say "still in training"
    assert check.test == RETRAINED_TEST and check.retrained_models == 8
    assert not check.still_in_training and check.verdict == NO_EVIDENCE and check.p_value >= 0.01
    assert any("whole training set apart from the withdrawn rows" in a for a in check.assumptions)


def test_trained_on_rows_from_a_shifted_group_are_still_flagged(customers):
    members, non_members, withdrawn = _shifted_split(customers, 3)
    model = _forest(pd.concat([members, withdrawn], ignore_index=True), 3)
    check = check_withdrawal(model, members, non_members, withdrawn, "churned", recipe=get_recipe("random_forest"),
                             seed=3, n_jobs=1)
    assert check.still_in_training and check.p_value < 1e-4
    assert check.records_above_all_retrained > 0.5 and check.confidence_gap > 0


def test_without_a_recipe_the_group_test_decides_and_says_what_it_assumes(customers):
    members, non_members, withdrawn = _split(customers, 0)
    check = check_withdrawal(_forest(members, 0), members, non_members, withdrawn, "churned")
    assert check.test == GROUP_TEST and check.p_value == check.group_p_value and check.retrained_models == 0
    assert any("look like the non-members" in a for a in check.assumptions)
    assert check.to_dict()["assumptions"]


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


def test_the_statement_names_the_test_that_gave_the_verdict():
    from analysis.report.model import ReportInputs
    from analysis.report.sections.statement import _withdrawal

    check = {"rows": 10, "verdict": NO_EVIDENCE, "p_value": 0.3, "share_above_threshold": 0.01,
             "test_can_tell": True, "test": RETRAINED_TEST}
    assert "per-record test against retrained models, p = 0.3" in _withdrawal(ReportInputs(withdrawal=check))[0].text
    check["test"] = GROUP_TEST
    assert "Mann-Whitney p = 0.3" in _withdrawal(ReportInputs(withdrawal=check))[0].text
