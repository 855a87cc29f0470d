"""Plotly figures for the PII scan (no metric is computed here)."""

from __future__ import annotations

from typing import Optional, Sequence

import plotly.graph_objects as go

from analysis.figures import PERCENT, PERCENT_TICKS
from analysis.text_safety import plot_text

KIND_COLORS = {"direct_identifier": "#b8434f", "quasi_identifier": "#e07b39", "sensitive": "#7b5ea7",
               "free_text": "#2f6db5", "other": "#9aa5b1"}


def entity_heatmap(scan, *, entities: Optional[Sequence[str]] = None, min_score: float = 0.0,
                   columns: Optional[Sequence[str]] = None) -> go.Figure:
    """Column (rows) by entity type (x) heatmap of prevalence, for a `ScanResult`.

    One row per column, so a wide table grows the figure downwards and every column name and entity type
    stays readable (53 columns: 53 labelled rows). Columns with a finding come first, most prevalent on
    top; columns with none follow in table order, so the table's shape stays visible. `entities` /
    `columns` restrict what is drawn; entities scored below `min_score` are left blank.
    """
    shown_cols = [c for c in scan.columns if columns is None or c.name in columns]
    types = sorted({e.type for c in shown_cols for e in c.entities if e.score >= min_score
                    and (entities is None or e.type in entities)})

    def found(c, t):
        return next((e for e in c.entities if e.type == t and e.score >= min_score), None)

    def top(c):
        return max((found(c, t).prevalence for t in types if found(c, t)), default=0.0)

    order = sorted(range(len(shown_cols)), key=lambda i: (top(shown_cols[i]) == 0, -top(shown_cols[i]), i))
    rows = [shown_cols[i] for i in order]
    z = [[found(c, t).prevalence if found(c, t) else None for t in types] for c in rows]
    text = [[f"{found(c, t).prevalence:.0%}" if found(c, t) else "" for t in types] for c in rows]
    names = [plot_text(c.name) for c in rows]
    fig = go.Figure(go.Heatmap(
        z=z, x=types, y=names, text=text, texttemplate="%{text}", zmin=0, zmax=1,
        colorscale="Reds", colorbar=dict(title="prevalence", tickformat=PERCENT_TICKS), xgap=2, ygap=2,
        hovertemplate="%{y}<br>%{x}: %{z:" + PERCENT + "} of values<extra></extra>"))
    fig.update_layout(title="Entity types by column (share of non-null values)", xaxis_title="entity type",
                      yaxis=dict(title="column", autorange="reversed", type="category", automargin=True,
                                 dtick=1),
                      xaxis=dict(side="top", type="category"),
                      height=max(300, 110 + 24 * len(rows)), margin=dict(l=10, r=10, t=90, b=10))
    if not types:
        fig.add_annotation(text="no personal data found", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return fig


def kind_bar(scan) -> go.Figure:
    """How many columns of each kind (direct identifier, quasi-identifier, ...)."""
    from analysis.pii import KINDS

    counts = [sum(1 for c in scan.columns if c.kind == k) for k in KINDS]
    fig = go.Figure(go.Bar(x=[k.replace("_", " ") for k in KINDS], y=counts,
                           marker_color=[KIND_COLORS[k] for k in KINDS], text=counts, textposition="outside",
                           hovertemplate="%{x}: %{y} column(s)<extra></extra>"))
    fig.update_layout(title="Columns by kind", yaxis_title="columns", height=300, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def entity_counts(spans: Sequence) -> go.Figure:
    """Bar chart of free-text span counts per entity type (a list of `TextSpan`)."""
    counts: dict[str, int] = {}
    for span in spans:
        counts[span.entity_type] = counts.get(span.entity_type, 0) + 1
    order = sorted(counts, key=lambda k: -counts[k])
    fig = go.Figure(go.Bar(x=order, y=[counts[k] for k in order], marker_color="#2f6db5",
                           hovertemplate="%{x}: %{y} span(s)<extra></extra>"))
    fig.update_layout(title="Free-text findings by entity type", yaxis_title="spans", height=280,
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig
