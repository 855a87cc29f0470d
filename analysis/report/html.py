"""Report model -> one self-contained HTML file that opens offline and prints cleanly.

plotly's JavaScript is inlined once (plotly.offline.get_plotlyjs()); every chart is a <div> plus an
inline `Plotly.newPlot` call. The page loads nothing: no external script, stylesheet, font, image or
link (system fonts only), and `@media print` CSS keeps sections and charts readable on paper.
"""

from __future__ import annotations

import html as _html
import json
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from analysis.report.model import AuditReport, ReportTable, Section, SummaryItem

# (title, plotly Figure) pairs per section key, built by analysis.report.figures.section_figures.
FigureMap = dict[str, Sequence[tuple[str, Any]]]

_COLORS = {"green": "#1a7f37", "amber": "#b26b00", "red": "#c62828", "grey": "#6b7280"}
_LABELS = {"green": "OK", "amber": "Watch", "red": "Act", "grey": "Not run"}

_CSS = """
:root { --fg:#1f2328; --muted:#57606a; --line:#d0d7de; --bg:#ffffff; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--fg); background: var(--bg); margin: 0; line-height: 1.45; font-size: 15px; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; } h2 { font-size: 1.25rem; margin: 28px 0 8px;
     border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 1.02rem; margin: 16px 0 6px; }
.meta { color: var(--muted); font-size: .9rem; margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: .88rem; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.light { display: inline-block; min-width: 5.2em; padding: 1px 8px; border-radius: 10px; color: #fff;
         font-weight: 600; font-size: .8rem; text-align: center; -webkit-print-color-adjust: exact;
         print-color-adjust: exact; }
.light::before { content: "\\25CF\\00a0"; }
.sentence { font-size: 1rem; margin: 6px 0 10px; }
.note { color: var(--muted); font-size: .85rem; margin: 2px 0; }
.chart { width: 100%; margin: 8px 0 16px; break-inside: avoid; page-break-inside: avoid; }
.chart h3 { margin-bottom: 2px; }
.overall { font-size: 1rem; margin: 8px 0 12px; }
.policy-pass { color: #1a7f37; font-weight: 600; } .policy-fail { color: #c62828; font-weight: 600; }
pre { background: var(--soft); padding: 8px; overflow-x: auto; font-size: .8rem; white-space: pre-wrap; }
footer { color: var(--muted); font-size: .8rem; margin-top: 32px; }
@media print {
  body { font-size: 11pt; } main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  section { break-inside: auto; } table, .chart, tr { break-inside: avoid; page-break-inside: avoid; }
  .modebar, .modebar-container { display: none !important; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(value: Any) -> str:
    return _html.escape("" if value is None else str(value), quote=True)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int):
        return f'<td class="num">{value:,}</td>'
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f'<td class="num">{int(value):,}</td>'
        return f'<td class="num">{value:.4g}</td>'
    if value is None:
        return "<td>—</td>"
    return f"<td>{_e(value)}</td>"


def _light(rating: str) -> str:
    color = _COLORS.get(rating, _COLORS["grey"])
    return f'<span class="light" style="background:{color}" title="{_e(rating)}">{_e(_LABELS.get(rating, rating))}</span>'


def _table(table: ReportTable) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in table.rows)
    if not table.rows:
        body = f'<tr><td colspan="{max(1, len(table.columns))}">—</td></tr>'
    return f"<h3>{_e(table.title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(items: Sequence[SummaryItem], present: set[str]) -> str:
    def where(key: str) -> str:
        return f'<a href="#section-{_e(key)}">{_e(key)}</a>' if key in present else _e(key)

    rows = "".join(
        f'<tr><td>{_light(i.rating)}</td><td>{_e(i.label)}</td><td>{_e(i.display)}</td>'
        f'<td class="note">{_e(i.rule)}</td><td>{where(i.section)}</td></tr>'
        for i in items)
    return ("<table><thead><tr><th>rating</th><th>what</th><th>measured</th><th>thresholds</th>"
            f"<th>section</th></tr></thead><tbody>{rows}</tbody></table>")


def _figure_html(title: str, fig: Any, index: int) -> str:
    div = fig.to_html(full_html=False, include_plotlyjs=False, default_height="420px", default_width="100%",
                      div_id=f"chart-{index}", config={"displaylogo": False, "responsive": True,
                                                        "showSendToCloud": False})
    return f'<div class="chart"><h3>{_e(title)}</h3>{div}</div>'


def _section(section: Section, figures: Sequence[tuple[str, Any]], counter: list[int]) -> str:
    parts = [f'<section id="section-{_e(section.key)}"><h2>{_e(section.title)}</h2>',
             f'<p class="sentence">{_e(section.sentence)}</p>']
    for title, fig in figures:
        counter[0] += 1
        parts.append(_figure_html(title, fig, counter[0]))
    parts += [_table(t) for t in section.tables]
    parts += [f'<p class="note">{_e(n)}</p>' for n in section.notes]
    parts.append("</section>")
    return "".join(parts)


def _provenance(report: AuditReport) -> str:
    p = report.provenance
    rows = []
    if p.dataset:
        d = p.dataset
        rows.append(["Dataset", f"{d.get('name')} · {d.get('rows')} rows · {d.get('columns')} columns · "
                                f"SHA-256 {d.get('sha256')}"])
    if p.model:
        rows.append(["Model", ", ".join(f"{k}: {v}" for k, v in p.model.items() if not isinstance(v, (dict, list)))
                     or json.dumps(p.model)[:300]])
    rows.append(["Seeds", ", ".join(f"{k}: {v}" for k, v in p.seeds.items()) or "—"])
    rows.append(["Time taken", ", ".join(f"{k}: {v:.2f} s" for k, v in p.seconds.items()) or "—"])
    rows.append(["Package versions", ", ".join(f"{k} {v}" for k, v in p.package_versions.items())])
    rows.append(["Tool version", p.tool_version])
    rows.append(["Steps run", ", ".join(p.steps) or "—"])
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    settings = _e(json.dumps(p.settings, indent=2, sort_keys=True, default=str))
    return (f'<section id="section-provenance"><h2>What was run</h2><table><tbody>{body}</tbody></table>'
            f"<h3>Settings</h3><pre>{settings}</pre></section>")


def _statement(report: AuditReport) -> str:
    if report.statement is None:
        return ""
    rows = "".join(f"<tr><th>{_e(line.topic)}</th><td>{_e(line.text)}</td></tr>" for line in report.statement.lines)
    return (f'<section id="section-statement"><h2>{_e(report.statement.title)}</h2>'
            f"<table><tbody>{rows}</tbody></table></section>")


def _policies(report: AuditReport) -> str:
    if not report.policies:
        return ""
    rows = "".join(
        f'<tr><td class="{"policy-pass" if p.passed else "policy-fail"}">{"pass" if p.passed else "FAIL"}</td>'
        f"<td>{_e(p.name)}</td><td>{_e(p.limit)}</td><td>{_e(p.value)}</td><td>{_e(p.message)}</td></tr>"
        for p in report.policies)
    return ('<section id="section-policies"><h2>Policies</h2><table><thead><tr><th>outcome</th><th>policy</th>'
            f"<th>limit</th><th>measured</th><th>why</th></tr></thead><tbody>{rows}</tbody></table></section>")


def render_html(report: AuditReport, figures: Optional[FigureMap] = None) -> str:
    """The whole report as one HTML string; `figures` maps section key -> [(title, go.Figure)]."""
    import plotly.offline

    figures = figures or {}
    counter = [0]
    sections = "".join(_section(s, figures.get(s.key, ()), counter) for s in report.sections)
    plotly_js = plotly.offline.get_plotlyjs() if counter[0] else ""
    script = f'<script type="text/javascript">{plotly_js}</script>' if plotly_js else ""
    overall = _light(report.overall_rating)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="privacy-audit {_e(report.provenance.tool_version)}">'
        f'<meta name="report-schema-version" content="{_e(report.schema_version)}">'
        f"<title>{_e(report.title)}</title><style>{_CSS}</style>{script}</head><body><main>"
        f"<h1>{_e(report.title)}</h1>"
        f'<p class="meta">How exposed is this dataset and this model? Generated {_e(report.created_at)} · '
        f"schema {_e(report.schema_version)}</p>"
        f'<p class="overall">Overall: {overall} (the worst rating below)</p>'
        f'<section id="section-summary"><h2>Summary</h2>{_summary(report.summary, {s.key for s in report.sections})}</section>'
        f"{_policies(report)}{_statement(report)}{sections}{_provenance(report)}"
        "<footer>Made offline by privacy-audit. Thresholds are the team's choice, shown beside each rating; "
        "examples of identifiers are masked.</footer></main></body></html>\n")


def write_html(report: AuditReport, path: Union[str, Path], figures: Optional[FigureMap] = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report, figures), encoding="utf-8")
    return path
