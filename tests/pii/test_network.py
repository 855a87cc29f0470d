"""The scan never touches the network: sockets are blocked while a fresh engine is built and used."""

from __future__ import annotations

import socket

import pandas as pd
import pytest


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] if len(args) > 1 else args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_fresh_engine_and_scan_make_no_connection(no_network):
    from analysis.pii.columns import _domain_ok
    from analysis.pii.engine import build_engine, offline_email_recognizer

    engine = build_engine()
    results = engine.analyzer.analyze("Write to jane.doe@example.co.uk or visit https://example.org",
                                      language="en")
    assert {"EMAIL_ADDRESS"} <= {r.entity_type for r in results}
    recognizer = offline_email_recognizer()
    assert recognizer.validate_result("someone@mail.example.com") is True
    assert _domain_ok("a@b.example.com") and not _domain_ok("a@b.notatld")
    assert no_network == []


def test_scan_and_spans_make_no_connection(no_network, engine):
    from analysis.pii import find_text_spans, scan_table

    frame = pd.DataFrame({"email": [f"user{i}@example.org" for i in range(20)],
                          "note": [f"Reach me at user{i}@example.org or (212) 555-01{i:02d}." for i in range(20)]})
    scan = scan_table(frame, sample_rows=0, backend="serial")
    assert scan.column("email").top_entity == "EMAIL_ADDRESS"
    assert find_text_spans(frame["note"], rows="all", backend="serial")
    assert no_network == []
