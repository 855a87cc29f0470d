"""The audit history: every report stored with its fingerprints, settings, versions and numbers.

Any SQLAlchemy URL works (the default, `settings.history_url`, is a SQLite file under
~/.privacy_audit/, whose folder is created on first use); a team can point it at PostgreSQL.

Two tables: `audit_runs` (one row per run: fingerprints, settings, versions, the full report JSON)
and `audit_metrics` (one row per number, for comparisons). A run is written in ONE transaction: a
crash part-way leaves the database as it was (no half-written run, no earlier run lost).
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import sqlalchemy as sa

from analysis.results import Result, to_jsonable

_metadata = sa.MetaData()

runs_table = sa.Table(
    "audit_runs", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(36), nullable=False, unique=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("title", sa.String(300), nullable=False, default=""),
    sa.Column("source", sa.String(40), nullable=False, default=""),
    sa.Column("dataset_name", sa.String(300)),
    sa.Column("dataset_sha256", sa.String(64)),
    sa.Column("dataset_rows", sa.Integer),
    sa.Column("dataset_columns", sa.Integer),
    sa.Column("model_json", sa.Text),
    sa.Column("seeds_json", sa.Text, nullable=False, default="{}"),
    sa.Column("settings_json", sa.Text, nullable=False, default="{}"),
    sa.Column("versions_json", sa.Text, nullable=False, default="{}"),
    sa.Column("overall_rating", sa.String(10)),
    sa.Column("policies_passed", sa.Boolean),
    sa.Column("seconds", sa.Float),
    sa.Column("schema_version", sa.String(20)),
    sa.Column("report_json", sa.Text, nullable=False),
)

metrics_table = sa.Table(
    "audit_metrics", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(36), sa.ForeignKey("audit_runs.run_id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("text", sa.String(500)),
    sa.Column("rating", sa.String(10)),
    sa.UniqueConstraint("run_id", "name", name="uq_metric_per_run"),
)


@dataclass(frozen=True)
class RunSummary(Result):
    run_id: str
    created_at: str
    title: str
    source: str
    dataset_name: Optional[str]
    dataset_sha256: Optional[str]
    dataset_rows: Optional[int]
    dataset_columns: Optional[int]
    overall_rating: Optional[str]
    policies_passed: Optional[bool]
    seconds: Optional[float]


@dataclass(frozen=True)
class StoredRun(Result):
    summary: RunSummary
    model: Optional[dict[str, Any]]
    seeds: dict[str, Any]
    settings: dict[str, Any]
    versions: dict[str, str]
    metrics: dict[str, Any]  # name -> {"value", "text", "rating"}
    report: dict[str, Any]


@dataclass(frozen=True)
class Change(Result):
    """A provenance field that differs between two runs."""

    field: str
    a: Any
    b: Any


@dataclass(frozen=True)
class MetricChange(Result):
    name: str
    a: Any
    b: Any
    delta: Optional[float]
    moved: bool
    verdict: str  # "better", "worse", "changed", "same", "added", "removed"
    rating_a: Optional[str] = None
    rating_b: Optional[str] = None


@dataclass(frozen=True)
class RunComparison(Result):
    a: RunSummary
    b: RunSummary
    changes: list[Change]  # what changed in data, model, settings, seeds, versions
    metrics: list[MetricChange]  # every number, moved or not
    moved: list[str] = field(default_factory=list)  # names of the numbers that moved

    @property
    def same_dataset(self) -> bool:
        return self.a.dataset_sha256 == self.b.dataset_sha256


class HistoryError(ValueError):
    """A run that does not exist, an ambiguous id, or a database that cannot be opened."""


# --------------------------------------------------------------------------------------------
# Engine


_engines: dict[str, sa.Engine] = {}
_lock = threading.Lock()


def default_url() -> str:
    from analysis.settings import get_settings

    return get_settings().history_url


def _prepare_sqlite_folder(url: sa.URL) -> None:
    if url.get_backend_name() != "sqlite":
        return
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def get_engine(url: Optional[str] = None) -> sa.Engine:
    """One engine per URL, with the tables created on first use."""
    url = url or default_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            try:
                parsed = sa.make_url(url)
            except sa.exc.ArgumentError:
                # SQLAlchemy's text quotes the whole URL, password included
                raise HistoryError("history URL is not a valid SQLAlchemy URL "
                                   "(dialect+driver://user@host/db)") from None
            try:
                _prepare_sqlite_folder(parsed)
                engine = sa.create_engine(parsed)
                if parsed.get_backend_name() == "sqlite":
                    sa.event.listen(engine, "connect", _sqlite_pragmas)
                _metadata.create_all(engine)
            except (OSError, ImportError, sa.exc.SQLAlchemyError) as exc:
                shown = parsed.render_as_string(hide_password=True)
                raise HistoryError(f"cannot open the history database {shown}: "
                                   f"{str(exc).splitlines()[0][:300]}") from None
            _engines[url] = engine
        return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def dispose_engines() -> None:
    """Close every pooled connection (tests; before deleting a database file)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


# --------------------------------------------------------------------------------------------
# Writing


def _dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), sort_keys=True, default=str)


def report_metrics(report: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The numbers of a report (as a dict), flattened: summary.<metric> and <section>.<name>."""
    out: dict[str, dict[str, Any]] = {}
    for item in report.get("summary", []):
        out[f"summary.{item['metric']}"] = {"value": _float(item.get("value")), "text": _text(item.get("display")),
                                            "rating": item.get("rating")}
    for section in report.get("sections", []):
        for name, value in (section.get("metrics") or {}).items():
            number = _float(value)
            out[f"{section['key']}.{name}"] = {"value": number,
                                               "text": None if number is not None or value is None else _text(value),
                                               "rating": None}
    for policy in report.get("policies", []):
        out[f"policy.{policy['name']}"] = {"value": _float(policy.get("value")),
                                           "text": "pass" if policy.get("passed") else "fail", "rating": None}
    return out


def _float(value: Any) -> Optional[float]:
    if value is None or isinstance(value, (str, bool, dict, list)):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _text(value: Any) -> Optional[str]:
    return None if value is None else str(value)[:500]


def _insert_run(conn: sa.Connection, row: dict[str, Any]) -> None:
    conn.execute(runs_table.insert().values(**row))


def _insert_metrics(conn: sa.Connection, run_id: str, metrics: Mapping[str, Mapping[str, Any]]) -> None:
    rows = [{"run_id": run_id, "name": name[:200], **values} for name, values in metrics.items()]
    if rows:
        conn.execute(metrics_table.insert(), rows)


def save_run(report: Any, *, url: Optional[str] = None, source: str = "") -> str:
    """Store a report (an AuditReport or its dict form) in one transaction; returns the new run id."""
    data = report.to_dict() if hasattr(report, "to_dict") else to_jsonable(report)
    if not isinstance(data, Mapping) or "summary" not in data:
        raise ValueError("report must be an AuditReport or its to_dict() form (it has no 'summary')")
    prov = data.get("provenance") or {}
    dataset = prov.get("dataset") or {}
    policies = data.get("policies") or []
    run_id = str(uuid.uuid4())
    row = {
        "run_id": run_id, "created_at": str(data.get("created_at") or ""), "title": str(data.get("title") or "")[:300],
        "source": source[:40], "dataset_name": dataset.get("name"), "dataset_sha256": dataset.get("sha256"),
        "dataset_rows": dataset.get("rows"), "dataset_columns": dataset.get("columns"),
        "model_json": _dumps(prov.get("model")) if prov.get("model") else None,
        "seeds_json": _dumps(prov.get("seeds") or {}), "settings_json": _dumps(prov.get("settings") or {}),
        "versions_json": _dumps(prov.get("package_versions") or {}),
        "overall_rating": data.get("overall_rating"),
        "policies_passed": (all(p.get("passed") for p in policies) if policies else None),
        "seconds": _float((prov.get("seconds") or {}).get("total")),
        "schema_version": data.get("schema_version"), "report_json": _dumps(data),
    }
    metrics = report_metrics(data)
    engine = get_engine(url)
    try:
        with engine.begin() as conn:  # one transaction: both tables or neither
            _insert_run(conn, row)
            _insert_metrics(conn, run_id, metrics)
    except sa.exc.SQLAlchemyError as exc:
        raise HistoryError(f"the run could not be stored (nothing was written): "
                           f"{str(exc).splitlines()[0][:300]}") from None
    return run_id


def delete_run(run_id: str, *, url: Optional[str] = None) -> None:
    engine = get_engine(url)
    full = _resolve_id(engine, run_id)
    with engine.begin() as conn:
        conn.execute(metrics_table.delete().where(metrics_table.c.run_id == full))
        conn.execute(runs_table.delete().where(runs_table.c.run_id == full))


# --------------------------------------------------------------------------------------------
# Reading


_SUMMARY_COLUMNS = ("run_id", "created_at", "title", "source", "dataset_name", "dataset_sha256", "dataset_rows",
                    "dataset_columns", "overall_rating", "policies_passed", "seconds")


def _summary(row: Any) -> RunSummary:
    m = row._mapping
    return RunSummary(**{c: m[c] for c in _SUMMARY_COLUMNS})


def list_runs(*, url: Optional[str] = None, limit: int = 200, dataset_sha256: Optional[str] = None) -> list[RunSummary]:
    """Runs, newest first."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    engine = get_engine(url)
    query = sa.select(*[runs_table.c[c] for c in _SUMMARY_COLUMNS]).order_by(runs_table.c.id.desc()).limit(limit)
    if dataset_sha256:
        query = query.where(runs_table.c.dataset_sha256 == dataset_sha256)
    with engine.connect() as conn:
        return [_summary(r) for r in conn.execute(query)]


def count_runs(*, url: Optional[str] = None) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(runs_table)).scalar_one())


def _resolve_id(engine: sa.Engine, run_id: str) -> str:
    run_id = str(run_id).strip()
    if not run_id:
        raise HistoryError("run id is empty")
    with engine.connect() as conn:
        found = conn.execute(sa.select(runs_table.c.run_id).where(runs_table.c.run_id.like(f"{run_id}%"))
                             .limit(3)).scalars().all()
    if not found:
        raise HistoryError(f"no run with id {run_id!r} in the history")
    if len(found) > 1 and run_id not in found:
        raise HistoryError(f"run id {run_id!r} is ambiguous; give more characters")
    return run_id if run_id in found else found[0]


def get_run(run_id: str, *, url: Optional[str] = None) -> StoredRun:
    """One run (a full id or a unique prefix), with its metrics and the stored report."""
    engine = get_engine(url)
    full = _resolve_id(engine, run_id)
    with engine.connect() as conn:
        row = conn.execute(sa.select(runs_table).where(runs_table.c.run_id == full)).one()
        metric_rows = conn.execute(sa.select(metrics_table).where(metrics_table.c.run_id == full)
                                   .order_by(metrics_table.c.id)).all()
    m = row._mapping
    metrics = {r._mapping["name"]: {"value": r._mapping["value"], "text": r._mapping["text"],
                                    "rating": r._mapping["rating"]} for r in metric_rows}
    return StoredRun(summary=_summary(row), model=json.loads(m["model_json"]) if m["model_json"] else None,
                     seeds=json.loads(m["seeds_json"]), settings=json.loads(m["settings_json"]),
                     versions=json.loads(m["versions_json"]), metrics=metrics,
                     report=json.loads(m["report_json"]))


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value


def _diff(label: str, a: Any, b: Any) -> list[Change]:
    fa, fb = {}, {}
    _flat(label, a or {}, fa)
    _flat(label, b or {}, fb)
    return [Change(k, fa.get(k), fb.get(k)) for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]


def _directions(report: Mapping[str, Any]) -> dict[str, str]:
    return {f"summary.{r['metric']}": r.get("direction", "") for r in report.get("thresholds", [])}


def compare_runs(a: str, b: str, *, url: Optional[str] = None, tolerance: float = 1e-9) -> RunComparison:
    """What changed between run a (before) and run b (after), and which numbers moved."""
    run_a, run_b = get_run(a, url=url), get_run(b, url=url)
    sa_, sb = run_a.summary, run_b.summary
    changes = []
    for name in ("dataset_name", "dataset_sha256", "dataset_rows", "dataset_columns"):
        if getattr(sa_, name) != getattr(sb, name):
            changes.append(Change(name, getattr(sa_, name), getattr(sb, name)))
    changes += _diff("model", run_a.model, run_b.model)
    changes += _diff("seeds", run_a.seeds, run_b.seeds)
    changes += _diff("settings", run_a.settings, run_b.settings)
    changes += _diff("versions", run_a.versions, run_b.versions)
    directions = {**_directions(run_a.report), **_directions(run_b.report)}
    metrics, moved = [], []
    for name in _ordered_names(run_a.metrics, run_b.metrics):
        ma, mb = run_a.metrics.get(name), run_b.metrics.get(name)
        va = None if ma is None else (ma["value"] if ma["value"] is not None else ma["text"])
        vb = None if mb is None else (mb["value"] if mb["value"] is not None else mb["text"])
        delta = None
        if ma is None:
            verdict = "added"
        elif mb is None:
            verdict = "removed"
        elif isinstance(va, float) and isinstance(vb, float):
            delta = vb - va
            if abs(delta) <= tolerance:
                verdict = "same"
            else:
                direction = directions.get(name, "")
                if direction == "lower":
                    verdict = "better" if delta < 0 else "worse"
                elif direction == "higher":
                    verdict = "better" if delta > 0 else "worse"
                else:
                    verdict = "changed"
        else:
            verdict = "same" if va == vb else "changed"
        is_moved = verdict not in ("same",)
        if is_moved:
            moved.append(name)
        metrics.append(MetricChange(name=name, a=va, b=vb, delta=delta, moved=is_moved, verdict=verdict,
                                    rating_a=(ma or {}).get("rating"), rating_b=(mb or {}).get("rating")))
    return RunComparison(a=sa_, b=sb, changes=changes, metrics=metrics, moved=moved)


def _ordered_names(a: Mapping[str, Any], b: Mapping[str, Any]) -> Iterable[str]:
    seen = list(a)
    seen += [n for n in b if n not in a]
    return seen
