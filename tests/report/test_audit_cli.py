"""`privacy-audit audit`: the CI gate exits 0 when policies pass, 1 when one fails, 2 on bad config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from analysis import history
from analysis.cli import main
from analysis.report.export import validate_report
from analysis.settings import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "configs" / "audit.sample.yaml"
FAILING = PROJECT_ROOT / "configs" / "audit.failing.yaml"


# Every test here stores runs: each gets its own history database (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("history_url")


def _config(tmp_path: Path, base: Path, **changes) -> Path:
    data = yaml.safe_load(base.read_text())
    data["data"] = str(PROJECT_ROOT / "sample_data" / "customers.csv")
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_sample_config_passes_writes_both_reports_and_stores_the_run(tmp_path, history_url, capsys):
    html, out = tmp_path / "audit.html", tmp_path / "audit.json"
    code = main(["audit", str(SAMPLE), "--html", str(html), "--json", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "all policies passed" in printed
    report = json.loads(out.read_text())
    validate_report(report)
    assert [p["name"] for p in report["policies"]] == ["min_k", "max_records_below_k_share",
                                                        "max_tpr_at_0.01_fpr", "max_auc"]
    assert all(p["passed"] for p in report["policies"])
    assert report["provenance"]["steps"] == ["scan", "risk", "attack"]
    assert report["provenance"]["settings"]["data"]["rows_used"] == 1500
    assert html.read_text().startswith("<!DOCTYPE html>")
    runs = history.list_runs(url=history_url)
    assert len(runs) == 1 and runs[0].policies_passed is True and runs[0].source == "cli"


def test_failing_config_exits_1_and_names_the_failed_policies(tmp_path, history_url, capsys):
    out = tmp_path / "audit.json"
    code = main(["audit", str(FAILING), "--json", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] no_direct_identifiers" in printed and "[FAIL] min_k" in printed
    report = json.loads(out.read_text())
    failed = {p["name"] for p in report["policies"] if not p["passed"]}
    assert {"no_direct_identifiers", "min_k"} <= failed
    assert history.list_runs(url=history_url)[0].policies_passed is False  # failing runs are kept too


@pytest.mark.parametrize("changes, needle", [
    ({"policies": {"min_kk": 5}}, "policies.min_kk"),
    ({"policies": {"min_k": "five"}}, "policies.min_k"),
    ({"policies": {"max_exposure_share": 0.5}}, "steps.memorization"),
    ({"steps": {"risk": {"quasi_identifiers": ["zip", "nope"]}}}, "nope"),
    ({"steps": {"risk": {"quasi_identifiers": ["zip"], "kk": 5}}}, "steps.risk.kk"),
    ({"steps": {"scann": {}}}, "steps.scann"),
    ({"label": "no_such_column"}, "label"),
    ({"thresholds": {"k_anonymity": {"gren": 5}}}, "gren"),
    ({"colour": "red"}, "colour"),
    ({"data": "missing.csv"}, "data"),
])
def test_bad_configuration_exits_2_naming_the_key(tmp_path, capsys, changes, needle):
    base = {"policies": {}, "steps": {"risk": {"quasi_identifiers": ["zip"]}}}
    path = _config(tmp_path, SAMPLE, **{**base, **changes})
    if "data" in changes:
        raw = yaml.safe_load(path.read_text())
        raw["data"] = changes["data"]
        path.write_text(yaml.safe_dump(raw))
    code = main(["audit", str(path), "--quiet", "--no-history"])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err


def test_unreadable_config_exits_2(tmp_path, capsys):
    missing = main(["audit", str(tmp_path / "none.yaml"), "--quiet"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [unclosed\n")
    broken = main(["audit", str(bad), "--quiet"])
    err = capsys.readouterr().err
    assert (missing, broken) == (2, 2)
    assert "not found" in err and "not valid YAML" in err


def test_a_model_file_is_audited_on_its_own_members_and_non_members(tmp_path, history_url, capsys):
    """The CI use: audit the model artifact a training job produced, with its training and held-out rows."""
    from analysis.models.loading import dump_skops
    from analysis.models.recipes import train_model
    from analysis.tables import load_sample

    frame = load_sample("customers.csv").frame[["age", "sex", "plan", "tenure_months", "amount", "rating",
                                                "churned"]].head(1200)
    trained = train_model(frame, "churned", recipe="unpruned_tree", seed=0)  # memorizes: a leaky model
    (tmp_path / "model.skops").write_bytes(dump_skops(trained.model))
    trained.members.to_csv(tmp_path / "train.csv", index=False)
    trained.non_members.to_csv(tmp_path / "holdout.csv", index=False)
    config = {"version": 1, "data": "train.csv", "label": "churned",
              "steps": {"attack": {"model": "model.skops", "members": "train.csv", "non_members": "holdout.csv",
                                   "attacks": ["threshold"]}},
              "policies": {"max_auc": 0.6}}
    path = tmp_path / "audit.yaml"
    path.write_text(yaml.safe_dump(config))
    config["steps"]["attack"]["trust"] = ["os.system"]  # refused: only scikit-learn / NumPy / SciPy types
    path.write_text(yaml.safe_dump(config))
    assert main(["audit", str(path), "--quiet", "--no-history"]) == 2
    assert "cannot trust os.system" in capsys.readouterr().err
    del config["steps"]["attack"]["trust"]  # the tree's types are trusted automatically
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "report.json"
    code = main(["audit", str(path), "--json", str(out), "--quiet"])
    captured = capsys.readouterr()
    report = json.loads(out.read_text())
    assert code == 1, captured.err  # an unpruned tree leaks membership: AUC far above 0.6
    assert report["policies"][0]["value"] > 0.6
    model = report["provenance"]["model"]
    assert model["name"] == "model.skops" and len(model["fingerprint"]) == 64

    config["steps"]["attack"].pop("members")
    path.write_text(yaml.safe_dump(config))
    assert main(["audit", str(path), "--quiet", "--no-history"]) == 2
    assert "steps.attack.members" in capsys.readouterr().err


def test_compare_step_gates_on_the_recommended_protection(tmp_path, capsys):
    """The gate's compare step reads the unified rows: a plan file relative to the config, anonymized and
    DP-SGD side by side, the recommended option's accuracy share checked by min_dp_accuracy_kept."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"columns": {"age": {"operator": "bin", "width": 20}},
                                    "suppression": {"k": 2, "quasi_identifiers": ["age", "sex"]}}))
    steps = {"compare": {"strategies": ["none", "anonymized", "dp", "federated"], "plan": "plan.yaml",
                         "epsilons": [2], "seeds": 1, "epochs": 1, "clients": 500}}
    config = _config(tmp_path, SAMPLE, steps=steps, rows=400, policies={"min_dp_accuracy_kept": 0.5})
    out = tmp_path / "audit.json"
    code = main(["audit", str(config), "--json", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().out
    report = json.loads(out.read_text())
    validate_report(report)
    section = next(s for s in report["sections"] if s["key"] == "tradeoff")
    options = [row[0] for row in section["tables"][0]["rows"]]
    assert options == ["non-private", "anonymized", "DP-SGD ε = 2"]
    assert section["metrics"]["anonymized.k"] >= 2 and "recommended_option" in section["metrics"]
    assert any(n.startswith("federated skipped: 500 clients") for n in section["notes"])
    assert report["policies"][0]["name"] == "min_dp_accuracy_kept" and report["policies"][0]["passed"]
