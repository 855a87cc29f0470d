"""The federated section: centralized and federated runs side by side."""

from __future__ import annotations

from typing import Any

from analysis.report.model import ReportInputs, ReportTable, Section
from analysis.report.sections.attack import strongest_attack, tpr_at
from analysis.report.values import as_list, get, num, share_cell


def federated_section(fed: Any, inputs: ReportInputs) -> Section:
    runs = as_list(get(fed, "runs", default=fed if isinstance(fed, (list, tuple)) else [fed]))
    rows = []
    metrics: dict[str, Any] = {}
    names = {"centralized": "Centralized", "fedavg": "FedAvg", "dp-fedavg": "DP-FedAvg"}
    for r in runs:
        strategy = str(get(r, "strategy", "mode", default="federated"))
        name = names.get(strategy, strategy)
        acc = num(get(r, "accuracy_score", "accuracy", "final_accuracy"))
        ceps, seps = num(get(r, "client_epsilon")), num(get(r, "sample_epsilon"))
        attack = strongest_attack(get(r, "attacks", default=[]))
        tpr = tpr_at(attack, "0.001") if attack is not None else None
        rows.append([name, get(r, "clients"), get(r, "rounds"), share_cell(acc), ceps, seps, share_cell(tpr, 2),
                     num(get(attack, "auc")) if attack is not None else None])
        metrics[f"{strategy}.accuracy"] = acc
        metrics[f"{strategy}.tpr_at_0.001_fpr"] = tpr
        metrics[f"{strategy}.client_epsilon"] = ceps
    protects = [str(get(r, "protects")) for r in runs if get(r, "protects") and get(r, "mode") == "federated"]
    sentence = (protects[-1] if protects else
                "Federated training keeps raw rows with each data holder and shares only model updates; it does "
                "not by itself stop the final model from leaking membership — DP on the aggregate bounds that.")
    table = ReportTable("Centralized and federated runs", ["run", "clients", "rounds", "accuracy", "client ε",
                                                           "sample ε", "TPR at 0.1% FPR", "attack AUC"], rows)
    notes = ["Client-level and sample-level ε are different privacy units; they are never added or compared."]
    return Section("federated", "Federated training", sentence, metrics, [table], notes)
