"""Federated runs as rows of the privacy-utility table (client- and sample-level epsilon kept apart)."""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from analysis.privacy.federated.results import FederatedResult


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def tradeoff_rows(runs: Sequence[FederatedResult]) -> list[dict[str, Any]]:
    """Rows for the privacy-utility table, in its column names (analysis.tradeoff.TradeoffResult.table).

    "epsilon (RDP)" / "epsilon (PLD)" stay sample-level (DP-SGD inside the clients, None otherwise), as
    for the DP-SGD rows; the client-level epsilon of DP-FedAvg goes in its own "client epsilon" column.
    """
    rows = []
    for r in runs:
        best = r.strongest_attack()
        sample, client = r.sample_privacy, r.client_privacy
        rows.append({
            "model": (f"{r.name} ({r.clients} clients, {_plural(r.rounds, 'round')})" if r.mode == "federated"
                      else f"{r.name} ({_plural(r.rounds, 'round')})"),
            "mode": r.mode, "client epsilon": client.epsilon if client else None,
            "client epsilon (PLD)": client.pld_epsilon if client else None,
            "epsilon (RDP)": sample.epsilon if sample else None,
            "epsilon (PLD)": getattr(sample, "pld_epsilon", None) if sample else None,
            "noise multiplier": client.noise_multiplier if client else None,
            "accuracy": r.accuracy_score, "ROC AUC": r.roc_auc_score, "F1": r.f1_score,
            "TPR @ 0.1% FPR": best.tpr_at_fpr.get("0.001") if best else None,
            "TPR @ 1% FPR": best.tpr_at_fpr.get("0.01") if best else None,
            "attack AUC": best.auc if best else None, "train s": r.seconds})
    return rows


def combined_table(tradeoff, runs: Sequence[FederatedResult]):
    """The DP trade-off table (analysis.tradeoff.TradeoffResult.table()) with the federated runs appended.

    Adds "mode" (centralized / federated) and "client epsilon" columns; "epsilon (RDP)"/"epsilon (PLD)"
    stay sample-level for every row, so the two units never share a column.
    """
    base = tradeoff.table().copy() if tradeoff is not None else pd.DataFrame()
    if not base.empty:
        base.insert(1, "mode", "centralized")
        base["client epsilon"] = None
    extra = pd.DataFrame(tradeoff_rows([r for r in runs if r.mode == "federated"]))
    extra = extra.drop(columns=["client epsilon (PLD)"], errors="ignore")
    return pd.concat([base, extra], ignore_index=True) if not base.empty else extra
