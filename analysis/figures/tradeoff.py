"""Figures of the privacy-utility trade-off (`analysis.tradeoff.TradeoffResult`).

- `utility_vs_epsilon`: a utility metric per budget, every seed as a dot, the mean with its seed
  spread (standard deviation) as a line, the logistic-regression baseline as a dashed reference.
- `attack_vs_bound`: each budget's strongest attack ROC (log-log) beside the bound that budget's
  (epsilon, delta) guarantee puts on any attack: TPR <= e^epsilon * FPR + delta.
- `training_curves`: loss per epoch (training and held-out) for each budget, first seed.
- `group_accuracy`: held-out accuracy per value of the group column, per budget.
- `strategies_figure`: every protection of an `analysis.strategies.StrategyComparison`, utility against
  the strongest attack's TPR at 0.1% FPR, one marker per option, with the DP bound where it applies.
  `utility_vs_epsilon` and `attack_vs_bound` draw a comparison too (the report calls them with either).
"""

from __future__ import annotations


import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from analysis.tradeoff import BASELINE_MODEL, KERAS_MODEL, TradeoffResult, budget_label, dp_bound_tpr

_PALETTE = qualitative.Plotly
_METRICS = {"accuracy": "accuracy", "roc_auc": "ROC AUC", "f1": "F1"}


def _budgets(result: TradeoffResult) -> list[float]:
    return list(result.config.epsilons)


def _color(i: int) -> str:
    return _PALETTE[i % len(_PALETTE)]


def federated_label(run) -> str:
    """The x category of a federated run: its client-level epsilon, never mixed with DP-SGD's."""
    name = "DP-FedAvg" if run.strategy == "dp-fedavg" else "FedAvg"
    text = f"{name} ({run.clients} clients)"
    if run.client_epsilon is not None:
        text += f", client ε = {run.client_epsilon:.2g}"
    if run.sample_epsilon is not None:
        text += f", sample ε = {run.sample_epsilon:.2g}"
    return text


def utility_vs_epsilon(result: TradeoffResult, metric: str = "accuracy", *, federated=None) -> go.Figure:
    """Utility per DP-SGD budget; `federated` (FederatedResult runs or a FederatedComparison) adds
    FedAvg / DP-FedAvg as diamonds at their own categories, labelled with *client-level* epsilon."""
    if hasattr(result, "skipped"):  # a StrategyComparison: every protection in one chart
        return strategies_figure(result, metric)
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {list(_METRICS)}, got {metric!r}")
    budgets = _budgets(result)
    labels = [budget_label(e) for e in budgets]
    fl_runs = [r for r in (getattr(federated, "runs", federated) or []) if r.mode == "federated"]
    fig = go.Figure()
    runs = result.keras_runs()
    fig.add_trace(go.Scatter(
        x=[budget_label(r.epsilon_target) for r in runs], y=[getattr(r, metric) for r in runs],
        mode="markers", name="each seed", marker=dict(size=7, opacity=0.45, color="#636EFA"),
        customdata=[[r.seed, r.epsilon] for r in runs],
        hovertemplate="%{x}<br>seed %{customdata[0]}<br>" + _METRICS[metric] + " %{y:.3f}<extra></extra>"))
    summary = {s.epsilon_target: s for s in result.summary if s.model == KERAS_MODEL}
    means = [getattr(summary[e], metric) if e in summary else None for e in budgets]
    error = [summary[e].accuracy_std if (e in summary and metric == "accuracy") else None for e in budgets]
    fig.add_trace(go.Scatter(
        x=labels, y=means, mode="lines+markers", name="mean over seeds", line=dict(color="#636EFA", width=3),
        error_y=dict(type="data", array=error, visible=metric == "accuracy"),
        hovertemplate="%{x}<br>mean " + _METRICS[metric] + " %{y:.3f}<extra></extra>"))
    if fl_runs:
        fl_labels = [federated_label(r) for r in fl_runs]
        labels = labels + [x for x in dict.fromkeys(fl_labels) if x not in labels]
        fig.add_trace(go.Scatter(
            x=fl_labels, y=[getattr(r, f"{metric}_score") for r in fl_runs], mode="markers",
            name="federated (ε is client-level)", marker=dict(symbol="diamond", size=12, color="#EF553B"),
            customdata=[[r.rounds, r.partition] for r in fl_runs],
            hovertemplate="%{x}<br>%{customdata[0]} rounds, partition %{customdata[1]}<br>" + _METRICS[metric]
                          + " %{y:.3f}<extra></extra>"))
    base = [s for s in result.summary if s.model == BASELINE_MODEL]
    if base:
        fig.add_hline(y=getattr(base[0], metric), line_dash="dash", line_color="#888",
                      annotation_text="logistic regression (non-private)", annotation_position="bottom right")
    fig.update_layout(title=f"{_METRICS[metric]} on held-out rows vs privacy budget",
                      xaxis_title=("target epsilon (smaller = more private)" if not fl_runs else
                                   "target epsilon: sample-level for DP-SGD, client-level for DP-FedAvg"),
                      yaxis_title=_METRICS[metric],
                      xaxis=dict(type="category", categoryorder="array", categoryarray=labels),
                      legend=dict(orientation="h", y=-0.25), margin=dict(t=60, b=40))
    return fig


def attack_vs_bound(result, *, seed: int | None = None) -> go.Figure:
    """ROC of the strongest attack (analysis.attacks.metrics.strongest) per budget (or per protection of
    a StrategyComparison) for one seed, and the DP bound of each per-record epsilon."""
    from analysis.attacks.metrics import strongest

    config = getattr(result.config, "training", result.config)
    seed = config.seed if seed is None else seed
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
        if run.private and getattr(run, "unit", "record") == "record":
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


def training_curves(result: TradeoffResult, *, seed: int | None = None) -> go.Figure:
    """Loss per epoch: solid = training (true, un-noised loss), dashed = held-out rows."""
    seed = result.config.seed if seed is None else seed
    fig = go.Figure()
    for i, eps in enumerate(_budgets(result)):
        run = next((r for r in result.keras_runs() if r.epsilon_target == eps and r.seed == seed), None)
        if run is None:
            continue
        for key, dash, suffix in (("loss", "solid", "train"), ("val_loss", "dash", "held-out")):
            values = run.history.get(key)
            if not values:
                continue
            fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=values, mode="lines+markers",
                                     name=f"{budget_label(eps)} {suffix}",
                                     line=dict(color=_color(i), dash=dash)))
    fig.update_layout(title=f"Training curves (seed {seed})", xaxis_title="epoch",
                      yaxis_title="cross-entropy loss", margin=dict(t=60))
    return fig


def group_accuracy(result: TradeoffResult) -> go.Figure:
    """Held-out accuracy per group value and budget (first seed), when a group column was chosen."""
    seed = result.config.seed
    fig = go.Figure()
    for i, eps in enumerate(_budgets(result)):
        run = next((r for r in result.keras_runs() if r.epsilon_target == eps and r.seed == seed), None)
        if run is None or not run.group_accuracy:
            continue
        fig.add_trace(go.Bar(x=list(run.group_accuracy), y=list(run.group_accuracy.values()),
                             name=budget_label(eps), marker_color=_color(i)))
    column = result.config.group_column or "group"
    fig.update_layout(title=f"Accuracy per {column} (seed {seed})", barmode="group",
                      xaxis_title=column, yaxis_title="accuracy", margin=dict(t=60))
    return fig


# -- every protection (analysis.strategies.StrategyComparison) -------------------------------------------

_SYMBOLS = {"none": "circle", "anonymized": "square", "dp": "diamond", "federated": "triangle-up",
            "dp-federated": "triangle-down", "anonymized+dp": "star", "federated+dp": "hexagon",
            "baseline": "x"}
_TPR_FLOOR = 1e-4  # a measured TPR of 0 is drawn here on the log axis (the hover says 0)


def strategies_figure(result, metric: str = "accuracy", *, fpr: float = 0.001) -> go.Figure:
    """Utility against measured leakage, one marker per option (means over seeds): x = the strongest
    attack's TPR at `fpr` (log), y = `metric` on held-out rows. Options with a per-record epsilon also get
    their DP bound at the same FPR (e^epsilon * FPR + delta: no attack can do better) as an open marker
    joined by a dashed line per strategy. A client-level epsilon bounds a client's participation, not a
    record's, so DP-FedAvg gets no bound here."""
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
            mode="markers+text", name=rows[0].label if len(rows) == 1 else rows[0].label.split(" ε")[0],
            text=[s.label for s in rows], textposition="middle right", textfont=dict(size=10),
            marker=dict(symbol=_SYMBOLS[strategy], size=13, color=color, line=dict(width=1, color="#333")),
            error_y=dict(type="data", array=[s.accuracy_std for s in rows], visible=metric == "accuracy"),
            customdata=[[guarantee_text(unit_of(s), s.epsilon, s.k), t, s.runs] for s, t in zip(rows, tpr)],
            hovertemplate="%{text}<br>guarantee: %{customdata[0]}<br>TPR %{customdata[1]:.4%}<br>"
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
                hovertemplate="%{text}: no attack can exceed TPR %{x:.3%} at this FPR<extra></extra>"))
    fig.add_vline(x=fpr, line_dash="dot", line_color="#999", annotation_text="chance (TPR = FPR)",
                  annotation_position="bottom right")
    fig.update_layout(title=f"{_METRICS[metric]} vs measured leakage (strongest attack, TPR at {fpr:.1%} FPR)",
                      xaxis=dict(type="log", title=f"TPR at {fpr:.1%} FPR (log; lower = leaks less)",
                                 range=[-4.3, 0]),
                      yaxis_title=_METRICS[metric], legend=dict(orientation="h", y=-0.25), margin=dict(t=60, b=40))
    return fig
