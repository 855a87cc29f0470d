"""Report model -> Markdown: the data-use statement and the rated summary, for model cards and READMEs.

Plain GitHub-flavoured Markdown (headings, bullet lists, one table). Every text that comes from the report
(titles, column names in sentences, messages) goes through `markdown_text`, so a column named
`![x](https://host/b.png)` or `<img onerror=...>` stays text: no image, link or HTML. Like the HTML and JSON,
it is built only from the report model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Union

from analysis.report.model import AuditReport
from analysis.text_safety import markdown_text as _md
from analysis.report.sections.model_anonymity import anonymity_markdown

_LIGHTS = {"green": "🟢 OK", "amber": "🟠 Watch", "red": "🔴 Act", "grey": "⚪ Not run"}


def render_markdown(report: AuditReport) -> str:
    """The statement (by topic), the summary with traffic lights, and the policies when there are any."""
    out = [f"## {_md(report.statement.title) if report.statement else 'Data-use statement'}", ""]
    if report.statement is not None:
        topic = None
        for line in report.statement.lines:
            if line.topic != topic:
                topic = line.topic
                out += ["", f"**{_md(str(topic).capitalize())}**", ""]
            out.append(f"- {_md(line.text)}")
    out += ["", "### Measured risks", "", "| rating | what | measured |", "|---|---|---|"]
    out += [f"| {_LIGHTS.get(i.rating) or _md(i.rating)} | {_md(i.label)} | {_md(i.display)} |" for i in report.summary]
    out += anonymity_markdown(report, _md)
    if report.policies:
        out += ["", "### Policies", ""]
        out += [f"- {'pass' if p.passed else 'FAIL'}: {_md(p.name)} — {_md(p.message)}" for p in report.policies]
    out += ["", f"<sub>{_md(report.title)} · generated {_md(report.created_at)} by privacy-audit "
                f"{_md(report.provenance.tool_version)} · report schema {_md(report.schema_version)}</sub>", ""]
    return "\n".join(out)


def write_markdown(report: AuditReport, path: Union[str, Path]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(report), encoding="utf-8")
    return path
