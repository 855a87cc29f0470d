"""The trade-off section: accuracy and attack success per privacy budget, and the recommended budget.

The recommended budget is analysis.tradeoff's own (`TradeoffResult.recommended_epsilon` and
`.recommended_accuracy_kept`, both from `choose_budget`); the report only reads it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional

from analysis.report.model import ReportInputs, ReportTable, Section
from analysis.report.sections.attack import strongest_attack, tpr_at
from analysis.report.values import as_epsilon, as_list, eps_text, get, num

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


def tradeoff_section(tradeoff: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any]]:
    summary = as_list(get(tradeoff, "summary", default=[]))
    rows, metrics = [], {}
    for s in summary:
        eps = as_epsilon(get(s, "epsilon_target"))
        model = str(get(s, "model", default=""))
        label = str(get(s, "label", default=eps_text(eps)))
        tpr3, tpr2 = num(get(s, "tpr_at_0_1pct")), num(get(s, "tpr_at_1pct"))
        acc = num(get(s, "accuracy"))
        rows.append([label, model, num(get(s, "epsilon")), acc, num(get(s, "accuracy_std")),
                     num(get(s, "roc_auc")), tpr3, tpr2, get(s, "runs")])
        tag = ("baseline" if model not in ("keras_mlp", "") else
               "non_private" if math.isinf(eps) else f"eps_{eps:g}")
        metrics[f"{tag}.accuracy"] = acc
        metrics[f"{tag}.tpr_at_0.001_fpr"] = tpr3
    if not summary:  # an older or foreign result: one row per run
        for r in as_list(get(tradeoff, "runs", default=[])):
            eps = as_epsilon(get(r, "epsilon_target", "epsilon"))
            attack = strongest_attack(get(r, "attacks", default=[]))
            rows.append([eps_text(eps), str(get(r, "model", "mode", default="")), num(get(r, "epsilon")),
                         num(get(r, "accuracy")), None, num(get(r, "roc_auc")),
                         tpr_at(attack, "0.001") if attack is not None else None,
                         tpr_at(attack, "0.01") if attack is not None else None, 1])
    rec_eps, kept = recommended_budget(tradeoff)
    rec = get(tradeoff, "recommendation")
    sentence = str(rec or "The trade-off grid ran; no DP option was recommended.")
    metrics["recommended_epsilon"] = rec_eps
    metrics["recommended_accuracy_kept"] = kept
    notes = [str(w) for w in as_list(get(tradeoff, "warnings", default=[]))[:5]]
    table = ReportTable("Budgets (means over seeds)", ["budget", "model", "ε spent (RDP)", "accuracy",
                                                       "accuracy sd", "ROC AUC", "TPR at 0.1% FPR",
                                                       "TPR at 1% FPR", "seeds"], rows)
    return (Section("tradeoff", "Privacy-utility trade-off", sentence, metrics, [table], notes),
            {"kept": kept, "eps": rec_eps, "sentence": sentence})
