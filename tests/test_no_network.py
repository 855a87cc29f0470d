"""The loader and the app open no network connection: a socket guard fails any attempt."""

from __future__ import annotations

import socket

import pytest
from streamlit.testing.v1 import AppTest

from analysis.tables import load_sample, load_table, profile_table
from tests.rendered import shown


class NetworkAttempt(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[:2])
        raise NetworkAttempt(f"network use attempted: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == [], f"network attempts: {attempts}"


def test_guard_catches_a_connection(no_network):
    with pytest.raises(NetworkAttempt):
        socket.create_connection(("example.org", 80))
    no_network.clear()


def test_loader_opens_no_connection(no_network):
    for sample in ("customers.csv", "adult.csv"):
        profile_table(load_sample(sample))
    load_table(b"a,b\n1,2\n", name="tiny.csv")


def test_app_opens_no_connection(no_network):
    at = AppTest.from_file("dashboard/app.py", default_timeout=60).run()
    assert not at.exception


@pytest.mark.parametrize("name", ["nonexistent_pkg", "json"])  # json: importable, but no installed package
def test_unknown_spacy_model_is_refused_never_downloaded(name, no_network, monkeypatch, capsys):
    """Presidio downloads a model that is not an installed package (through pip, in a subprocess the
    socket guard cannot see): the engine refuses first, and the CLI exits 2 naming the package."""
    import spacy.cli

    from analysis.cli import main
    from analysis.pii.engine import SpacyModelError, build_engine
    from analysis.settings import SAMPLE_DATA_DIR, get_settings

    downloads = []
    monkeypatch.setattr(spacy.cli, "download", lambda *args, **kwargs: downloads.append(args))
    monkeypatch.setenv("PRIVACY_AUDIT_SPACY_MODEL", name)
    get_settings.cache_clear()
    try:
        with pytest.raises(SpacyModelError, match=f"'{name}'.*not an installed package"):
            build_engine()
        code = main(["scan", str(SAMPLE_DATA_DIR / "customers.csv"), "--quiet"])
    finally:
        monkeypatch.delenv("PRIVACY_AUDIT_SPACY_MODEL")
        get_settings.cache_clear()
    assert code == 2
    err = capsys.readouterr().err
    assert f"'{name}'" in err and "never downloaded" in err and "Traceback" not in err
    assert downloads == []


def test_pii_page_shows_the_missing_model_as_an_error(no_network, monkeypatch):
    from analysis.settings import get_settings

    monkeypatch.setenv("PRIVACY_AUDIT_SPACY_MODEL", "nonexistent_pkg")
    get_settings.cache_clear()
    try:
        at = AppTest.from_file("dashboard/app.py", default_timeout=120)
        at.session_state["table"] = load_table(b"email,age\nann@example.org,41\nbob@example.org,37\n",
                                               name="tiny.csv")
        at.session_state["_sample_tried"] = True
        at.run()
        at.switch_page("app_pages/pii_scan.py").run()
    finally:
        monkeypatch.delenv("PRIVACY_AUDIT_SPACY_MODEL")
        get_settings.cache_clear()
    assert not at.exception
    assert any("'nonexistent_pkg'" in shown(e.value) and "never downloaded" in shown(e.value) for e in at.error)
