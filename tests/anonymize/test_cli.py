"""`privacy-audit risk` and `privacy-audit anonymize` end to end."""

from __future__ import annotations

import json

import pandas as pd

from analysis.cli import main
from analysis.settings import PROJECT_ROOT

PLAN = PROJECT_ROOT / "examples" / "plans" / "adult_k5.yaml"


def test_risk_json_has_the_documented_keys(adult_path, tmp_path):
    out = tmp_path / "risk.json"
    code = main(["risk", str(adult_path), "--quasi-identifiers", "age,sex,race,native-country",
                 "--sensitive", "class", "--k", "5", "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    for key in ("k", "records_below_k", "sample_uniques", "prosecutor", "journalist", "marketer", "l_diversity"):
        assert key in data
    assert data["k"] == 1 and data["sample_uniques"] == 1330 and data["records_below_k"] == 3035
    assert data["l_diversity"]["class"]["distinct_l"] == 1


def test_risk_rejects_unknown_columns(adult_path, capsys):
    assert main(["risk", str(adult_path), "--quasi-identifiers", "age,zipcode"]) == 2
    assert "zipcode" in capsys.readouterr().err


def test_anonymize_writes_k5_table_and_prints_generated_secret_once(adult_path, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PRIVACY_AUDIT_SECRET", raising=False)
    out = tmp_path / "adult_k5.csv"
    assert main(["anonymize", str(adult_path), "--plan", str(PLAN), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "k after suppression: 5" in captured.out
    assert main(["risk", str(out), "--quasi-identifiers", "age,sex,race,native-country", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["k"] >= 5


def test_anonymize_secret_from_environment_gives_stable_pseudonyms(customers_path, tmp_path, capsys, monkeypatch):
    plan = tmp_path / "plan.yaml"
    plan.write_text("columns:\n  email: {operator: pseudonymize}\n  customer_name: drop\n")
    monkeypatch.setenv("PRIVACY_AUDIT_SECRET", "ab" * 32)
    outs = []
    for i in range(2):
        out = tmp_path / f"out{i}.parquet"
        assert main(["anonymize", str(customers_path), "--plan", str(plan), "--out", str(out)]) == 0
        outs.append(pd.read_parquet(out))
    err = capsys.readouterr().err
    assert "Generated secret" not in err and ("ab" * 32) not in err
    assert outs[0]["email"].tolist() == outs[1]["email"].tolist()
    assert "customer_name" not in outs[0].columns and not outs[0]["email"].str.contains("@").any()
    monkeypatch.delenv("PRIVACY_AUDIT_SECRET")
    out = tmp_path / "gen.csv"
    assert main(["anonymize", str(customers_path), "--plan", str(plan), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("Generated secret") == 1
    secret_hex = err.split(": ")[-1].strip()
    assert len(secret_hex) == 64 and secret_hex not in out.read_text()


def test_anonymize_bad_plan_exits_2(adult_path, tmp_path, capsys):
    plan = tmp_path / "bad.yaml"
    plan.write_text("columns:\n  age: {operator: blur}\n")
    assert main(["anonymize", str(adult_path), "--plan", str(plan), "--out", str(tmp_path / "o.csv")]) == 2
    assert "unknown operator 'blur'" in capsys.readouterr().err
