"""Which figures each report section shows: the same functions the pages use (analysis/figures/*).

`section_figures(inputs)` returns {section key: [(title, go.Figure), ...]} for the results present.
A figure that cannot be drawn (a capability's figure module missing or failing on an older result)
is left out and named in `skipped`, so the report still renders.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Optional

from analysis.errors import safe_message
from analysis.report.model import ReportInputs
from analysis.report.values import get

# section key -> [(title, "module:function", how to get the argument from ReportInputs)]
_WIRING: dict[str, list[tuple[str, str, Callable[[ReportInputs], Any]]]] = {
    "scan": [
        ("Column kinds", "analysis.figures.pii:kind_bar", lambda i: i.scan),
        ("Entities by column", "analysis.figures.pii:entity_heatmap", lambda i: i.scan),
    ],
    "risk": [
        ("Equivalence class sizes", "analysis.figures.risk:class_size_histogram", lambda i: i.risk),
        ("Re-identification risk per record", "analysis.figures.risk:risk_distribution", lambda i: i.risk),
        ("Riskiest quasi-identifier combinations", "analysis.figures.risk:riskiest_combinations", lambda i: i.risk),
    ],
    "attack": [
        ("Membership-inference ROC (log-log)", "analysis.figures.attacks:roc_figure", lambda i: _attack_list(i)),
        ("TPR at low false-positive rates", "analysis.figures.attacks:tpr_at_fpr_figure", lambda i: _attack_list(i)),
    ],
    "memorization": [
        ("Exposure versus insertion count", "analysis.figures.memorization:exposure_vs_repeats",
         lambda i: i.memorization),
        ("Extraction by insertion count", "analysis.figures.memorization:extraction_by_repeats",
         lambda i: i.memorization),
    ],
    "language_model": [
        ("Membership inference on documents (log-log ROC)", "analysis.figures.text_lm:roc_log_log",
         lambda i: i.language_model),
        ("Canary exposure by insertion count", "analysis.figures.text_lm:exposure_by_repeats",
         lambda i: i.language_model if i.language_model is not None and i.language_model.canaries else None),
        ("PII in sampled generations by type", "analysis.figures.text_lm:extracted_pii_by_type",
         lambda i: i.language_model if i.language_model is not None and i.language_model.extraction else None),
    ],
    "tradeoff": [
        ("Utility versus measured leakage", "analysis.figures.tradeoff:strategies_figure", lambda i: i.tradeoff),
        ("Attack success against the DP bound", "analysis.figures.tradeoff:attack_vs_bound", lambda i: i.tradeoff),
    ],
    "federated": [
        ("Utility per round", "analysis.figures.federated:rounds_figure", lambda i: i.federated),
        ("Membership attacks on the final models", "analysis.figures.federated:attack_figure", lambda i: i.federated),
    ],
}


def _resolve(target: str) -> Optional[Callable[..., Any]]:
    module_name, func_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, func_name, None)


def section_figures(inputs: ReportInputs, *, skipped: Optional[list[str]] = None) -> dict[str, list[tuple[str, Any]]]:
    """Figures for every section whose result is present."""
    out: dict[str, list[tuple[str, Any]]] = {}
    present = set(inputs.present())
    for key, entries in _WIRING.items():
        if key not in present:
            continue
        for title, target, arg in entries:
            func = _resolve(target)
            if func is None:
                if skipped is not None:
                    skipped.append(f"{title} ({target} not available)")
                continue
            try:
                value = arg(inputs)
                if value is None:
                    continue
                fig = func(value)
            except Exception as exc:  # a figure must never sink the report
                if skipped is not None:
                    skipped.append(f"{title} ({safe_message(exc)})"[:200])
                continue
            if fig is not None:
                out.setdefault(key, []).append((title, fig))
    return out


def _attack_list(inputs: ReportInputs) -> Any:
    inner = get(inputs.attacks, "attacks")
    attacks = inner if inner is not None else inputs.attacks
    return list(attacks) or None
