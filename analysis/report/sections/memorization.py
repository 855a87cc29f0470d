"""The memorization section: canary exposure per model, rated on the non-private one."""

from __future__ import annotations

import math
from typing import Any

from analysis.report.model import ReportInputs, ReportTable, Section
from analysis.report.values import as_epsilon, as_list, eps_text, fmt, get, num


def _baseline_model(models: list[Any]) -> Any:
    for m in models:
        if math.isinf(as_epsilon(get(m, "epsilon"))):
            return m
    return models[0] if models else None


def memorization_section(mem: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any]]:
    bits = num(get(mem, "secret_space_bits"))
    models = as_list(get(mem, "models", default=[]))
    rows, metrics = [], {"secret_space_bits": bits}
    for m in models:
        name = str(get(m, "name", default="model"))
        eps = as_epsilon(get(m, "epsilon"))
        for c in as_list(get(m, "canaries", default=[])):
            reps, exp = get(c, "repeats"), num(get(c, "exposure"))
            rows.append([name, eps_text(eps), reps, exp, bool(get(c, "extracted", default=False))])
        exposures = [num(get(c, "exposure")) for c in as_list(get(m, "canaries", default=[]))]
        exposures = [e for e in exposures if e is not None]
        metrics[f"{name}.max_exposure"] = max(exposures) if exposures else None
        metrics[f"{name}.extracted"] = sum(bool(get(c, "extracted", default=False))
                                           for c in as_list(get(m, "canaries", default=[])))
    base = _baseline_model(models)
    base_exp = None
    if base is not None:
        exps = [num(get(c, "exposure")) for c in as_list(get(base, "canaries", default=[]))]
        exps = [e for e in exps if e is not None]
        base_exp = max(exps) if exps else None
    ratio = (base_exp / bits) if base_exp is not None and bits else None
    metrics["baseline_max_exposure_share"] = ratio
    verdict = get(mem, "verdict")
    sentence = str(verdict) if verdict else (
        f"The highest canary exposure is {fmt(base_exp)} of {fmt(bits)} bits." if base_exp is not None
        else "No canary exposure was measured.")
    table = ReportTable("Canaries", ["model", "privacy", "repeats", "exposure (bits)", "extracted"], rows)
    notes = []
    method = get(mem, "rank_method", "method")
    if method:
        notes.append(f"Rank computed by: {method}.")
    return (Section("memorization", "Memorization of rare secrets", sentence, metrics, [table], notes),
            {"share": ratio, "exposure": base_exp, "bits": bits, "verdict": verdict})
