"""Figures of the privacy-utility comparison (`analysis.strategies.StrategyComparison`).

- `strategies_figure`: every protection, utility against the strongest attack's TPR at 0.1% FPR, one
  marker per option, with the DP bound where it applies.
- `attack_vs_bound`: each option's strongest attack ROC (log-log) beside the bound its per-record
  (epsilon, delta) guarantee puts on any attack: TPR <= e^epsilon * FPR + delta.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from analysis.figures import PERCENT_TICKS
from analysis.tradeoff import KERAS_MODEL, dp_bound_tpr

_PALETTE = qualitative.Plotly
_METRICS = {"accuracy": "accuracy", "roc_auc": "ROC AUC", "f1": "F1"}


def _color(i: int) -> str:
    return _PALETTE[i % len(_PALETTE)]


def attack_vs_bound(result, *, seed: int | None = None) -> go.Figure:
    """ROC of the strongest attack (analysis.attacks.metrics.strongest) per protection for one seed, and
    the DP bound of each per-record epsilon."""
    from analysis.attacks.metrics import strongest

    seed = result.config.training.seed if seed is None else seed
    fig = go.Figure()
    grid = np.logspace(-4, 0, 200)
    runs = [r for r in result.runs if r.seed == seed and r.model == KERAS_MODEL and r.attacks]
    for i, run in enumerate(runs):
        attack = strongest(run.attacks)
        color = _color(i)
        fpr = np.maximum(np.asarray(attack.roc_fpr, dtype=float), 1e-4)
        fig.add_trace(go.Scatter(
            x=fpr, y=np.maximum(np.asarray(attack.roc_tpr, dtype=float), 1e-4), mode="lines",
            name=f"{run.budget_label}: {attack.name} attack (AUC {attack.auc:.3f})", line=dict(color=color),
            hovertemplate="FPR %{x:.4f}<br>TPR %{y:.4f}<extra></extra>"))
        if run.private and run.unit == "record":
            fig.add_trace(go.Scatter(
                x=grid, y=dp_bound_tpr(run.epsilon, run.delta or 0.0, grid), mode="lines",
                name=f"{run.budget_label}: DP bound e^{run.epsilon:.2f}·FPR + δ",
                line=dict(color=color, dash="dash"), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=grid, y=grid, mode="lines", name="chance (TPR = FPR)",
                             line=dict(color="#999", dash="dot"), hoverinfo="skip"))
    fig.update_layout(title=f"Membership attack vs the DP guarantee (seed {seed})",
                      xaxis=dict(type="log", title="false positive rate", range=[-4, 0]),
                      yaxis=dict(type="log", title="true positive rate", range=[-4, 0]),
                      legend=dict(font=dict(size=10)), margin=dict(t=60))
    return fig


_SYMBOLS = {"none": "circle", "anonymized": "square", "dp": "diamond", "federated": "triangle-up",
            "dp-federated": "triangle-down", "anonymized+dp": "star", "federated+dp": "hexagon",
            "baseline": "x"}
_TPR_FLOOR = 1e-4  # a measured TPR of 0 is drawn here on the log axis (the hover says 0)


def strategies_figure(result, metric: str = "accuracy", *, fpr: float = 0.001) -> go.Figure:
    """Utility against measured leakage, one marker per option (means over seeds): x = the strongest
    attack's TPR at `fpr` (log), y = `metric` on held-out rows. Options with a per-record epsilon also get
    their DP bound at the same FPR (e^epsilon * FPR + delta: no attack can do better) as an open marker
    joined by a dashed line per strategy. A client-level epsilon bounds a client's participation, not a
    record's, so DP-FedAvg gets no bound here. Markers carry no text labels (ten runs' labels overlap): the
    legend names each strategy and the hover each option."""
    from analysis.strategies import guarantee_text
    from analysis.tradeoff import strategy_of, unit_of

    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {list(_METRICS)}, got {metric!r}")
    key = {"0.001": "tpr_at_0_1pct", "0.01": "tpr_at_1pct"}[f"{fpr:g}"]
    fig = go.Figure()
    order = list(_SYMBOLS)
    for i, strategy in enumerate(order):
        rows = [s for s in result.summary if strategy_of(s) == strategy]
        if not rows:
            continue
        color = _color(i)
        tpr = [getattr(s, key) for s in rows]
        fig.add_trace(go.Scatter(
            x=[max(t, _TPR_FLOOR) if t == t else None for t in tpr], y=[getattr(s, metric) for s in rows],
            mode="markers", name=rows[0].label if len(rows) == 1 else rows[0].label.split(" ε")[0],
            text=[s.label for s in rows],
            marker=dict(symbol=_SYMBOLS[strategy], size=13, color=color, line=dict(width=1, color="#333")),
            error_y=dict(type="data", array=[s.accuracy_std for s in rows], visible=metric == "accuracy"),
            customdata=[[guarantee_text(unit_of(s), s.epsilon, s.k), t, s.runs] for s, t in zip(rows, tpr)],
            hovertemplate="%{text}<br>guarantee: %{customdata[0]}<br>TPR %{customdata[1]:.2%}<br>"
                          + _METRICS[metric] + " %{y:.3f}<br>seeds: %{customdata[2]}<extra></extra>"))
        bounded = sorted((s for s in rows if unit_of(s) == "record" and s.epsilon == s.epsilon
                          and s.epsilon < float("inf")), key=lambda s: s.epsilon)
        if bounded:
            fig.add_trace(go.Scatter(
                x=[float(dp_bound_tpr(s.epsilon, s.delta or 0.0, [fpr])[0]) for s in bounded],
                y=[getattr(s, metric) for s in bounded], mode="lines+markers",
                name=f"DP bound of {rows[0].label.split(' ε')[0]} (e^ε·FPR + δ)",
                line=dict(color=color, dash="dash"), marker=dict(symbol="circle-open", size=10, color=color),
                text=[s.label for s in bounded],
                hovertemplate="%{text}: no attack can exceed TPR %{x:.2%} at this FPR<extra></extra>"))
    fig.add_vline(x=fpr, line_dash="dot", line_color="#999", annotation_text="chance (TPR = FPR)",
                  annotation_position="bottom right")
    fig.update_layout(title=f"{_METRICS[metric]} vs measured leakage (strongest attack, TPR at {fpr:.1%} FPR)",
                      xaxis=dict(type="log", title=f"TPR at {fpr:.1%} FPR (log; lower = leaks less)",
                                 range=[-4.3, 0], tickformat=PERCENT_TICKS),
                      yaxis_title=_METRICS[metric], legend=dict(orientation="h", y=-0.25), margin=dict(t=60, b=40))
    return fig
