"""`privacy-audit consent` and the --consent-column option of the training commands."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main


@pytest.fixture
def data_csv(tmp_path, customers_path):
    frame = pd.read_csv(customers_path).head(300)[["age", "sex", "plan", "tenure_months", "rating", "churned"]]
    rng = np.random.default_rng(0)
    frame["consent_training"] = rng.choice(["yes", "no", ""], size=len(frame), p=[0.8, 0.15, 0.05])
    frame["id"] = range(len(frame))
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_consent_command_writes_the_counts(data_csv, tmp_path):
    path, frame = data_csv
    out = tmp_path / "consent.json"
    assert main(["consent", str(path), "--consent-column", "consent_training", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    expected = frame["consent_training"].fillna("").value_counts()
    assert report["rows"] == 300
    assert report["consented"] == expected["yes"] and report["not_consented"] == expected["no"]
    assert report["unknown"] == 300 - expected["yes"] - expected["no"]
    assert report["purposes"][0]["purpose"] == "training"


def test_consent_file_through_the_cli(data_csv, tmp_path):
    path, frame = data_csv
    consent = tmp_path / "consent.json"
    consent.write_text(json.dumps([{"id": i, "training": "granted"} for i in range(100)]))
    out = tmp_path / "out.json"
    code = main(["consent", str(path), "--consent-column", "training", "--consent-file", str(consent),
                 "--id-column", "id", "--json", str(out)])
    assert code == 0
    report = json.loads(out.read_text())
    assert report["consented"] == 100 and report["missing_ids"] == 200 and report["unmatched_consent_rows"] == 0


def test_unreadable_column_or_file_exits_2(data_csv, tmp_path, capsys):
    path, _ = data_csv
    assert main(["consent", str(path), "--consent-column", "no_such_column"]) == 2
    assert "no_such_column" in capsys.readouterr().err
    assert main(["consent", str(path), "--consent-column", "training", "--consent-file",
                 str(tmp_path / "missing.csv"), "--id-column", "id"]) == 2


def test_train_with_consent_column_trains_on_consented_rows_only(data_csv, tmp_path):
    path, frame = data_csv
    out = tmp_path / "train.json"
    code = main(["train", str(path), "--label", "churned", "--recipe", "logistic_regression",
                 "--out", str(tmp_path / "m.skops"), "--consent-column", "consent_training",
                 "--members-out", str(tmp_path / "a.csv"), "--json", str(out)])
    assert code == 0
    summary = json.loads(out.read_text())
    consented = int((frame["consent_training"] == "yes").sum())
    assert summary["consent"]["rows_kept"] == consented
    assert summary["consent"]["rows_left_out"] == 300 - consented
    assert summary["n_members"] + summary["n_non_members"] == consented
    members = pd.read_csv(tmp_path / "a.csv")
    assert "consent_training" not in members.columns


def test_withdrawals_after_a_date_on_the_bundled_customers(customers_path, tmp_path):
    out = tmp_path / "consent.json"
    assert main(["consent", str(customers_path), "--consent-column", "consent_training,consent_marketing",
                 "--withdrawn-after", "2024-06-30", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    raw = pd.read_csv(customers_path)
    assert report["withdrawn_after_rows"] == int((raw["consent_training_withdrawn_at"] > "2024-06-30").sum())
    assert report["withdrawn"] == int((raw["consent_training"] == "withdrawn").sum())
    marketing = next(p for p in report["purposes"] if p["purpose"] == "marketing")
    assert marketing["consented"] == int((raw["consent_marketing"] == "opt-in").sum())
    assert marketing["withdrawn_after"] is None  # no withdrawal dates mapped for marketing


def test_compare_with_consent_column_reports_the_filter(data_csv, tmp_path):
    path, frame = data_csv
    out = tmp_path / "compare.json"
    code = main(["compare", str(path), "--label", "churned", "--epsilons", "inf", "--seeds", "1", "--epochs", "1",
                 "--no-baseline", "--consent-column", "consent_training", "--include-unknown", "--quiet",
                 "--json", str(out)])
    assert code == 0
    consent = json.loads(out.read_text())["consent"]
    refused = int((frame["consent_training"] == "no").sum())
    assert consent["rows_kept"] == 300 - refused and consent["unknown_as_consented"] is True
    assert consent["kept_without_consent"] == int((frame["consent_training"] == "").sum())  # blank: unknown
