"""What is released: when an anonymization plan was applied, the report judges the anonymized table and
shows the raw table's figures beside it.

Risk is the risk assessment of the anonymized table (`ReportInputs.released_risk`, measured on the
plan's output with the same quasi-identifiers); the direct identifiers left in clear are the scan's direct
identifiers (and free-text columns) that the plan does not transform. The summary's k, records at risk
and direct identifiers then read the released table, each with the raw table's value in its text.
"""

from __future__ import annotations

from typing import Any, Optional

from analysis.report.model import ReportInputs, ReportTable
from analysis.report.values import as_list, fmt, get, num, pct


def plan_columns(plan: Any) -> dict[str, str]:
    """Column -> operator of the plan (a Plan or its dict); 'keep' rules do not count."""
    columns = get(plan, "columns", default={}) or {}
    items = columns.items() if hasattr(columns, "items") else []
    return {str(c): str(get(rule, "operator", default=rule if isinstance(rule, str) else ""))
            for c, rule in items if str(get(rule, "operator", default=rule)) != "keep"}


def released_facts(inputs: ReportInputs, scan_facts: Optional[dict]) -> Optional[dict[str, Any]]:
    """The released table's figures, or None when no plan was applied."""
    if inputs.anonymization is None:
        return None
    transformed = plan_columns(inputs.anonymization)
    facts: dict[str, Any] = {"transformed": transformed}
    if scan_facts is not None:
        identifying = list(scan_facts["direct"]) + [n for n, _ in scan_facts["leaks"]]
        facts["direct_in_clear"] = [c for c in identifying if c not in transformed]
        facts["direct_raw"] = list(scan_facts["direct"])
    risk = inputs.released_risk
    if risk is not None:
        rows = num(get(risk, "rows", "n_rows"))
        below = num(get(risk, "records_below_k"))
        facts.update(k=num(get(risk, "k")), below=below, rows=rows,
                     share=(below / rows) if below is not None and rows else None,
                     uniques=num(get(risk, "sample_uniques")),
                     prosecutor=num(get(get(risk, "prosecutor"), "records_at_risk_share")),
                     qis=[str(q) for q in as_list(get(risk, "quasi_identifiers", default=[]))])
    return facts


def comparison_table(raw_risk: Any, facts: dict[str, Any]) -> ReportTable:
    """Raw and released figures side by side."""
    def raw(*keys):
        return num(get(raw_risk, *keys)) if raw_risk is not None else None

    raw_rows = raw("rows", "n_rows")
    raw_below = raw("records_below_k")
    rows = [
        ["k (smallest group)", fmt(raw("k")), fmt(facts.get("k"))],
        ["records below k", pct(raw_below / raw_rows) if raw_below is not None and raw_rows else "—",
         pct(facts["share"]) if facts.get("share") is not None else "—"],
        ["unique records", fmt(raw("sample_uniques")), fmt(facts.get("uniques"))],
        ["prosecutor: records at risk",
         pct(num(get(get(raw_risk, "prosecutor"), "records_at_risk_share"))) if raw_risk is not None else "—",
         pct(facts["prosecutor"]) if facts.get("prosecutor") is not None else "—"],
        ["rows", fmt(raw_rows), fmt(facts.get("rows"))],
    ]
    if "direct_in_clear" in facts:
        rows.append(["direct identifiers in clear", fmt(len(facts["direct_raw"])), fmt(len(facts["direct_in_clear"]))])
    return ReportTable("Raw table and released table (after the anonymization plan)",
                       ["measure", "raw table", "released table"], rows)


def released_sentence(facts: dict[str, Any], raw_k: Optional[float]) -> str:
    parts = [f"After the anonymization plan ({len(facts['transformed'])} column(s) transformed)"]
    if facts.get("k") is not None:
        parts.append(f"the released table has k = {int(facts['k'])}"
                     + (f" (raw table: k = {int(raw_k)})" if raw_k is not None else "")
                     + (f" and {pct(facts['share'])} of records below the target k" if facts.get("share") is not None
                        else ""))
    if "direct_in_clear" in facts:
        left = facts["direct_in_clear"]
        parts.append("no direct identifier is left in clear" if not left else
                     f"{', '.join(left)} {'is' if len(left) == 1 else 'are'} still in clear")
    return ", ".join(parts[:1]) + ": " + "; ".join(parts[1:]) + "." if len(parts) > 1 else parts[0] + "."
