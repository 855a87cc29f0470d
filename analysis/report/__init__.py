"""The leakage report in three stages: results -> report model (`assemble`) -> JSON / HTML.

`assemble_report(ReportInputs(...))` turns whatever results a session or an audit produced (PII scan,
risk, model audit, memorization, trade-off, federated) into an `AuditReport`; `render_html` writes one
self-contained HTML file; `AuditReport.to_json()` is the JSON export, validated by
`schema/report.schema.json` (see docs/report_schema.md).
"""

from analysis.report.assemble import (  # noqa: F401
    SCHEMA_VERSION, AuditReport, PolicyOutcome, Provenance, ReportInputs, ReportTable, Section, SummaryItem,
    assemble_report, describe_model,
)
from analysis.report.ratings import DEFAULT_RULES, Rule, Thresholds, default_thresholds  # noqa: F401
