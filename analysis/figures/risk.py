"""Plotly figures for re-identification risk, anonymization and utility (no metric computed here)."""

from __future__ import annotations

from typing import Optional

import plotly.graph_objects as go

from analysis.figures import PERCENT_TICKS
from analysis.text_safety import plot_text

_BLUE, _ORANGE, _GREY = "#2f6db5", "#e07b39", "#9aa5b1"


def class_size_histogram(report, *, title: Optional[str] = None) -> go.Figure:
    """Records and classes per equivalence-class size bucket (small sizes are the risky ones)."""
    rows = report.class_size_histogram
    fig = go.Figure()
    fig.add_bar(x=[r["size"] for r in rows], y=[r["records"] for r in rows], name="records",
                marker_color=[_ORANGE if _below(r["size"], report.target_k) else _BLUE for r in rows],
                customdata=[r["classes"] for r in rows],
                hovertemplate="class size %{x}<br>%{y:,} records in %{customdata:,} classes<extra></extra>")
    fig.update_layout(title=title or f"Class sizes (orange: below k={report.target_k})",
                      xaxis_title="equivalence class size", xaxis_type="category", yaxis_title="records", showlegend=False,
                      margin=dict(t=50, b=40, l=50, r=10), height=320)
    return fig


def _below(label: str, k: int) -> bool:
    low = int(label.split("-")[0].rstrip("+"))
    return low < k


def risk_distribution(report, *, title: Optional[str] = None) -> go.Figure:
    """Share of records per prosecutor re-identification probability band."""
    rows = list(reversed(report.risk_distribution))
    labels = [f"{r['risk_from']:.0%}–{r['risk_to']:.0%}" for r in rows]
    fig = go.Figure(go.Bar(
        x=labels, y=[r["records_share"] for r in rows],
        marker_color=[_ORANGE if r["risk_from"] >= report.risk_threshold else _BLUE for r in rows],
        hovertemplate="risk %{x}<br>%{y:.1%} of records<extra></extra>"))
    fig.update_layout(title=title or f"Re-identification risk per record (orange: above {report.risk_threshold:.0%})",
                      xaxis_title="prosecutor risk (1 / class size)", xaxis_type="category", yaxis_title="share of records",
                      yaxis_tickformat=PERCENT_TICKS, margin=dict(t=50, b=40, l=50, r=10), height=320)
    return fig


def riskiest_combinations(report, *, top: int = 10, title: Optional[str] = None) -> go.Figure:
    """Quasi-identifier subsets by the share of records they make unique."""
    rows = list(reversed(report.riskiest_combinations[:top]))
    fig = go.Figure(go.Bar(
        y=[plot_text(" + ".join(r["columns"])) for r in rows], x=[r["unique_share"] for r in rows], orientation="h",
        marker_color=_ORANGE, customdata=[r["unique_records"] for r in rows],
        hovertemplate="%{y}<br>%{customdata:,} unique records (%{x:.1%})<extra></extra>"))
    fig.update_layout(title=title or "Riskiest quasi-identifier combinations", xaxis_title="records made unique",
                      xaxis_tickformat=PERCENT_TICKS, margin=dict(t=50, b=40, l=10, r=10),
                      height=max(260, 40 + 28 * len(rows)))
    return fig


def risk_before_after(before, after) -> go.Figure:
    """Key risk shares before and after anonymization."""
    names = ["records below k", "sample uniques", "prosecutor: records at risk", "prosecutor: average risk",
             "marketer: average risk"]

    def values(r):
        return [r.share_below_k, r.sample_uniques_share, r.prosecutor.records_at_risk_share,
                r.prosecutor.average_risk, r.marketer.average_risk]

    fig = go.Figure()
    fig.add_bar(x=names, y=values(before), name=f"before (k={before.k})", marker_color=_GREY)
    fig.add_bar(x=names, y=values(after), name=f"after (k={after.k})", marker_color=_BLUE)
    fig.update_layout(title="Risk before and after", barmode="group", yaxis_tickformat=PERCENT_TICKS,
                      margin=dict(t=50, b=40, l=50, r=10), height=340)
    return fig


def utility_columns(utility) -> go.Figure:
    """Per-column distribution distance between the original and the anonymized table."""
    rows = sorted(utility.columns, key=lambda c: c.distance)
    fig = go.Figure(go.Bar(
        y=[plot_text(c.column) for c in rows], x=[c.distance for c in rows], orientation="h",
        customdata=[c.metric for c in rows], marker_color=_BLUE,
        hovertemplate="%{y}: %{x:.3f} (%{customdata})<extra></extra>"))
    fig.update_layout(title="Distribution distance per column (0 = unchanged)", xaxis_range=[0, 1],
                      margin=dict(t=50, b=40, l=10, r=10), height=max(260, 40 + 22 * len(rows)))
    return fig
