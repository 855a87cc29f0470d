"""`scan_table`: classify every column of a table from a sample of rows, confirming on all rows
where the sample is borderline."""

from __future__ import annotations

import time
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analysis.pii.columns import classify_column, needs_confirmation, plan_columns
from analysis.pii.distributed import scan_partitions
from analysis.pii.engine import engine_facts
from analysis.pii.findings import ScanResult
from analysis.pii.refine import refine_findings
from analysis.progress import ProgressCallback, report, scaled
from analysis.settings import get_settings


def scan_table(frame: pd.DataFrame, *, sample_rows: Optional[int] = None, allow_list: Sequence[str] = (),
               deny_list: Sequence[str] = (), score_threshold: Optional[float] = None, backend: str = "auto",
               seed: Optional[int] = None, progress: Optional[ProgressCallback] = None) -> ScanResult:
    """Find personal data in every column of `frame`.

    sample_rows: rows read to classify (default: setting pii_sample_rows; 0 or >= len(frame) reads
    all). allow_list: values never counted as PII; deny_list: terms always flagged (DENY_LIST).
    score_threshold: minimum entity score (default: setting pii_score_threshold). backend: "auto"
    (Ray when RAY_ADDRESS is set, joblib for big jobs, else in process), "serial", "joblib", "ray", or
    "workers" (the app's worker pool, `analysis.worker_pool`: the engine loads there, not here).
    """
    start = time.perf_counter()
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if frame.shape[1] == 0:
        raise ValueError("frame has no columns")
    settings = get_settings()
    if sample_rows is None:
        sample_rows = settings.pii_sample_rows
    if isinstance(sample_rows, bool) or not isinstance(sample_rows, (int, np.integer)) or sample_rows < 0:
        raise ValueError(f"sample_rows must be a non-negative int, got {sample_rows!r}")
    threshold = settings.pii_score_threshold if score_threshold is None else float(score_threshold)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"score_threshold must be in [0, 1], got {score_threshold!r}")
    for label, items in (("allow_list", allow_list), ("deny_list", deny_list)):
        if isinstance(items, str):
            raise ValueError(f"{label} must be a list of strings, not a single string {items!r}")
    seed = settings.seed if seed is None else int(seed)
    allow = [str(a) for a in allow_list if str(a).strip()]
    deny = [str(d) for d in deny_list if str(d).strip()]

    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)  # a view (copy-on-write), not a copy
    rows = len(frame)
    report(progress, 0.0, "loading the analyzer")
    if backend == "workers":  # the engine lives in the pool's workers only
        from analysis.compute import parallel_map

        engine = parallel_map(engine_facts, [settings.spacy_model], backend="workers",
                              label="loading the analyzer", progress=scaled(progress, 0.0, 0.05))[0]
    else:
        engine = engine_facts(settings.spacy_model)
    sampled = 0 < sample_rows < rows
    if sampled:
        rng = np.random.default_rng(seed)
        positions = np.sort(rng.choice(rows, size=sample_rows, replace=False))
        sample = frame.iloc[positions].reset_index(drop=True)
    else:
        sample = frame.reset_index(drop=True)
    plans = plan_columns(sample, has_ner=engine["has_ner"])
    report(progress, 0.05, f"classifying {len(plans)} columns from {len(sample):,} rows")
    stats = scan_partitions(sample, plans, backend=backend, threshold=threshold, allow=allow, deny=deny,
                            progress=scaled(progress, 0.05, 0.8), label="sample partition")
    nonnull = frame.notna().sum()
    confirm = [p for p in plans if sampled and needs_confirmation(p, stats[p.name])]
    if confirm:
        report(progress, 0.8, f"confirming {len(confirm)} borderline column(s) on all rows")
        full = scan_partitions(frame.reset_index(drop=True)[[p.name for p in confirm]], confirm, backend=backend,
                               threshold=threshold, allow=allow, deny=deny,
                               progress=scaled(progress, 0.8, 0.98), label="confirmation partition")
        stats.update(full)
    confirmed = {p.name for p in confirm}
    findings = [classify_column(p, stats[p.name], sampled=sampled and p.name not in confirmed,
                                score_threshold=threshold, total_nonnull=int(nonnull[p.name]),
                                confirmed=p.name in confirmed) for p in plans]
    # record keys, one-word names, Art. 9/10, shapes: on the rows read (a key of a person is unique in a
    # sample too; a column repeating a person's key across rows still identifies that person)
    findings = refine_findings(sample, findings, allow)
    report(progress, 1.0, "scan done")
    return ScanResult(
        columns=findings, rows=rows, seconds=round(time.perf_counter() - start, 3),
        sample_rows=len(sample), ner_model=engine["ner_model"], notes=engine["notes"],
        settings={"sample_rows": int(sample_rows), "score_threshold": threshold, "allow_list": allow,
                  "deny_list": deny, "backend": backend, "seed": seed, "spacy_model": settings.spacy_model,
                  "min_prevalence_default": 0.5, "confirmed_columns": sorted(confirmed)})
