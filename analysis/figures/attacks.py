"""Plotly figures for membership-inference audits (no metric is computed here)."""

from __future__ import annotations

from typing import Optional, Sequence

import plotly.graph_objects as go

from analysis.figures import PERCENT_TICKS
from analysis.text_safety import plot_text

_PALETTE = ("#2f6db5", "#e07b39", "#3b9e5a", "#b8434f", "#7b5ea7", "#8c6d31", "#d16ba5", "#17a2b8")
_GREY = "#9aa5b1"


def roc_figure(attacks: Sequence, *, title: Optional[str] = None, min_fpr: Optional[float] = None) -> go.Figure:
    """Log-log ROC curves of several `AttackResult`s overlaid, with the chance line TPR = FPR.

    Points at FPR = 0 cannot be drawn on a log axis; they are shown at the smallest resolvable FPR
    (1 / number of non-members).
    """
    fig = go.Figure()
    floor = min_fpr or min((1.0 / max(a.n_non_members, 1) for a in attacks), default=1e-4)
    fig.add_scatter(x=[floor, 1], y=[floor, 1], mode="lines", name="chance (TPR = FPR)",
                    line=dict(color=_GREY, dash="dash"), hoverinfo="skip")
    for i, attack in enumerate(attacks):
        xs = [max(f, floor) for f in attack.roc_fpr]
        ys = [max(t, floor) for t in attack.roc_tpr]
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=_PALETTE[i % len(_PALETTE)], width=2,
                                                             shape="hv"),
                        name=f"{attack.name} (AUC {attack.auc:.3f})",
                        hovertemplate=f"{attack.name}<br>FPR %{{x:.4f}}<br>TPR %{{y:.4f}}<extra></extra>")
    for level in (0.001, 0.01):
        if level >= floor:
            fig.add_vline(x=level, line=dict(color=_GREY, width=1, dash="dot"),
                          annotation_text=f"{level:.1%} FPR", annotation_position="top left")
    fig.update_layout(title=title or "Membership-inference ROC (log-log)", xaxis_title="false-positive rate",
                      yaxis_title="true-positive rate", xaxis_type="log", yaxis_type="log",
                      xaxis_range=[_log10(floor), 0], yaxis_range=[_log10(floor), 0],
                      legend=dict(orientation="v", x=1.02, y=0), margin=dict(t=50, b=40, l=60, r=10),
                      height=460)
    return fig


def tpr_at_fpr_figure(attacks: Sequence, *, title: Optional[str] = None) -> go.Figure:
    """TPR at 0.1% and 1% FPR per attack, with Clopper-Pearson error bars."""
    fig = go.Figure()
    names = [a.name for a in attacks]
    for i, key in enumerate(("0.001", "0.01")):
        values = [a.tpr_at_fpr.get(key) for a in attacks]
        lows = [v - a.tpr_ci[key][0] if v is not None else 0 for v, a in zip(values, attacks)]
        highs = [a.tpr_ci[key][1] - v if v is not None else 0 for v, a in zip(values, attacks)]
        fig.add_bar(x=names, y=values, name=f"TPR at {float(key):.1%} FPR", marker_color=_PALETTE[i],
                    error_y=dict(type="data", symmetric=False, array=highs, arrayminus=lows))
    fig.update_layout(title=title or "TPR at low FPR (95% Clopper-Pearson intervals)", barmode="group",
                      yaxis_title="true-positive rate", yaxis_tickformat=PERCENT_TICKS,
                      margin=dict(t=50, b=40, l=60, r=10), height=360)
    return fig


def slice_figure(audit, *, attack: Optional[str] = None, column: Optional[str] = None,
                 title: Optional[str] = None) -> go.Figure:
    """Attack AUC per slice value (one attack, one column); slices too small to measure are omitted."""
    attack = attack or audit.strongest_attack
    rows = [s for s in audit.slices if s.attack == attack and (column is None or s.column == column)
            and s.auc is not None]
    fig = go.Figure(go.Bar(
        x=[plot_text(f"{s.column}={s.value}") for s in rows], y=[s.auc for s in rows], marker_color=_PALETTE[1],
        customdata=[[s.n_members, s.n_non_members] for s in rows],
        hovertemplate="%{x}<br>AUC %{y:.3f}<br>%{customdata[0]} members, %{customdata[1]} non-members"
                      "<extra></extra>"))
    fig.add_hline(y=0.5, line=dict(color=_GREY, dash="dash"), annotation_text="chance")
    fig.update_layout(title=title or f"{attack}: AUC per slice", yaxis_title="attack AUC", yaxis_range=[0.4, 1],
                      margin=dict(t=50, b=80, l=60, r=10), height=340)
    return fig


def _log10(value: float) -> float:
    import math

    return math.log10(max(value, 1e-12))
