"""Report model -> Markdown: the data-use statement and the rated summary, for model cards and READMEs.

Plain GitHub-flavoured Markdown (headings, bullet lists, one table); cell text is escaped so a column
name cannot break the table. Like the HTML and JSON, it is built only from the report model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Union

from analysis.report.model import AuditReport
from analysis.report.sections.model_anonymity import anonymity_markdown

_LIGHTS = {"green": "🟢 OK", "amber": "🟠 Watch", "red": "🔴 Act", "grey": "⚪ Not run"}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: AuditReport) -> str:
    """The statement (by topic), the summary with traffic lights, and the policies when there are any."""
    out = [f"## {report.statement.title if report.statement else 'Data-use statement'}", ""]
    if report.statement is not None:
        topic = None
        for line in report.statement.lines:
            if line.topic != topic:
                topic = line.topic
                out += ["", f"**{topic.capitalize()}**", ""]
            out.append(f"- {line.text}")
    out += ["", "### Measured risks", "", "| rating | what | measured |", "|---|---|---|"]
    out += [f"| {_LIGHTS.get(i.rating, i.rating)} | {_cell(i.label)} | {_cell(i.display)} |" for i in report.summary]
    out += anonymity_markdown(report, _cell)
    if report.policies:
        out += ["", "### Policies", ""]
        out += [f"- {'pass' if p.passed else 'FAIL'}: `{p.name}` — {_cell(p.message)}" for p in report.policies]
    out += ["", f"<sub>{_cell(report.title)} · generated {report.created_at} by privacy-audit "
                f"{report.provenance.tool_version} · report schema {report.schema_version}</sub>", ""]
    return "\n".join(out)


def write_markdown(report: AuditReport, path: Union[str, Path]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(report), encoding="utf-8")
    return path
