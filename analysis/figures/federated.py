"""Figures of the federated comparison (plotly only; no metric is computed here).

`rounds_figure(runs)` draws utility per round for centralized, FedAvg and DP-FedAvg on one chart;
`attack_figure(runs)` draws the strongest membership attack (by TPR at 0.1% FPR) of each run's final model.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import plotly.graph_objects as go

_COLORS = {"centralized": "#4c78a8", "fedavg": "#f58518", "dp-fedavg": "#54a24b"}
_DASH = {"centralized": "solid", "fedavg": "dash", "dp-fedavg": "dot"}
METRICS = {"accuracy_score": "Accuracy (held-out rows)", "log_loss": "Log loss (held-out rows)",
           "train_accuracy_score": "Accuracy (training rows)"}


def _runs(runs) -> list:
    """Accept a FederatedComparison, one result, or a sequence of results."""
    if hasattr(runs, "runs"):
        return list(runs.runs)
    if hasattr(runs, "history"):
        return [runs]
    return list(runs)


def run_label(run) -> str:
    """The legend name of a run, with its epsilon (client-level and sample-level told apart)."""
    name = {"centralized": "Centralized", "fedavg": "FedAvg", "dp-fedavg": "DP-FedAvg"}.get(run.strategy,
                                                                                        run.strategy)
    if run.mode == "federated":
        name += f" ({run.clients} clients)"
    parts = []
    if run.client_epsilon is not None:
        parts.append(f"client ε={run.client_epsilon:.2g}")
    if run.sample_epsilon is not None:
        parts.append(f"sample ε={run.sample_epsilon:.2g}")
    return f"{name}, {', '.join(parts)}" if parts else name


def rounds_figure(runs: Iterable, *, metric: str = "accuracy_score") -> go.Figure:
    """Utility per round (round 0 = initial weights) for every run, on one chart.

    A centralized "round" is the same number of epochs over the pooled data as one federated round.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    fig = go.Figure()
    for run in _runs(runs):
        xs = [h.round for h in run.history]
        ys = [getattr(h, metric) for h in run.history]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines+markers", name=run_label(run),
            line=dict(color=_COLORS.get(run.strategy), dash=_DASH.get(run.strategy, "solid")),
            hovertemplate=f"round %{{x}}<br>{METRICS[metric]}: %{{y:.3f}}<extra>{run_label(run)}</extra>"))
    fig.update_layout(title=f"{METRICS[metric]} per round: centralized vs federated",
                      xaxis_title="round (0 = initial model)", yaxis_title=METRICS[metric],
                      legend=dict(orientation="h", y=-0.25), margin=dict(t=60, b=40))
    fig.update_xaxes(dtick=1)
    return fig


def attack_figure(runs: Sequence) -> go.Figure:
    """AUC and TPR at 0.1% FPR of each run's strongest membership attack (`strongest`: ranked by TPR at
    0.1% FPR), so the bar shows the metric that picked the attack."""
    runs = _runs(runs)
    names, aucs, tprs = [], [], []
    for run in runs:
        best = run.strongest_attack()
        if best is None:
            continue
        names.append(run_label(run))
        aucs.append(best.auc)
        tprs.append(best.tpr_at_fpr.get("0.001"))
    fig = go.Figure([go.Bar(name="attack AUC", x=names, y=aucs),
                     go.Bar(name="TPR at 0.1% FPR", x=names, y=tprs)])
    fig.add_hline(y=0.5, line_dash="dot", annotation_text="AUC of guessing", annotation_position="top left")
    fig.update_layout(barmode="group", title="Strongest attack (by TPR at 0.1% FPR) on the final models",
                      yaxis_title="rate", yaxis_range=[0, 1], margin=dict(t=60, b=40))
    return fig
