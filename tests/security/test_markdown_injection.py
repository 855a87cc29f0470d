"""Column names, a file name and cells that are Markdown or HTML stay text in every export.

A column named `![x](https://attacker.example/b.png)` must not become an image (the reader's browser would
fetch it), `[link](...)`, `https://...` or `<a href>` a link, `<img onerror>` HTML, nor `:red[...]`, `$x$`,
`**b**` formatting. The Markdown statement is parsed with markdown-it (CommonMark + GFM tables, HTML on, as
GitHub renders it); the HTML report with the standard library's parser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from analysis.report import ReportInputs, assemble_report
from analysis.report.html import render_html
from analysis.report.markdown import render_markdown
from analysis.text_safety import markdown_text, plot_text
from analysis.tables import load_table
from tests.security.hostile_names import (ATTACKER_HOSTS, FILE_NAME, HOSTILE_NAMES, IMAGE, IMG_TAG, LINK,
                                          hostile_csv_bytes)

ZWSP = "\u200b"  # the invisible break markdown_text puts inside `://`, `www.` and `a@b`
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_ACTIVE = {"image", "link_open", "html_inline", "html_block", "code_inline", "code_block", "fence", "em_open",
           "strong_open", "s_open", "heading_open", "bullet_list_open", "ordered_list_open", "blockquote_open"}


def _inline_tokens(markdown: str):
    for token in _MD.parse(markdown):
        yield token
        yield from token.children or ()


def _rendered_text(markdown: str) -> str:
    return "".join(t.content for t in _inline_tokens(markdown) if t.type == "text")


@pytest.mark.parametrize("name", HOSTILE_NAMES + (FILE_NAME, "- a list", "12. a list", "www.evil.example",
                                                   "a@evil.example", "&lt;img src=x&gt;", "line\nbreak # h"))
def test_escaped_text_renders_as_exactly_its_characters(name):
    escaped = markdown_text(name)
    kinds = {t.type for t in _inline_tokens(f"before {escaped} after")} | {t.type for t in _inline_tokens(escaped)}
    assert not kinds & _ACTIVE, (name, kinds & _ACTIVE)
    rendered = _rendered_text(f"before {escaped} after")
    assert rendered.replace(ZWSP, "") == f"before {name.replace(chr(10), ' ')} after"
    # Streamlit's renderer (mdast) links URLs and e-mails it finds in the text after escapes are read: GFM's
    # autolink-literal patterns must not match what a reader sees.
    assert not re.search(r"(https?://|www\.)[-.\w]+", rendered, re.IGNORECASE)
    assert not re.search(r"[-.\w+]+@[-\w]+(\.[-\w]+)+", rendered)
    # Streamlit-only syntax (:red[...], :material/...:, $...$) and GFM's autolinks (https://..., a@b.c, www.)
    # need characters that are all escaped.
    assert not re.search(r"(?<!\\)[:\[$@]", escaped) and "www." not in escaped.lower()


def test_plot_labels_carry_no_tags():
    assert plot_text(IMG_TAG) == "&lt;img src=x onerror=alert(1)&gt;"
    assert "<a" not in plot_text('<a href="http://evil.example">a</a>')


@pytest.fixture(scope="module")
def hostile_inputs():
    from analysis.pii import scan_table
    from analysis.risk import assess_risk

    table = load_table(hostile_csv_bytes(), name=FILE_NAME)
    names = list(HOSTILE_NAMES)
    scan = scan_table(table.frame, sample_rows=200)
    risk = assess_risk(table.frame, names[1:4], sensitive=[names[4]], k=5)
    return ReportInputs(table=table, scan=scan, risk=risk, title=f"Privacy audit of {table.name}")


@pytest.fixture(scope="module")
def hostile_report(hostile_inputs):
    return assemble_report(hostile_inputs)


def test_the_report_names_the_hostile_columns(hostile_report):
    """The attack surface is real: the statement and the report carry the names as they are."""
    texts = " ".join(line.text for line in hostile_report.statement.lines)
    assert IMAGE in texts
    assert FILE_NAME in hostile_report.title
    shown = " ".join([s.sentence for s in hostile_report.sections] + [n for s in hostile_report.sections
                                                                      for n in s.notes])
    assert LINK in shown or IMG_TAG in shown


def test_markdown_statement_has_no_image_link_or_html(hostile_report):
    markdown = render_markdown(hostile_report)
    tokens = list(_inline_tokens(markdown))
    kinds = {t.type for t in tokens if t.content not in ("<sub>", "</sub>")}  # the footer's own tags
    assert not kinds & {"image", "link_open", "html_inline", "html_block"}, kinds
    html = _MD.render(markdown)
    for host in ATTACKER_HOSTS:
        assert f"//{host}" not in "".join(t.attrGet("src") or t.attrGet("href") or "" for t in tokens)
        assert f'="https://{host}' not in html and f'="http://{host}' not in html
    assert "<img" not in html and "<a " not in html
    # ... and a reader sees the names exactly as they are in the file.
    text = _rendered_text(markdown)
    assert IMAGE in text.replace(ZWSP, "") and FILE_NAME in text.replace(ZWSP, "")
    # The summary table keeps its three columns on every row (no `|` from a name splits a cell).
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert rows and all(line.replace("\\|", "").count("|") == 4 for line in rows)


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: set[str] = set()
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "xlink:href") and value and not value.startswith("#"):
                self.refs.append((tag, name, value))
            if name.startswith("on"):
                self.handlers.append(name)


def test_html_report_escapes_every_name(hostile_inputs, hostile_report):
    from analysis.report.figures import section_figures

    figures = section_figures(hostile_inputs)
    assert figures.get("scan")  # the heatmap, whose labels are the column names
    html = render_html(hostile_report, figures)
    # plotly writes a label's "<" as \u003c in the page's JSON and draws `<a href>` in a label as a link
    assert "\\u003ca href" not in html and "\\u003cimg" not in html
    parser = _Elements()
    parser.feed(html)
    assert parser.refs == [] and parser.handlers == []
    assert not {"img", "a"} - {"a"} & parser.tags  # no <img>; <a> only as the summary's in-page anchors
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
