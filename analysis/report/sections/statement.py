"""The data-use statement: what personal data the work used and how it was protected, in plain words.

It reads like the privacy section of a model card (Mitchell et al. 2019) or a datasheet (Gebru et al.
2021), and it is built only from the assembled report (sections, summary, provenance) and the results
behind it: no free text is invented, no raw value is copied. Each line is one short sentence with its
numbers and units, under a topic.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from analysis.report.model import AuditReport, ReportInputs, Statement, StatementLine
from analysis.report.values import as_list, eps_text, fmt, get, num, pct

_LIGHT_WORDS = {"green": "green (OK)", "amber": "amber (watch)", "red": "red (act)"}
_KIND_WORDS = {"direct_identifier": "a direct identifier", "quasi_identifier": "a quasi-identifier",
               "sensitive": "a sensitive attribute", "free_text": "free text"}


def _personal_data(inputs: ReportInputs) -> list[StatementLine]:
    if inputs.scan is None:
        return [StatementLine("personal data", "No PII scan was run, so the personal data categories are not stated.")]
    overrides = dict(inputs.kind_overrides or {})
    lines: list[StatementLine] = []
    found: list[str] = []
    specials: list[str] = []
    for column in as_list(get(inputs.scan, "columns", default=[])):
        name = str(get(column, "name"))
        kind = overrides.get(name, str(get(column, "kind", default="other")))
        types = []
        for e in as_list(get(column, "entities", default=[])):
            etype = e[0] if isinstance(e, (list, tuple)) else get(e, "type", "entity_type", "entity")
            if etype and str(etype) not in types:
                types.append(str(etype))
        if kind == "other" and not types:
            continue
        kind_text = _KIND_WORDS.get(kind, "a column")
        special = str(get(column, "special_category", default="") or "")
        lines.append(StatementLine("personal data", f"Column {name} is {kind_text}" +
                                   (f" holding {', '.join(types[:4])}" if types else "") +
                                   (f"; special category: {special}" if special else "") + "."))
        found.extend(t for t in types if t not in found)
        if special and special not in specials:
            specials.append(special)
    if found or specials:  # every category, in one line a reader can check against the columns above
        lines.append(StatementLine("personal data", "Categories found: " + (", ".join(found) or "none")
                                   + (f"; special categories: {'; '.join(specials)}" if specials else "") + "."))
    return lines or [StatementLine("personal data", "The PII scan found no personal data column.")]


def _consent(report: AuditReport) -> list[StatementLine]:
    section = report.section("consent")
    if section is None:
        return [StatementLine("consent", "Consent was not mapped; training did not check it.")]
    lines = []
    m = section.metrics
    for purpose in dict.fromkeys(k.split(".")[0] for k in m if k.endswith(".consented")):
        lines.append(StatementLine("consent", f"{fmt(m.get(f'{purpose}.consented'))} rows consent to {purpose}, "
                                              f"{fmt(m.get(f'{purpose}.not_consented'))} do not and "
                                              f"{fmt(m.get(f'{purpose}.unknown'))} are unknown."))
    if m.get("enforced_purpose"):
        unknown = "counted as consent" if m.get("unknown_as_consented") else "counted as no consent"
        lines.append(StatementLine("consent", f"Training used only rows with consent to {m['enforced_purpose']}; "
                                              f"{fmt(m.get('rows_excluded'))} rows were excluded (unknown {unknown})."))
    elif "rows_without_consent" in m:
        lines.append(StatementLine("consent", f"Consent was not enforced: {fmt(m.get('rows_without_consent'))} rows "
                                              "without recorded consent were used in training."))
    return lines


def _protections(report: AuditReport, inputs: ReportInputs) -> list[StatementLine]:
    lines = []
    plan = inputs.anonymization
    if plan is not None:
        columns = get(plan, "columns", default={}) or {}
        ops = sorted({str(get(rule, "operator")) for rule in (columns.values() if hasattr(columns, "values") else [])})
        suppression = get(plan, "suppression")
        text = f"An anonymization plan transformed {len(columns)} column(s)"
        text += f" ({', '.join(ops)})" if ops else ""
        if suppression is not None:
            text += f" and suppressed records until k = {get(suppression, 'k')}"
        lines.append(StatementLine("protections", text + "."))
    trade = report.section("tradeoff")
    if trade is not None and trade.metrics.get("recommended_epsilon") is not None:
        delta = num(get(inputs.tradeoff, "delta"))
        # DP is a property of a model trained with it: the comparison's models, never the audited one
        # unless its description says so
        lines.append(StatementLine("protections", "In the protection comparison, models trained with DP-SGD at "
                                                  f"{eps_text(trade.metrics['recommended_epsilon'])}"
                                                  + (f", δ = {delta:.2g}" if delta else "") +
                                                  " (the recommended budget; one unit of privacy is one training row)"
                                                  + (f" keep {pct(trade.metrics['recommended_accuracy_kept'])} of "
                                                     "non-private accuracy" if trade.metrics.get(
                                                         "recommended_accuracy_kept") is not None else "") + "."))
        if inputs.attacks is not None and not _model_has_dp(inputs.model_info):
            lines.append(StatementLine("protections", "The audited model was not trained with differential "
                                                      "privacy: no ε applies to it."))
    federated = inputs.federated
    if federated is not None:
        runs = [r for r in as_list(get(federated, "runs", default=[])) if get(r, "mode") == "federated"]
        if runs:
            r = runs[-1]
            ceps = num(get(r, "client_epsilon"))
            text = (f"Federated training was simulated with {get(r, 'clients')} clients over {get(r, 'rounds')} "
                    "rounds; raw rows stay with each client")
            if ceps is not None:
                text += f"; DP-FedAvg gives ε = {ceps:.2f} per client (one unit is one client's whole data)"
            lines.append(StatementLine("protections", text + "."))
    return lines or [StatementLine("protections", "No protection (anonymization, DP, federated training) was "
                                                  "applied in this audit.")]


def _model_has_dp(info: Any) -> bool:
    text = " ".join(f"{k}={v}" for k, v in dict(info or {}).items()).lower()
    return bool(re.search(r"epsilon|noise_multiplier|dp[-_ ]?sgd|differential", text))


def _risks(report: AuditReport) -> list[StatementLine]:
    lines = []
    for item in report.summary:
        if item.rating == "grey":
            continue
        lines.append(StatementLine("residual risk", f"{item.label}: {item.display}, rated "
                                                    f"{_LIGHT_WORDS.get(item.rating, item.rating)}."))
    return lines or [StatementLine("residual risk", "No residual risk was measured.")]


def _withdrawal(inputs: ReportInputs) -> list[StatementLine]:
    check = inputs.withdrawal
    if check is None:
        return []
    text = (f"The withdrawal check tested {fmt(get(check, 'rows'))} withdrawn records against the model: "
            f"{get(check, 'verdict')} ({_withdrawal_test(check)} p = {num(get(check, 'p_value')):.3g}; "
            f"{pct(num(get(check, 'share_above_threshold')))} above the 1% false-positive threshold).")
    lines = [StatementLine("withdrawal", text)]
    if not get(check, "test_can_tell", default=True):
        lines.append(StatementLine("withdrawal", "The model's own members are not distinguishable either, so the "
                                                 "test cannot tell."))
    return lines


def _withdrawal_test(check) -> str:
    """How the verdict was reached, in two or three words (older results carry no `test`: Mann-Whitney)."""
    test = str(get(check, "test", default="") or "Mann-Whitney")
    return "per-record test against retrained models," if test.startswith("withdrawn records vs models") \
        else "Mann-Whitney"


def _provenance(report: AuditReport) -> list[StatementLine]:
    p = report.provenance
    lines = []
    if p.dataset:
        lines.append(StatementLine("provenance", f"Data: {p.dataset.get('name')}, {fmt(p.dataset.get('rows'))} rows, "
                                                 f"SHA-256 {p.dataset.get('sha256')}."))
    if p.model and p.model.get("fingerprint"):
        lines.append(StatementLine("provenance", f"Model: {p.model.get('name')}, fingerprint {p.model['fingerprint']}."))
    lines.append(StatementLine("provenance", f"Written {report.created_at} by privacy-audit {p.tool_version}."))
    return lines


def statement(report: AuditReport, inputs: ReportInputs) -> Optional[Statement]:
    """The data-use statement for an assembled report and the inputs behind it."""
    lines = (_personal_data(inputs) + _consent(report) + _protections(report, inputs) + _risks(report)
             + _withdrawal(inputs) + _provenance(report))
    return Statement(title="Data-use statement", lines=lines)


def statement_text(value: Any) -> str:
    """The statement as plain sentences (one paragraph per topic)."""
    topics: dict[str, list[str]] = {}
    for line in as_list(get(value, "lines", default=[])):
        topics.setdefault(str(get(line, "topic")), []).append(str(get(line, "text")))
    return "\n\n".join(f"{topic.capitalize()}: {' '.join(texts)}" for topic, texts in topics.items())
