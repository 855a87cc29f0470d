"""The trade-off section: accuracy, guarantee and attack success per protection (DP-SGD budgets, and
with analysis.strategies anonymization, federated training and their combinations), and the recommended
option.

The recommendation is analysis.tradeoff's own (`recommended_epsilon`, `recommended_accuracy_kept` and,
for a strategy comparison, `recommended`, all from `choose_budget`); the report only reads it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional

from analysis.report.model import ReportInputs, ReportTable, Section
from analysis.report.sections.attack import strongest_attack, tpr_at
from analysis.report.values import as_epsilon, as_list, eps_text, get, num, share_cell

_NOT_GIVEN = object()


def recommended_budget(tradeoff: Any) -> tuple[Optional[float], Optional[float]]:
    """(epsilon, share of non-private accuracy kept) of the budget the trade-off recommends.

    Read from the result; a result without these fields (its summary held as plain rows, e.g. an older
    stored one) gets them from the same rule, `analysis.tradeoff.choose_budget`, applied once here.
    """
    eps = get(tradeoff, "recommended_epsilon", default=_NOT_GIVEN)
    if eps is not _NOT_GIVEN:
        return num(eps), num(get(tradeoff, "recommended_accuracy_kept"))
    from analysis.tradeoff import BudgetSummary, accuracy_kept, choose_budget

    def budget(row: Any) -> BudgetSummary:
        if isinstance(row, BudgetSummary):
            return row
        values = {f.name: get(row, f.name) for f in dataclasses.fields(BudgetSummary)}
        accuracy = num(values["accuracy"])
        return BudgetSummary(**{**values, "epsilon_target": as_epsilon(values["epsilon_target"]),
                                "accuracy": math.nan if accuracy is None else accuracy})

    chosen, reference, _ = choose_budget([budget(s) for s in as_list(get(tradeoff, "summary", default=[]))])
    return (chosen.epsilon_target if chosen else None), accuracy_kept(chosen, reference)


def _tag(strategy: str, eps: Optional[float], model: str) -> str:
    """The metric prefix of one option: the DP grid's names (non_private, eps_1, baseline) kept for history
    comparisons with older runs; other strategies by name, with their budget (anonymized+dp.eps_2)."""
    if strategy == "baseline" or model not in ("keras_mlp", ""):
        return "baseline"
    if strategy == "none":
        return "non_private"
    if strategy == "dp":
        return f"eps_{eps:g}"
    return strategy if eps is None or math.isinf(eps) else f"{strategy}.eps_{eps:g}"


def tradeoff_section(tradeoff: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any]]:
    """One row per option (means over seeds) of a strategy comparison (analysis.strategies) or a DP grid
    (analysis.tradeoff), from the result or its JSON form."""
    from analysis.strategies import guarantee_text
    from analysis.tradeoff import strategy_of

    summary = as_list(get(tradeoff, "summary", default=[]))
    rows, metrics = [], {}
    for s in summary:
        eps = as_epsilon(get(s, "epsilon_target"))
        model = str(get(s, "model", default=""))
        strategy = strategy_of({"strategy": get(s, "strategy"), "model": model, "epsilon_target": eps})
        label = str(get(s, "label", default=eps_text(eps)))
        unit = get(s, "unit") or ("record" if strategy == "dp" else "none")
        tpr3, tpr2 = num(get(s, "tpr_at_0_1pct")), num(get(s, "tpr_at_1pct"))
        acc = num(get(s, "accuracy"))
        rows.append([label, guarantee_text(unit, num(get(s, "epsilon")), num(get(s, "k"))), num(get(s, "epsilon")),
                     share_cell(acc), share_cell(get(s, "accuracy_std")) if (get(s, "runs") or 0) > 1 else None,
                     num(get(s, "roc_auc")), share_cell(tpr3, 2),
                     share_cell(tpr2, 2), get(s, "runs")])
        tag = _tag(strategy, eps, model)
        metrics[f"{tag}.accuracy"] = acc
        metrics[f"{tag}.tpr_at_0.001_fpr"] = tpr3
        if num(get(s, "k")) is not None:
            metrics[f"{tag}.k"] = num(get(s, "k"))
    if not summary:  # an older or foreign result: one row per run
        for r in as_list(get(tradeoff, "runs", default=[])):
            eps = as_epsilon(get(r, "epsilon_target", "epsilon"))
            attack = strongest_attack(get(r, "attacks", default=[]))
            rows.append([str(get(r, "name", default=eps_text(eps))), get(r, "unit", default=""),
                         num(get(r, "epsilon")), share_cell(get(r, "accuracy", "accuracy_score")), None,
                         num(get(r, "roc_auc", "roc_auc_score")),
                         share_cell(tpr_at(attack, "0.001"), 2) if attack is not None else None,
                         share_cell(tpr_at(attack, "0.01"), 2) if attack is not None else None, 1])
    rec_eps, kept = recommended_budget(tradeoff)
    rec = get(tradeoff, "recommendation")
    sentence = str(rec or "The trade-off grid ran; no protection was recommended.")
    metrics["recommended_epsilon"] = rec_eps
    metrics["recommended_accuracy_kept"] = kept
    option = get(tradeoff, "recommended")
    if option is not None:
        metrics["recommended_option"] = str(option)
    skipped = [f"{get(x, 'strategy')} skipped: {get(x, 'reason')}" for x in as_list(get(tradeoff, "skipped", default=[]))]
    notes = skipped + [str(w) for w in as_list(get(tradeoff, "warnings", default=[]))[:5]]
    table = ReportTable("Protections (means over seeds)", ["option", "guarantee", "ε spent (RDP)", "accuracy",
                                                           "accuracy sd", "ROC AUC", "TPR at 0.1% FPR",
                                                           "TPR at 1% FPR", "seeds"], rows)
    # The summary line names an epsilon only for an option that has one (DP-SGD on any data).
    eps_fact = (rec_eps if rec_eps is not None and math.isfinite(rec_eps)
                and get(tradeoff, "recommended_strategy") != "dp-federated" else None)
    return (Section("tradeoff", "Privacy-utility trade-off", sentence, metrics, [table], notes),
            {"kept": kept, "eps": eps_fact, "sentence": sentence})
