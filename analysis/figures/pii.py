"""Plotly figures for the PII scan (no metric is computed here)."""

from __future__ import annotations

from typing import Optional, Sequence

import plotly.graph_objects as go

KIND_COLORS = {"direct_identifier": "#b8434f", "quasi_identifier": "#e07b39", "sensitive": "#7b5ea7",
               "free_text": "#2f6db5", "other": "#9aa5b1"}


def entity_heatmap(scan, *, entities: Optional[Sequence[str]] = None, min_score: float = 0.0,
                   columns: Optional[Sequence[str]] = None) -> go.Figure:
    """Entity type (rows) by column (x) heatmap of prevalence, for a `ScanResult`.

    `entities` / `columns` restrict what is drawn; entities scored below `min_score` are left blank.
    Columns with no finding are kept so the table's shape stays visible.
    """
    shown_cols = [c for c in scan.columns if columns is None or c.name in columns]
    types = sorted({e.type for c in shown_cols for e in c.entities if e.score >= min_score
                    and (entities is None or e.type in entities)})
    z, text = [], []
    for t in types:
        row, labels = [], []
        for c in shown_cols:
            match = next((e for e in c.entities if e.type == t and e.score >= min_score), None)
            row.append(match.prevalence if match else None)
            labels.append(f"{match.prevalence:.0%}" if match else "")
        z.append(row)
        text.append(labels)
    fig = go.Figure(go.Heatmap(
        z=z, x=[c.name for c in shown_cols], y=types, text=text, texttemplate="%{text}", zmin=0, zmax=1,
        colorscale="Reds", colorbar=dict(title="prevalence", tickformat=".0%"), xgap=2, ygap=2,
        hovertemplate="%{x}<br>%{y}: %{z:.1%} of values<extra></extra>"))
    fig.update_layout(title="Entity types by column (share of non-null values)", xaxis_title="column",
                      yaxis_title="entity type", height=max(260, 60 + 34 * max(1, len(types))),
                      margin=dict(l=10, r=10, t=50, b=10), xaxis=dict(tickangle=-40))
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
