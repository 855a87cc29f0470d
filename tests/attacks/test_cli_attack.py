"""`privacy-audit train` then `privacy-audit attack`, as a CLI user would chain them."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from analysis.settings import SAMPLE_DATA_DIR


@pytest.fixture(scope="module")
def split_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    lines = (SAMPLE_DATA_DIR / "adult.csv").read_text().splitlines()[:601]
    data = folder / "adult600.csv"
    data.write_text("\n".join(lines) + "\n")
    model = folder / "forest.skops"
    code = main(["train", str(data), "--label", "class", "--recipe", "random_forest", "--out", str(model),
                 "--members-out", str(folder / "A.csv"), "--non-members-out", str(folder / "B.csv")])
    assert code == 0
    return folder


def test_attack_writes_the_json_the_issue_promises(split_files, capsys):
    folder = split_files
    args = ["attack", "--model", str(folder / "forest.skops"), "--members", str(folder / "A.csv"),
            "--non-members", str(folder / "B.csv"), "--label", "class", "--quiet"]
    assert main(args + ["--trust", "os.system"]) == 2  # only scikit-learn / NumPy / SciPy types can be trusted
    assert "cannot trust os.system" in capsys.readouterr().err
    out = folder / "result.json"
    # The forest's types (numpy.dtype, sklearn.tree._tree.Tree) are trusted automatically: no --trust.
    code = main(args + ["--attacks", "threshold,lira", "--reference-models", "2", "--backend", "serial",
                        "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    names = [a["name"] for a in data["attacks"]]
    assert names == ["loss", "confidence", "loss_per_class", "confidence_per_class", "lira_offline", "lira_online"]
    for attack in data["attacks"]:
        assert {"name", "auc", "advantage", "tpr_at_fpr"} <= set(attack)
        assert set(attack["tpr_at_fpr"]) == {"0.001", "0.01"}
    assert data["train_accuracy"] == 1.0 and 0.5 < data["test_accuracy"] < 1.0
    assert data["model"]["kind"] == "sklearn" and data["model"]["trusted_types"] == []
    assert "loss" in capsys.readouterr().out  # the summary table


@pytest.mark.parametrize("extra, message", [
    (["--label", "nope"], "column(s) nope"),
    (["--label", "class", "--attacks", "magic"], "unknown attack 'magic'"),
    (["--label", "class", "--reference-models", "1"], "at least 2"),
])
def test_bad_input_exits_2_with_a_message(split_files, capsys, extra, message):
    folder = split_files
    code = main(["attack", "--train", "logistic_regression", "--members", str(folder / "A.csv"),
                 "--non-members", str(folder / "B.csv"), *extra])
    assert code == 2
    assert message in capsys.readouterr().err


def test_pickle_model_is_refused(split_files, capsys):
    folder = split_files
    (folder / "model.pkl").write_bytes(b"\x80\x04K\x01.")
    code = main(["attack", "--model", str(folder / "model.pkl"), "--members", str(folder / "A.csv"),
                 "--non-members", str(folder / "B.csv"), "--label", "class"])
    assert code == 2
    assert "skops.io.dump" in capsys.readouterr().err


def test_attack_can_train_the_target_itself(split_files, capsys):
    folder = split_files
    code = main(["attack", "--train", "logistic_regression", "--members", str(folder / "A.csv"),
                 "--non-members", str(folder / "B.csv"), "--label", "class", "--attacks", "loss",
                 "--json", "-", "--quiet"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"]["trained_here"] and data["attacks"][0]["name"] == "loss"


def test_attack_audits_a_lightgbm_text_model_with_same_library_references(split_files, capsys):
    import lightgbm as lgb
    import pandas as pd

    folder = split_files
    members = pd.read_csv(folder / "A.csv")
    numeric = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
    clf = lgb.LGBMClassifier(n_estimators=20, num_leaves=8, n_jobs=1, verbose=-1, random_state=0)
    clf.fit(members[numeric], members["class"])
    clf.booster_.save_model(str(folder / "model.txt"))
    code = main(["attack", "--model", str(folder / "model.txt"), "--members", str(folder / "A.csv"),
                 "--non-members", str(folder / "B.csv"), "--label", "class", "--attacks", "lira_offline",
                 "--reference-models", "2", "--backend", "serial", "--json", "-", "--quiet"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"]["kind"] == "lightgbm"
    assert data["model"]["inputs"] == f"lightgbm features by name: {', '.join(numeric)}"
    assert data["settings"]["recipe"]["library"] == "lightgbm"
    assert data["settings"]["recipe"]["params_from_file"]["num_leaves"] == 8
