"""The audit history: runs stored with fingerprints and numbers, compared, and written atomically."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from analysis import history
from analysis.report import ReportInputs, assemble_report
from analysis.risk import assess_risk
from analysis.tables import load_sample

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def customers():
    return load_sample("customers.csv")


def _report(table, qis, k=5, title="run"):
    risk = assess_risk(table.frame, qis, k=k)
    return assemble_report(ReportInputs(table=table, risk=risk, title=title, seeds={"split": 0}))


@pytest.fixture
def url(tmp_path):
    yield f"sqlite:///{tmp_path / 'nested' / 'folder' / 'history.db'}"
    history.dispose_engines()


def test_a_saved_run_keeps_fingerprints_settings_versions_and_numbers(url, customers):
    report = _report(customers, ["zip", "age", "sex"])
    run_id = history.save_run(report, url=url, source="test")
    runs = history.list_runs(url=url)
    assert [r.run_id for r in runs] == [run_id]
    assert runs[0].dataset_sha256 == customers.fingerprint and runs[0].dataset_rows == 5000
    assert runs[0].overall_rating == "red"
    stored = history.get_run(run_id[:8], url=url)  # a unique prefix is enough
    assert stored.report == json.loads(report.to_json())
    assert stored.versions["pandas"] == report.provenance.package_versions["pandas"]
    assert stored.seeds == {"split": 0}
    assert stored.metrics["summary.k_anonymity"]["value"] == 1.0
    assert stored.metrics["summary.k_anonymity"]["rating"] == "red"
    assert stored.metrics["risk.k"]["value"] == 1.0


def test_default_url_comes_from_settings_and_its_folder_is_created(tmp_path, monkeypatch, customers):
    from analysis.settings import get_settings

    db = tmp_path / "home" / ".privacy_audit" / "history.db"
    monkeypatch.setenv("PRIVACY_AUDIT_HISTORY_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    try:
        history.save_run(_report(customers, ["sex"]))
        assert db.is_file() and history.count_runs() == 1
    finally:
        history.dispose_engines()
        get_settings.cache_clear()


def test_compare_says_what_changed_and_which_numbers_moved(url, customers):
    a = history.save_run(_report(customers, ["zip", "age", "sex"], title="before"), url=url)
    b = history.save_run(_report(customers, ["sex", "state"], title="after"), url=url)
    cmp = history.compare_runs(a, b, url=url)
    assert cmp.same_dataset
    changed = {c.field for c in cmp.changes}
    assert not any(f.startswith("dataset") for f in changed)
    k = next(m for m in cmp.metrics if m.name == "summary.k_anonymity")
    assert (k.a, k.b, k.verdict) == (1.0, pytest.approx(k.b), "better") and k.b > 1
    assert k.rating_a == "red"
    below = next(m for m in cmp.metrics if m.name == "summary.records_at_risk")
    assert below.delta < 0 and below.verdict == "better"
    assert "summary.k_anonymity" in cmp.moved
    same = next(m for m in cmp.metrics if m.name == "risk.rows")
    assert not same.moved and same.verdict == "same"


def test_compare_flags_a_different_dataset(url, customers):
    a = history.save_run(_report(customers, ["sex"]), url=url)
    from analysis.tables import load_table

    other = load_table(b"sex,age\nM,30\nF,40\nF,41\n", name="other.csv")
    b = history.save_run(_report(other, ["sex"]), url=url)
    cmp = history.compare_runs(a, b, url=url)
    assert not cmp.same_dataset
    assert {"dataset_name", "dataset_sha256", "dataset_rows"} <= {c.field for c in cmp.changes}


def test_unknown_run_is_a_clear_error(url):
    with pytest.raises(history.HistoryError, match="no run with id 'nope'"):
        history.get_run("nope", url=url)


def test_a_failure_inside_the_transaction_leaves_no_half_written_run(url, customers, monkeypatch):
    first = history.save_run(_report(customers, ["sex"]), url=url)

    def crash(conn, run_id, metrics):
        conn.execute(history.metrics_table.insert(), [{"run_id": run_id, "name": "partial", "value": 1.0}])
        raise RuntimeError("power cut")

    monkeypatch.setattr(history, "_insert_metrics", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        history.save_run(_report(customers, ["zip"]), url=url)
    monkeypatch.undo()
    assert [r.run_id for r in history.list_runs(url=url)] == [first]
    engine = history.get_engine(url)
    with engine.connect() as conn:
        names = conn.execute(sa.select(history.metrics_table.c.name)).scalars().all()
        run_ids = set(conn.execute(sa.select(history.metrics_table.c.run_id)).scalars().all())
    assert "partial" not in names and run_ids == {first}
    assert history.get_run(first, url=url).metrics  # the earlier run is whole


def test_a_process_killed_mid_write_leaves_the_database_consistent(tmp_path, customers):
    """A real crash: the process dies (os._exit) after the run row is written, before commit."""
    db = tmp_path / "crash.db"
    url = f"sqlite:///{db}"
    first = history.save_run(_report(customers, ["sex"]), url=url)
    history.dispose_engines()
    script = textwrap.dedent(f"""
        import os
        from analysis import history
        from analysis.report import ReportInputs, assemble_report
        from analysis.tables import load_table

        table = load_table(b"a,b\\n1,2\\n3,4\\n", name="t.csv")
        report = assemble_report(ReportInputs(table=table))
        original = history._insert_metrics

        def die(conn, run_id, metrics):
            original(conn, run_id, metrics)
            os._exit(3)  # no rollback, no cleanup: the process is gone

        history._insert_metrics = die
        history.save_run(report, url={url!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    with sqlite3.connect(db) as conn:  # opening the database rolls the hot journal back
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        runs = [r[0] for r in conn.execute("SELECT run_id FROM audit_runs")]
        orphans = conn.execute("SELECT COUNT(*) FROM audit_metrics WHERE run_id NOT IN "
                               "(SELECT run_id FROM audit_runs)").fetchone()[0]
    assert runs == [first] and orphans == 0
    assert history.get_run(first, url=url).summary.dataset_rows == 5000
    history.dispose_engines()


def test_an_unusable_database_is_a_clear_error(tmp_path, customers):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(history.HistoryError, match="cannot open the history database"):
        history.save_run(_report(customers, ["sex"]), url=f"sqlite:///{blocker / 'sub' / 'h.db'}")
    with pytest.raises(history.HistoryError, match="not a valid SQLAlchemy URL"):
        history.list_runs(url="not a url")
    with pytest.raises(history.HistoryError, match="nonsense"):
        history.list_runs(url="nonsense://")
