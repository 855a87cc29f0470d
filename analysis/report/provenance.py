"""What was run: dataset and model fingerprints, seeds, settings, package versions and time per step."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from analysis import __version__
from analysis.report.model import Provenance, ReportInputs
from analysis.report.values import as_list, get, num
from analysis.results import package_versions, to_jsonable


def _dataset_fingerprint(table: Any) -> Optional[dict[str, Any]]:
    if table is None:
        return None
    return {"name": get(table, "name"), "sha256": get(table, "fingerprint", "sha256"),
            "rows": get(table, "rows"), "columns": len(get(table, "columns", default=[]) or []),
            "format": get(table, "format")}


def _model_fingerprint(inputs: ReportInputs) -> Optional[dict[str, Any]]:
    info = dict(inputs.model_info or {})
    audit = inputs.attacks
    for key in ("model_fingerprint", "model_sha256", "model_name", "recipe", "model"):
        value = get(audit, key) if audit is not None and not isinstance(audit, (list, tuple)) else None
        if value is not None and key not in info:
            info[key] = to_jsonable(value) if not isinstance(value, str) else value
    return to_jsonable(info) or None


_SAFE_GLOBAL_SETTINGS = ("pii_score_threshold", "pii_sample_rows", "spacy_model", "n_jobs", "seed",
                         "max_upload_mb")


def _global_settings() -> dict[str, Any]:
    from analysis.settings import get_settings

    s = get_settings()
    # The history URL can hold a database password: never copied into a report.
    return {name: getattr(s, name) for name in _SAFE_GLOBAL_SETTINGS if hasattr(s, name)}


def build_provenance(inputs: ReportInputs, elapsed: float) -> Provenance:
    results = {"scan": inputs.scan, "risk": inputs.risk, "attack": inputs.attacks,
               "memorization": inputs.memorization, "language_model": inputs.language_model,
               "tradeoff": inputs.tradeoff, "federated": inputs.federated}
    seeds: dict[str, Any] = {}
    settings: dict[str, Any] = {"global": _global_settings()}
    seconds: dict[str, float] = {}
    for key, res in results.items():
        if res is None or isinstance(res, (list, tuple)):
            continue
        seed = get(res, "seed")
        if seed is None:
            seed = get(get(res, "config", "settings"), "seed")
        if seed is not None:
            seeds[key] = to_jsonable(seed)
        step_settings = get(res, "settings", "config", "options")
        if step_settings is not None:
            settings[key] = to_jsonable(step_settings)
        secs = num(get(res, "seconds", "elapsed_seconds", "duration_seconds"))
        if secs is None:  # the training time of the runs and models inside (trade-off, memorization)
            inner = [num(get(r, "train_seconds")) for r in as_list(get(res, "runs", "models", default=[]))]
            inner = [v for v in inner if v is not None]
            secs = round(sum(inner), 4) if inner else None
        if secs is not None:
            seconds[key] = secs
    seeds.update(to_jsonable(dict(inputs.seeds)))
    for k, v in dict(inputs.settings).items():
        settings[k] = to_jsonable(v)
    seconds.update({k: float(v) for k, v in dict(inputs.seconds).items()})
    seconds.setdefault("report", round(elapsed, 4))
    if "total" not in seconds:
        seconds["total"] = round(sum(v for k, v in seconds.items() if k != "total"), 4)
    versions = package_versions()
    try:
        from importlib import metadata

        for name in ("plotly", "streamlit", "sqlalchemy"):
            versions.setdefault(name, metadata.version(name))
    except Exception:
        pass
    return Provenance(dataset=_dataset_fingerprint(inputs.table), model=_model_fingerprint(inputs),
                      seeds=seeds, settings=settings, package_versions=versions, seconds=seconds,
                      tool_version=__version__, steps=inputs.present())


def describe_model(bundle: Any) -> Optional[dict[str, Any]]:
    """A JSON-safe description of a model bundle (a TrainedModel, a loaded-model record or a dict) with a
    fingerprint: the file's SHA-256 when the bundle carries one, else a hash of its description."""
    import hashlib
    import json

    if bundle is None:
        return None
    raw = bundle.to_dict() if hasattr(bundle, "to_dict") else (dict(bundle) if isinstance(bundle, Mapping) else {})
    info: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("model", "members", "non_members", "population", "member_rows") or hasattr(value, "shape"):
            continue  # the model object and data rows (which may hold identifiers) stay out of reports
        value = to_jsonable(value)
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue  # the model object itself, data frames, ...
        if isinstance(value, (list, dict)) and len(json.dumps(value)) > 4000:
            continue
        info[str(key)] = value
    if not info:
        info = {"name": type(bundle).__name__}
    fingerprint = next((info[k] for k in ("fingerprint", "sha256", "model_sha256", "file_sha256") if info.get(k)), None)
    if fingerprint is None:
        fingerprint = _model_content_hash(get(bundle, "model"))
    if fingerprint is None:
        fingerprint = "settings:" + hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()[:16]
    info["fingerprint"] = fingerprint
    info.setdefault("name", info.get("recipe") or info.get("name") or type(bundle).__name__)
    return info


def _model_content_hash(model: Any) -> Optional[str]:
    """SHA-256 of a fitted model's content: Keras weights, or the pickled bytes of a scikit-learn
    estimator (pickle.dumps only, nothing is ever unpickled)."""
    import hashlib
    import pickle

    if model is None:
        return None
    digest = hashlib.sha256()
    try:
        if hasattr(model, "get_weights"):
            for w in model.get_weights():
                digest.update(memoryview(w).tobytes())
        else:
            digest.update(pickle.dumps(model, protocol=4))
    except Exception:
        return None
    return "sha256:" + digest.hexdigest()
