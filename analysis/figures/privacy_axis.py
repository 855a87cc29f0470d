"""Figures of the comparison's privacy axis: the canary ε lower bound against the accounted ε.

`canary_bound_figure`: one marker per run with a canary audit, x = the accounted ε (runs without a
finite ε sit in a column on the right labelled "no ε"), y = the measured one-run lower bound, with the
line y = x: a marker above the line is a bound above the accounted ε (the implementation or its
accounting is broken), drawn in red with an X.
"""

from __future__ import annotations

import plotly.graph_objects as go

from analysis.comparison_privacy import canary_rows

_OK = "#1f77b4"
_BROKEN = "#d62728"


def canary_bound_figure(result) -> go.Figure:
    rows = [r for r in canary_rows(result) if r["ε lower bound"] is not None]
    finite = [r["accounted ε"] for r in rows if r["accounted ε"] is not None]
    top = max([1.0] + finite + [r["ε lower bound"] for r in rows]) * 1.15
    no_eps_x = top  # runs without an accounted ε, drawn at the right edge
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="y = x (bound = accounted ε)",
                             line=dict(color="#555", dash="dash")))
    for broken in (False, True):
        chosen = [r for r in rows if r["exceeds accounted ε"] == broken]
        if not chosen:
            continue
        fig.add_trace(go.Scatter(
            x=[r["accounted ε"] if r["accounted ε"] is not None else no_eps_x for r in chosen],
            y=[r["ε lower bound"] for r in chosen], mode="markers+text",
            text=[f"{r['protection']} (seed {r['seed']})" for r in chosen], textposition="top center",
            marker=dict(size=12 if broken else 10, color=_BROKEN if broken else _OK,
                        symbol="x" if broken else "circle"),
            name="bound ABOVE accounted ε: broken" if broken else "canary ε lower bound (95%)",
            customdata=[[r["guesses"], r["correct"], r["canaries"], r["attack"]] for r in chosen],
            hovertemplate="accounted ε %{x:.3g}<br>lower bound %{y:.3g}<br>%{customdata[1]} of %{customdata[0]} "
                          "guesses correct, %{customdata[2]} canaries, %{customdata[3]}<extra></extra>"))
    fig.update_layout(
        title="Canary audit: measured ε lower bound vs accounted ε (one run, Steinke et al. 2023)",
        xaxis_title="accounted ε (right edge: no formal ε)", yaxis_title="ε lower bound, 95% confidence",
        xaxis=dict(range=[0, top * 1.05]), yaxis=dict(range=[0, top * 1.05]), legend=dict(orientation="h", y=-0.25),
        margin=dict(t=60, b=90))
    if any(r["accounted ε"] is None for r in rows):
        fig.add_annotation(x=no_eps_x, y=0, text="no ε", showarrow=False, yshift=-12)
    return fig


def is_broken(result) -> bool:
    return any(r["exceeds accounted ε"] for r in canary_rows(result))


__all__ = ["canary_bound_figure", "is_broken"]
