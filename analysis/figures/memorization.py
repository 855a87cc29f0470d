"""Figures of the memorization tests: exposure versus insertion count, and extraction per count.

Functions take a `MemorizationResult` and return a plotly Figure; every number comes from the result.
"""

from __future__ import annotations

import plotly.graph_objects as go

from analysis.memorization.result import MemorizationResult

_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e")


def _label(repeats: int) -> str:
    return "never (control)" if repeats == 0 else f"{repeats}×"


def exposure_vs_repeats(result: MemorizationResult) -> go.Figure:
    """Mean exposure per insertion count, one line per model, each canary as a dot; the largest possible
    exposure log2|R| and the random-rank level as horizontal lines."""
    fig = go.Figure()
    order = sorted({s.repeats for m in result.models for s in m.by_repeats})
    categories = [_label(r) for r in order]
    for i, model in enumerate(result.models):
        color = _COLORS[i % len(_COLORS)]
        fig.add_trace(go.Scatter(
            x=[_label(s.repeats) for s in model.by_repeats], y=[s.mean_exposure for s in model.by_repeats],
            mode="lines+markers", name=f"{model.name} (mean)", line=dict(color=color, width=3),
            marker=dict(size=10),
            customdata=[[s.canaries, s.extracted, s.min_exposure, s.max_exposure] for s in model.by_repeats],
            hovertemplate=("%{x}: mean exposure %{y:.2f} bits<br>%{customdata[0]} canaries, "
                           "%{customdata[1]} extracted<br>range %{customdata[2]:.2f}–%{customdata[3]:.2f}"
                           "<extra>" + model.name + "</extra>")))
        fig.add_trace(go.Scatter(
            x=[_label(c.repeats) for c in model.canaries], y=[c.exposure for c in model.canaries],
            mode="markers", name=f"{model.name} (each canary)", showlegend=True,
            marker=dict(color=color, size=7, opacity=0.45, symbol=["star" if c.extracted else "circle"
                                                                    for c in model.canaries]),
            hovertemplate="%{x}: exposure %{y:.2f} bits<extra>" + model.name + "</extra>"))
    fig.add_hline(y=result.secret_space_bits, line=dict(color="black", dash="dash"),
                  annotation_text=f"maximum: log2|R| = {result.secret_space_bits:.1f} bits",
                  annotation_position="top left")
    fig.add_hline(y=result.random_rank_exposure, line=dict(color="grey", dash="dot"),
                  annotation_text=f"random rank ≈ {result.random_rank_exposure:.1f} bits",
                  annotation_position="bottom right")
    fig.update_layout(
        title=f"Exposure of planted secrets by insertion count ({result.method} rank, |R| = "
              f"{result.secret_space_size:,})",
        xaxis=dict(title="times the secret appears in the training data", type="category",
                   categoryorder="array", categoryarray=categories),
        yaxis=dict(title="exposure (bits; higher = more memorized)",
                   range=[0, result.secret_space_bits * 1.12]),
        legend=dict(orientation="h", yanchor="top", y=-0.2), margin=dict(t=60, b=40), height=460)
    return fig


def extraction_by_repeats(result: MemorizationResult) -> go.Figure:
    """How many canaries decoding reproduced verbatim, per insertion count and model."""
    fig = go.Figure()
    for i, model in enumerate(result.models):
        inserted = [s for s in model.by_repeats]
        fig.add_trace(go.Bar(
            x=[_label(s.repeats) for s in inserted], y=[s.extracted for s in inserted], name=model.name,
            marker_color=_COLORS[i % len(_COLORS)],
            text=[f"{s.extracted}/{s.canaries}" for s in inserted], textposition="outside",
            hovertemplate="%{x}: %{text} extracted verbatim<extra>" + model.name + "</extra>"))
    top = max((s.canaries for m in result.models for s in m.by_repeats), default=1)
    fig.update_layout(title="Secrets extracted verbatim by greedy or beam decoding", barmode="group",
                      xaxis=dict(title="times the secret appears in the training data", type="category"),
                      yaxis=dict(title="canaries extracted", range=[0, top * 1.25], dtick=1),
                      legend=dict(orientation="h", yanchor="top", y=-0.2), height=380)
    return fig
