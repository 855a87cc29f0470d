"""HTML: one self-contained file with its charts; JSON: validates against the versioned schema."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import plotly.offline
import pytest

from analysis.report import SCHEMA_VERSION, assemble_report
from analysis.report.export import load_schema, report_json, validate_report
from analysis.report.figures import section_figures
from analysis.report.html import render_html


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data", "action", "xlink:href") and value:
                self.refs.append((tag, name, value))


@pytest.fixture(scope="module")
def html_and_figures(full_inputs, full_report):
    figures = section_figures(full_inputs)
    return render_html(full_report, figures), figures


def test_html_loads_nothing_from_outside(html_and_figures):
    html, _ = html_and_figures
    parser = _Refs()
    parser.feed(html)
    external = [r for r in parser.refs if not r[2].startswith("#")]
    assert external == [], external
    assert not {"link", "img", "iframe", "object", "embed", "source"} & set(parser.tags)
    page_without_plotly = html.replace(plotly.offline.get_plotlyjs(), "")
    assert "<script src" not in page_without_plotly.lower()
    assert not re.search(r"@import|url\(|@font-face", page_without_plotly, re.IGNORECASE)
    assert not re.search(r"https?://", page_without_plotly)


def test_html_inlines_plotly_once_and_embeds_each_chart(html_and_figures):
    html, figures = html_and_figures
    n_figures = sum(len(v) for v in figures.values())
    assert n_figures >= 2  # at least the scan and risk charts
    assert html.count(plotly.offline.get_plotlyjs()) == 1
    assert html.count("Plotly.newPlot(") == n_figures
    assert html.count('class="plotly-graph-div"') == n_figures


def test_html_is_readable_when_printed(html_and_figures, full_report):
    html, _ = html_and_figures
    assert "@media print" in html
    for item in full_report.summary:
        assert item.label in html  # every summary line, with its rating in words
    assert "What was run" in html and full_report.provenance.dataset["sha256"] in html


def test_json_validates_against_its_schema(full_report):
    data = json.loads(report_json(full_report))
    validate_report(data)
    assert data["schema_version"] == SCHEMA_VERSION
    assert re.match(load_schema()["properties"]["schema_version"]["pattern"], SCHEMA_VERSION)


def test_schema_rejects_a_broken_report(full_report):
    data = full_report.to_dict()
    data["summary"][0]["rating"] = "purple"
    with pytest.raises(ValueError, match="summary/0/rating"):
        validate_report(data)
    data = full_report.to_dict()
    del data["provenance"]["dataset"]["sha256"]
    with pytest.raises(ValueError, match="sha256"):
        validate_report(data)


def test_a_report_with_no_results_is_still_valid_html_and_json():
    from analysis.report import ReportInputs

    report = assemble_report(ReportInputs())
    validate_report(report.to_dict())
    html = render_html(report)
    assert "<script" not in html  # no chart, no plotly


def test_building_and_rendering_the_report_opens_no_connection(full_inputs, monkeypatch):
    import socket

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[:2])
        raise OSError("network use attempted")

    for target, name in ((socket.socket, "connect"), (socket.socket, "connect_ex"), (socket, "create_connection"),
                         (socket, "getaddrinfo")):
        monkeypatch.setattr(target, name, refuse)
    report = assemble_report(full_inputs)
    render_html(report, section_figures(full_inputs))
    report_json(report)
    assert attempts == []
