"""The report model: summary items, sections, provenance, policies, and what goes in (`ReportInputs`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping, MutableMapping, Optional, Sequence

from analysis.report.ratings import GREY
from analysis.results import Result

# 1.1: consent section, data-use statement; 1.2: the tradeoff section reads every protection;
# 1.3: language_model section; 1.4: the model_anonymity section (canary bounds, most exposed members, GDPR
# anonymity, EDPB evidence)
SCHEMA_VERSION = "1.4.0"
SECTION_KEYS = ("scan", "risk", "attack", "memorization", "language_model", "tradeoff", "federated", "consent")


@dataclass(frozen=True)
class SummaryItem(Result):
    """One line of the summary: a number, how it reads, and its traffic light under `rule`."""

    metric: str
    label: str
    value: Optional[float]
    display: str
    rating: str  # green | amber | red | grey (not measured)
    rule: str  # the thresholds in words, e.g. "green ≥ 5 records, amber ≥ 2 records, red below"
    section: str  # key of the section that explains it


@dataclass(frozen=True)
class ReportTable(Result):
    title: str
    columns: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Section(Result):
    key: str  # scan | risk | attack | memorization | tradeoff | model_anonymity | federated | consent
    title: str
    sentence: str  # what the numbers mean for this data, in plain words
    metrics: dict[str, Any]  # flat name -> number or short string (what history compares)
    tables: list[ReportTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Provenance(Result):
    """What was run: fingerprints, seeds, settings, package versions, time taken."""

    dataset: Optional[dict[str, Any]]  # name, sha256, rows, columns, format
    model: Optional[dict[str, Any]]  # name, fingerprint, recipe/settings
    seeds: dict[str, Any]
    settings: dict[str, Any]
    package_versions: dict[str, str]
    seconds: dict[str, float]  # per step, plus "total" when known
    tool_version: str
    steps: list[str]  # the sections present, in order


@dataclass(frozen=True)
class PolicyOutcome(Result):
    """One CI policy: its configured limit, the measured value, and whether it passed."""

    name: str
    limit: Any
    value: Any
    passed: bool
    message: str


@dataclass(frozen=True)
class StatementLine(Result):
    topic: str  # personal data | consent | protections | residual risk | withdrawal | provenance
    text: str   # one short sentence built from the results


@dataclass(frozen=True)
class Statement(Result):
    """The plain-language data-use statement (analysis/report/sections/statement.py)."""

    title: str
    lines: list[StatementLine]


@dataclass(frozen=True)
class AuditReport(Result):
    schema_version: str
    title: str
    created_at: str
    overall_rating: str  # the worst non-grey summary rating, grey when nothing was measured
    summary: list[SummaryItem]
    sections: list[Section]
    provenance: Provenance
    thresholds: list[dict[str, Any]]
    policies: list[PolicyOutcome] = field(default_factory=list)
    statement: Optional[Statement] = None

    def section(self, key: str) -> Optional[Section]:
        return next((s for s in self.sections if s.key == key), None)

    def item(self, metric: str) -> Optional[SummaryItem]:
        return next((s for s in self.summary if s.metric == metric), None)

    @property
    def policies_passed(self) -> Optional[bool]:
        return None if not self.policies else all(p.passed for p in self.policies)

    def with_policies(self, outcomes: Sequence[PolicyOutcome]) -> "AuditReport":
        return replace(self, policies=list(outcomes))


@dataclass
class ReportInputs:
    """What a session or an audit run holds. Every result is optional.

    `attacks` is a model-audit result (with `.attacks`) or a plain list of attack results.
    `kind_overrides` are the user's corrections of column kinds from the PII page.
    `identifier_memo` is the caller's own store for the identifier guard's values (the dashboard keeps
    one per session); None keeps nothing.
    """

    table: Any = None  # analysis.tables.Table
    scan: Any = None
    risk: Any = None
    attacks: Any = None
    memorization: Any = None
    language_model: Any = None   # analysis.text_lm.result.TextAuditResult
    tradeoff: Any = None
    federated: Any = None
    consent: Any = None          # analysis.consent.ConsentReport
    consent_filter: Any = None   # analysis.consent.ConsentFilter of the training rows
    withdrawal: Any = None       # analysis.attacks.withdrawal.WithdrawalCheck
    anonymization: Any = None    # analysis.anonymize.plan.Plan applied (for the statement)
    released_risk: Any = None    # RiskReport of the anonymized table (the plan's output): what is released
    model_info: Optional[Mapping[str, Any]] = None
    kind_overrides: Optional[Mapping[str, str]] = None
    seeds: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    seconds: Mapping[str, float] = field(default_factory=dict)
    title: str = "Privacy audit report"
    identifier_memo: Optional[MutableMapping] = field(default=None, repr=False, compare=False)

    def present(self) -> list[str]:
        keys = {"scan": self.scan, "risk": self.risk, "attack": self.attacks,
                "memorization": self.memorization, "language_model": self.language_model,
                "tradeoff": self.tradeoff, "federated": self.federated,
                "consent": self.consent or self.consent_filter or self.withdrawal}
        return [k for k in SECTION_KEYS if keys[k] is not None]


def report_from_dict(data: Mapping[str, Any]) -> AuditReport:
    """Rebuild an AuditReport from its JSON form (e.g. a run read back from history)."""
    def build(cls, value):
        return cls(**{f.name: value.get(f.name) for f in fields(cls) if f.name in value})

    sections = [build(Section, {**s, "tables": [build(ReportTable, t) for t in s.get("tables", [])]})
                for s in data.get("sections", [])]
    return AuditReport(
        schema_version=data.get("schema_version", SCHEMA_VERSION), title=data.get("title", ""),
        created_at=data.get("created_at", ""), overall_rating=data.get("overall_rating", GREY),
        summary=[build(SummaryItem, s) for s in data.get("summary", [])], sections=sections,
        provenance=build(Provenance, data.get("provenance", {})), thresholds=list(data.get("thresholds", [])),
        policies=[build(PolicyOutcome, p) for p in data.get("policies", [])],
        statement=None if not data.get("statement") else Statement(
            title=data["statement"].get("title", ""),
            lines=[build(StatementLine, line) for line in data["statement"].get("lines", [])]))
