"""Figures of the language-model audit: canary exposure by insertion count, the membership attacks' ROC
on log-log axes, and extracted PII by type. Every number comes from a `TextAuditResult`; no figure
shows a PII value (the result holds none)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from analysis.text_lm.result import TextAuditResult

_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def exposure_by_repeats(result: TextAuditResult) -> go.Figure:
    """Each canary's exposure against how often it was in the training text, the mean as a line."""
    canaries = result.canaries
    fig = go.Figure()
    if canaries is None:
        return fig
    order = sorted({c.repeats for c in canaries.canaries})
    label = {r: "never (control)" if r == 0 else f"{r}×" for r in order}
    fig.add_trace(go.Scatter(x=[label[r] for r in order], y=[canaries.mean_exposure(r) for r in order],
                             mode="lines+markers", name="mean", line=dict(color=_COLORS[0], width=3),
                             hovertemplate="%{x}: mean exposure %{y:.2f} bits<extra></extra>"))
    fig.add_trace(go.Scatter(x=[label[c.repeats] for c in canaries.canaries], y=[c.exposure for c in canaries.canaries],
                             mode="markers", name="each canary", marker=dict(color=_COLORS[0], opacity=0.45, size=8),
                             hovertemplate="%{x}: exposure %{y:.2f} bits<extra></extra>"))
    fig.add_hline(y=canaries.secret_space_bits, line=dict(color="black", dash="dash"),
                  annotation_text=f"maximum: log2|R| = {canaries.secret_space_bits:.1f} bits",
                  annotation_position="top left")
    fig.add_hline(y=canaries.random_rank_exposure, line=dict(color="grey", dash="dot"),
                  annotation_text=f"random rank ≈ {canaries.random_rank_exposure:.1f} bits",
                  annotation_position="bottom right")
    fig.update_layout(title="Canary exposure by insertion count",
                      xaxis=dict(title="times the canary appears in the training text", type="category",
                                 categoryorder="array", categoryarray=[label[r] for r in order]),
                      yaxis=dict(title="exposure (bits; higher = more memorized)",
                                 range=[0, canaries.secret_space_bits * 1.12]),
                      height=420, margin=dict(t=60, b=40))
    return fig


def roc_log_log(result: TextAuditResult) -> go.Figure:
    """TPR against FPR on log axes for each attack and the blind baseline, with the chance diagonal."""
    fig = go.Figure()
    floor = 1.0 / max(result.non_members, 1)
    for i, attack in enumerate([*result.attacks, result.baseline]):
        fpr = np.maximum(np.asarray(attack.roc_fpr), floor)
        tpr = np.maximum(np.asarray(attack.roc_tpr), floor)
        dash = "dot" if attack is result.baseline else "solid"
        fig.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name=f"{attack.name} (AUC {attack.auc:.2f})",
                                 line=dict(color=_COLORS[i % len(_COLORS)], dash=dash, shape="hv"),
                                 hovertemplate="FPR %{x:.4f}, TPR %{y:.3f}<extra>" + attack.name + "</extra>"))
    fig.add_trace(go.Scatter(x=[floor, 1], y=[floor, 1], mode="lines", name="chance",
                             line=dict(color="grey", dash="dash")))
    fig.update_layout(title="Membership inference on documents (log-log ROC)",
                      xaxis=dict(title="false positive rate (non-members called members)", type="log"),
                      yaxis=dict(title="true positive rate (members found)", type="log"),
                      height=460, legend=dict(orientation="h", yanchor="top", y=-0.2), margin=dict(t=60, b=40))
    return fig


def extracted_pii_by_type(result: TextAuditResult) -> go.Figure:
    """Distinct PII values in the generations by type: in the training text, only in held-out text, invented."""
    fig = go.Figure()
    extraction = result.extraction
    if extraction is None:
        return fig
    types = [t.entity for t in extraction.by_type]
    parts = [("in the training text", [t.in_training for t in extraction.by_type], _COLORS[0]),
             ("only in held-out text (chance)", [t.in_non_members_only for t in extraction.by_type], _COLORS[1]),
             ("invented", [t.found - t.in_training - t.in_non_members_only for t in extraction.by_type], "#bbbbbb")]
    for name, values, color in parts:
        fig.add_trace(go.Bar(x=types, y=values, name=name, marker_color=color,
                             hovertemplate="%{x}: %{y} values<extra>" + name + "</extra>"))
    fig.update_layout(barmode="stack", title=f"PII in {extraction.generated} sampled generations, by type",
                      xaxis_title="PII type", yaxis_title="distinct values", height=400, margin=dict(t=60, b=40))
    return fig
