"""The model worker: a model file that crashes, hangs, allocates or connects ends the worker, not us.

Each test runs the hostile thing in a worker and checks what a user would see: a ModelLoadError (exit 2
in the CLI, an error on the page) that says what happened and names the setting, and a process (this
pytest process stands in for the Streamlit server) that is still alive to open the next worker.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.models.gate import ModelLoadError
from analysis.models.remote import inspect_file, open_model
from analysis.models.sandbox import SLOTS, ModelWorker, SandboxError
from analysis.models.wire import Remote, WireError, decode, encode

ROOT = Path(__file__).resolve().parents[2]
SELFTEST = "analysis.models.sandbox:worker_selftest"


def test_a_crash_ends_the_worker_with_a_clear_message_and_the_next_worker_works():
    with pytest.raises(SandboxError, match=r"crashed the model worker while .*signal 11"):
        with ModelWorker() as worker:
            worker.call(SELFTEST, "crash")
    with ModelWorker() as worker:
        assert worker.call(SELFTEST, "tmpdir")["cwd"]


def test_a_hang_is_stopped_at_the_time_limit_naming_the_setting(settings_env):
    settings_env(worker_timeout_seconds=3)
    with pytest.raises(SandboxError, match="stopped after 3 s.*PRIVACY_AUDIT_WORKER_TIMEOUT_SECONDS"):
        with ModelWorker() as worker:
            worker.call(SELFTEST, "hang", activity="scoring records")


def test_memory_beyond_the_limit_is_refused_naming_the_setting(settings_env):
    settings_env(worker_memory_mb=400)
    with pytest.raises(SandboxError, match="more than 400 MB.*PRIVACY_AUDIT_WORKER_MEMORY_MB"):
        with ModelWorker() as worker:
            worker.call(SELFTEST, "memory")


def test_the_worker_cannot_reach_a_server_on_this_machine():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(3)
    with ModelWorker() as worker:
        assert "network namespace" in worker.isolation["network"]  # Linux, as root or with user namespaces
        reply = worker.call(SELFTEST, "network", server.getsockname()[1])
    assert reply["connected"] is False
    with pytest.raises(socket.timeout):
        server.accept()
    server.close()


def test_the_worker_has_its_own_temporary_directory_removed_afterwards():
    with ModelWorker() as worker:
        where = worker.call(SELFTEST, "tmpdir")
        assert where["cwd"] == where["home"] == where["tmp"]
        assert Path(where["cwd"]).is_dir()
    assert not Path(where["cwd"]).exists()


def test_the_worker_gets_the_settings_but_not_the_history_database_url(monkeypatch):
    # the history URL may carry a database password; a worker never writes history
    monkeypatch.setenv("PRIVACY_AUDIT_HISTORY_URL", "postgresql://auditor:secret@db.internal/audits")
    monkeypatch.setenv("PRIVACY_AUDIT_WORKER_TIMEOUT_SECONDS", "61")
    with ModelWorker() as worker:
        names = worker.call(SELFTEST, "environment")["names"]
    assert "PRIVACY_AUDIT_WORKER_TIMEOUT_SECONDS" in names
    assert "PRIVACY_AUDIT_HISTORY_URL" not in names


def test_only_functions_of_the_analysis_package_run_in_the_worker():
    with ModelWorker() as worker, pytest.raises(ValueError, match="analysis package only"):
        worker.call("os:system", "true")


def test_replies_carry_arrays_and_plain_values_but_never_tables_or_pickles():
    value = {"a": np.arange(6).reshape(2, 3), "labels": np.array(["x", 1, None], dtype=object),
             "handle": Remote(3), "t": (1, 2.5, "s"), "b": b"\x00\x01"}
    back = decode(encode(value), allow_frames=False)
    assert np.array_equal(back["a"], value["a"]) and back["labels"].tolist() == ["x", 1, None]
    assert back["handle"] == Remote(3) and back["t"] == (1, 2.5, "s") and back["b"] == b"\x00\x01"
    frame = pd.DataFrame({"age": [30, 40], "name ": ["a", "b"]}, index=[10, 20])
    with pytest.raises(WireError, match="arrays, not tables"):
        decode(encode(frame), allow_frames=False)
    assert decode(encode(frame), allow_frames=True).equals(frame)
    with pytest.raises(WireError):
        encode(np.array([object()], dtype=object))
    with pytest.raises(WireError):
        encode(lambda: None)


def test_a_waiting_call_reports_its_place_in_the_queue(settings_env):
    settings_env(worker_max_busy=1, worker_timeout_seconds=4)
    messages: list[str] = []
    hog = ModelWorker()

    def occupy():
        try:
            hog.call(SELFTEST, "hang")
        except SandboxError:
            pass

    thread = threading.Thread(target=occupy)
    thread.start()
    try:
        with ModelWorker() as worker:
            worker.call(SELFTEST, "tmpdir", progress=lambda f, m: messages.append(m))
    finally:
        thread.join()
        hog.close()
    assert any("waiting for a free model worker: 1 ahead" in m for m in messages)
    assert SLOTS._busy == 0


# ------------------------------------------------------------------------------------------------
# Real model files.


def _xgboost_json(tmp_path, edit) -> bytes:
    import xgboost as xgb

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2}, xgb.DMatrix(x, label=x[:, 0] > 0),
                        num_boost_round=2)
    model = json.loads(bytes(booster.save_raw("json")))
    edit(model["learner"]["gradient_booster"]["model"]["trees"][0])
    return json.dumps(model).encode()


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"f0": rng.normal(size=60), "f1": rng.normal(size=60), "f2": rng.normal(size=60),
                         "y": rng.integers(0, 2, size=60)})


def test_a_loaded_model_scores_and_retrains_in_the_worker_as_it_would_in_process():
    from analysis.attacks.audit import run_audit
    from analysis.models.loading import dump_skops, load_model
    from analysis.models.recipes import get_recipe, train_model
    from analysis.tables import load_sample

    frame = load_sample("customers.csv").frame[["age", "amount", "plan", "churned"]].head(600)
    trained = train_model(frame, "churned", recipe=get_recipe("logistic_regression"), member_share=0.5, seed=0)
    data = dump_skops(trained.model)
    remote = open_model(data, "churn.skops")
    assert remote.kind == "sklearn" and "network namespace" in remote.isolation["network"]
    local = load_model(data, "churn.skops")
    settings = dict(attacks=("threshold", "lira", "rmia"), reference_models=4, seed=0)
    in_worker = run_audit(remote.bind(trained.members, "churned"), trained.members, trained.non_members, "churned",
                          recipe=remote.recipe(), **settings)
    in_process = run_audit(local.bind(trained.members, "churned"), trained.members, trained.non_members, "churned",
                           recipe=local.recipe(), **settings)
    assert [a.name for a in in_worker.attacks] == [a.name for a in in_process.attacks]
    for a, b in zip(in_worker.attacks, in_process.attacks):
        assert a.auc == pytest.approx(b.auc, abs=1e-9), a.name
    remote.close()
    assert not remote.worker.alive


def test_an_xgboost_file_with_a_child_index_past_its_tree_never_crashes_this_process(tmp_path):
    def bad_child(tree):
        tree["left_children"][0] = 100_000_000

    data = _xgboost_json(tmp_path, bad_child)
    frame = _frame()
    with pytest.raises(ModelLoadError):
        open_model(data, "model.json").bind(frame, "y").predict_proba(frame.drop(columns=["y"]))
    assert os.getpid()  # still here


def test_a_pickle_is_refused_before_any_worker_starts():
    with pytest.raises(ModelLoadError, match="pickle"):
        inspect_file(b"\x80\x04\x95" + b"x" * 40, "model.skops")
    with pytest.raises(ModelLoadError, match="pickle|joblib"):
        open_model(b"\x80\x04", "model.pkl")


def test_cli_attack_with_a_crashing_model_file_exits_2_with_a_message(tmp_path):
    def bad_child(tree):
        tree["left_children"][0] = 100_000_000
        tree["right_children"][0] = -5

    (tmp_path / "model.json").write_bytes(_xgboost_json(tmp_path, bad_child))
    frame = _frame()
    frame.iloc[:30].to_csv(tmp_path / "members.csv", index=False)
    frame.iloc[30:].to_csv(tmp_path / "non_members.csv", index=False)
    done = subprocess.run([sys.executable, "-m", "analysis", "attack", "--model", str(tmp_path / "model.json"),
                           "--members", str(tmp_path / "members.csv"), "--non-members",
                           str(tmp_path / "non_members.csv"), "--label", "y", "--attacks", "threshold", "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "model.json" in done.stderr or "model worker" in done.stderr or "tree" in done.stderr


def _churn_model():
    from analysis.models.loading import dump_skops
    from analysis.models.recipes import get_recipe, train_model
    from analysis.tables import load_sample

    frame = load_sample("customers.csv").frame[["age", "amount", "plan", "churned"]].head(400)
    trained = train_model(frame, "churned", recipe=get_recipe("logistic_regression"), member_share=0.5, seed=0)
    return dump_skops(trained.model), trained


def _wait_for(condition, seconds: float) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_model_left_unused_frees_its_worker_and_scores_the_same_when_used_again(settings_env):
    settings_env(worker_idle_seconds=1)
    data, trained = _churn_model()
    loaded = open_model(data, "churn.skops")
    model = loaded.bind(trained.members, "churned")
    reference = loaded.recipe().fit(trained.members.drop(columns=["churned"]),
                                    trained.members["churned"].to_numpy(), seed=0)
    before = model.predict_proba(trained.non_members.drop(columns=["churned"]))
    first = loaded.worker._process.pid
    _wait_for(lambda: loaded.worker.idle, 15)  # the session went quiet: its worker process is gone
    assert not loaded.worker.alive and not os.path.exists(f"/proc/{first}/status")

    again = model.predict_proba(trained.non_members.drop(columns=["churned"]))  # loaded and bound again
    assert np.array_equal(before, again)
    assert loaded.generation == 1 and loaded.worker.alive and loaded.worker._process.pid != first
    with pytest.raises(SandboxError, match="closed after it was left unused; run the audit again"):
        reference.predict_proba(trained.members.drop(columns=["churned"]))  # lived only in the closed worker
    refit = loaded.recipe().fit(trained.members.drop(columns=["churned"]), trained.members["churned"].to_numpy(),
                                seed=0)
    assert refit.predict_proba(trained.members.drop(columns=["churned"])).shape == (len(trained.members), 2)
    loaded.close()


def test_a_worker_in_a_call_is_never_closed_for_idleness(settings_env):
    import time

    from analysis.models.sandbox import _IDLE_WATCH, WorkerIdleClosed

    settings_env(worker_idle_seconds=600)
    with ModelWorker() as worker:
        worker.call(SELFTEST, "tmpdir")
        settings_env(worker_idle_seconds=0.01)
        _wait_for(lambda: time.monotonic() - worker.last_used > 0.05, 5)
        with worker._lock:  # as during a call
            assert _IDLE_WATCH.close_idle() == 0 and worker.alive
        assert _IDLE_WATCH.close_idle() == 1 and worker.idle and not worker.alive
        with pytest.raises(WorkerIdleClosed, match="PRIVACY_AUDIT_WORKER_IDLE_SECONDS"):
            worker.call(SELFTEST, "tmpdir")
