"""Results -> report model: summary with ratings, one section per capability, and provenance.

Every capability result is optional: `assemble_report` reads whatever `ReportInputs` holds and leaves
out the rest (its summary item is rated "grey", "not run"). Results are read by attribute or key, so a
result object and its `to_dict()` form both work.

The pieces: `model` (the report dataclasses), `sections/` (one module per capability), `guard` (raw
identifiers never copied), `provenance` (fingerprints and what was run), `values` (reading and
formatting). The names other code imports from here are re-exported.

Privacy of the report itself: it never copies raw cell values. Column examples come from the scan
(already masked); as a second line of defence, any example that still contains a raw value of a
direct-identifier column of the table is masked again (see `guard`), and the section says so.
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import replace
from typing import Optional, Sequence

from analysis.report.model import (  # noqa: F401  (re-exported)
    SCHEMA_VERSION, SECTION_KEYS, AuditReport, PolicyOutcome, Provenance, ReportInputs, ReportTable, Section,
    Statement, StatementLine, SummaryItem, report_from_dict,
)
from analysis.report.provenance import build_provenance, describe_model  # noqa: F401
from analysis.report.ratings import AMBER, GREEN, GREY, RED, Thresholds, default_thresholds
from analysis.report.sections.attack import attack_section, strongest_attack  # noqa: F401
from analysis.report.sections.consent import consent_section
from analysis.report.sections.federated import federated_section
from analysis.report.sections.language_model import language_model_section
from analysis.report.sections.memorization import memorization_section
from analysis.report.sections.released import comparison_table, released_facts, released_sentence
from analysis.report.sections.model_anonymity import model_anonymity_section
from analysis.report.sections.risk import risk_section
from analysis.report.sections.scan import scan_section
from analysis.report.sections.statement import statement
from analysis.report.sections.tradeoff import tradeoff_section
from analysis.report.values import eps_text, fmt, get, pct  # noqa: F401  (get: re-exported)


# A secret space this small (2 or 3 values) cannot tell memorization from a lucky guess: exposure tops out
# at 1-2 bits, so a "recoverable" secret is rated grey (not resolved), never "Act".
MIN_RESOLVABLE_SECRET_BITS = 3.0


def _item(thresholds: Thresholds, metric: str, value: Optional[float], display: str, section: str, *,
          unresolved: Optional[str] = None, unresolved_ratings: Sequence[str] = (AMBER, RED)) -> SummaryItem:
    """A summary line; `unresolved` (why the test cannot resolve the value) turns the ratings in
    `unresolved_ratings` grey and says why."""
    rule = thresholds.rule(metric)
    rating = rule.rate(value)
    if unresolved and rating in unresolved_ratings:
        rating, display = GREY, f"{display} — not rated: {unresolved}"
    return SummaryItem(metric=metric, label=rule.label, value=value,
                       display=display if value is not None or display != "" else "not run",
                       rating=rating, rule=rule.describe(), section=section)


def _overall(items: Sequence[SummaryItem]) -> str:
    ratings = {i.rating for i in items}
    for level in (RED, AMBER, GREEN):
        if level in ratings:
            return level
    return GREY


def assemble_report(inputs: ReportInputs, *, thresholds: Optional[Thresholds] = None,
                    created_at: Optional[str] = None) -> AuditReport:
    """Build the report model from whatever results `inputs` holds (all optional)."""
    if not isinstance(inputs, ReportInputs):
        raise ValueError(f"inputs must be a ReportInputs, got {type(inputs).__name__}")
    thresholds = thresholds or default_thresholds()
    start = time.perf_counter()
    sections: list[Section] = []
    notrun = "not run"

    scan_facts = None
    if inputs.scan is not None:
        section, scan_facts, guard = scan_section(inputs.scan, inputs)
        if guard.remasked:
            section = replace(section, notes=section.notes + [
                f"{guard.remasked} example(s) still held a raw identifier and were masked again by the report."])
        sections.append(section)
    risk_facts = None
    released = released_facts(inputs, scan_facts)  # after a plan: the released table is what is judged
    if inputs.risk is not None or (released and released.get("k") is not None):
        section, risk_facts = risk_section(inputs.risk if inputs.risk is not None else inputs.released_risk, inputs)
        if released is not None and released.get("k") is not None:
            raw_k = risk_facts["k"] if inputs.risk is not None else None
            section = replace(section, sentence=released_sentence(released, raw_k) + " Raw table: " + section.sentence,
                              tables=[comparison_table(inputs.risk, released)] + section.tables,
                              metrics={**section.metrics, "released.k": released["k"],
                                       "released.records_below_k_share": released["share"],
                                       "released.sample_uniques": released["uniques"]})
        sections.append(section)
    attack_facts = None
    if inputs.attacks is not None:
        section, attack_facts = attack_section(inputs.attacks, inputs)
        sections.append(section)
    mem_facts = None
    if inputs.memorization is not None:
        section, mem_facts = memorization_section(inputs.memorization, inputs)
        sections.append(section)
    lm_facts = None
    if inputs.language_model is not None:
        section, lm_facts = language_model_section(inputs.language_model, inputs)
        sections.append(section)
    trade_facts = None
    if inputs.tradeoff is not None:
        section, trade_facts = tradeoff_section(inputs.tradeoff, inputs)
        sections.append(section)
    if inputs.tradeoff is not None:
        anonymity_section = model_anonymity_section(inputs.tradeoff, inputs)
        if anonymity_section is not None:
            sections.append(anonymity_section)
    if inputs.federated is not None:
        sections.append(federated_section(inputs.federated, inputs))
    if "consent" in inputs.present():
        sections.append(consent_section(inputs))

    t = thresholds
    summary = []
    if scan_facts is not None:
        d, leaks = scan_facts["direct"], scan_facts["leaks"]
        if released is not None and "direct_in_clear" in released:
            left = released["direct_in_clear"]
            summary.append(_item(t, "direct_identifiers", float(len(left)),
                                 (f"{len(left)} in clear in the released table: {', '.join(left)}" if left else
                                  "none in clear in the released table")
                                 + f" (raw table: {len(d)}{': ' + ', '.join(d) if d else ''})", "scan"))
        else:
            summary.append(_item(t, "direct_identifiers", float(len(d)),
                                 f"{len(d)}: {', '.join(d)}" if d else "none found", "scan"))
        summary.append(_item(t, "free_text_leaks", float(len(leaks)),
                             "; ".join(f"{n} ({', '.join(ts[:4])})" for n, ts in leaks) if leaks else "none found",
                             "scan"))
    else:
        summary += [_item(t, "direct_identifiers", None, notrun, "scan"),
                    _item(t, "free_text_leaks", None, notrun, "scan")]
    if released is not None and released.get("k") is not None and risk_facts is not None:
        qis = ", ".join(released["qis"])
        raw = (f" (raw table: k = {int(risk_facts['k'])})"
               if inputs.risk is not None and risk_facts["k"] is not None else "")
        summary.append(_item(t, "k_anonymity", released["k"], f"k = {int(released['k'])}"
                             + (f" on {qis}" if qis else "") + " in the released table" + raw, "risk"))
        if released["share"] is not None:
            raw_share = risk_facts["share"] if inputs.risk is not None else None
            summary.append(_item(t, "records_at_risk", released["share"],
                                 f"{pct(released['share'])} ({int(released['below']):,} of {int(released['rows']):,}) "
                                 "in the released table" + (f" (raw table: {pct(raw_share)})" if raw_share is not None
                                                            else ""), "risk"))
        else:
            summary.append(_item(t, "records_at_risk", None, notrun, "risk"))
    elif risk_facts is not None and risk_facts["k"] is not None:
        qis = ", ".join(risk_facts["qis"])
        summary.append(_item(t, "k_anonymity", risk_facts["k"], f"k = {int(risk_facts['k'])}"
                             + (f" on {qis}" if qis else ""), "risk"))
        if risk_facts["share"] is not None:
            kk = f" below k = {int(risk_facts['target_k'])}" if risk_facts["target_k"] is not None else ""
            summary.append(_item(t, "records_at_risk", risk_facts["share"],
                                 f"{pct(risk_facts['share'])} ({int(risk_facts['below']):,} of "
                                 f"{int(risk_facts['rows']):,}){kk}", "risk"))
        else:
            summary.append(_item(t, "records_at_risk", None, notrun, "risk"))
    else:
        summary += [_item(t, "k_anonymity", None, notrun, "risk"), _item(t, "records_at_risk", None, notrun, "risk")]
    if attack_facts is not None and attack_facts.get("best"):
        rough = " — rough: too few non-members to resolve 0.1% FPR" if attack_facts.get("rough") else ""
        summary.append(_item(t, "attack_tpr_at_0.001_fpr", attack_facts["tpr"],
                             f"{pct(attack_facts['tpr'], 2)} ({attack_facts['best']}){rough}", "attack",
                             unresolved="0.1% FPR cannot be resolved with this many non-members"
                             if attack_facts.get("rough") else None, unresolved_ratings=(AMBER,)))
        summary.append(_item(t, "attack_auc", attack_facts["auc"],
                             f"{fmt(attack_facts['auc'])} ({attack_facts['best']})", "attack"))
    else:
        summary += [_item(t, "attack_tpr_at_0.001_fpr", None, notrun, "attack"),
                    _item(t, "attack_auc", None, notrun, "attack")]
    if mem_facts is not None:
        display = (f"{fmt(mem_facts['exposure'])} of {fmt(mem_facts['bits'])} bits"
                   if mem_facts["exposure"] is not None else "no exposure measured")
        if mem_facts["verdict"]:
            display += f" — {mem_facts['verdict']}"
        small = mem_facts["bits"] is not None and mem_facts["bits"] < MIN_RESOLVABLE_SECRET_BITS
        why = (f"a secret of {fmt(mem_facts['bits'])} bit(s) is too small to tell memorization from a guess "
               "(choose a secret with 8 or more values)") if small else None
        summary.append(_item(t, "memorization_exposure", mem_facts["share"], display, "memorization",
                             unresolved=why))
    else:
        summary.append(_item(t, "memorization_exposure", None, notrun, "memorization"))
    if lm_facts is not None:  # only when run: a report without a language model keeps its summary
        summary.append(_item(t, "text_tpr_at_0.001_fpr", lm_facts["tpr"], pct(lm_facts["tpr"], 2), "language_model"))
        if lm_facts["pii_extracted"] is not None:
            summary.append(_item(t, "text_pii_extracted", float(lm_facts["pii_extracted"]),
                                 f"{lm_facts['pii_extracted']} distinct values", "language_model"))
    if trade_facts is not None:
        display = (f"{eps_text(trade_facts['eps'])} keeps {pct(trade_facts['kept'])} of non-private accuracy"
                   if trade_facts["kept"] is not None and trade_facts["eps"] is not None else trade_facts["sentence"])
        summary.append(_item(t, "dp_accuracy_kept", trade_facts["kept"], display, "tradeoff"))
    else:
        summary.append(_item(t, "dp_accuracy_kept", None, notrun, "tradeoff"))

    order = {m: i for i, m in enumerate(t.metrics())}
    summary.sort(key=lambda s: order.get(s.metric, 99))
    provenance = build_provenance(inputs, time.perf_counter() - start)
    report = AuditReport(schema_version=SCHEMA_VERSION, title=inputs.title,
                         created_at=created_at or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                         overall_rating=_overall(summary), summary=summary, sections=sections,
                         provenance=provenance, thresholds=[r.to_dict() for r in t.rules])
    return replace(report, statement=statement(report, inputs))
