"""The scan section: which columns identify people, where free text leaks, quasi-identifiers."""

from __future__ import annotations

from typing import Any, Optional

from analysis.report.guard import IdentifierGuard
from analysis.report.model import ReportInputs, ReportTable, Section
from analysis.report.values import as_list, get, num, pct


_KIND_LABELS = {"direct_identifier": "direct identifier", "quasi_identifier": "quasi-identifier",
                "sensitive": "sensitive", "free_text": "free text", "other": "other"}


def _entity_rows(column: Any) -> list[tuple[str, Optional[float], Optional[float]]]:
    rows = []
    for e in as_list(get(column, "entities", default=[])):
        if isinstance(e, (list, tuple)):
            etype, prev, score = (list(e) + [None, None, None])[:3]
        else:
            etype = get(e, "type", "entity_type", "entity")
            prev = get(e, "prevalence")
            score = get(e, "score")
        rows.append((str(etype), num(prev), num(score)))
    rows.sort(key=lambda r: -(r[1] or 0))
    return rows


def scan_section(scan: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any], IdentifierGuard]:
    overrides = dict(inputs.kind_overrides or {})
    columns = as_list(get(scan, "columns", default=[]))
    kinds = {str(get(c, "name")): overrides.get(str(get(c, "name")), str(get(c, "kind", default="other")))
             for c in columns}
    direct = [n for n, k in kinds.items() if k == "direct_identifier"]
    guard = IdentifierGuard(inputs.table, direct, memo=inputs.identifier_memo)
    rows, leaks, quasi, sensitive = [], [], [], []
    for c in columns:
        name = str(get(c, "name"))
        kind = kinds[name]
        entities = _entity_rows(c)
        if kind == "free_text" and entities:
            leaks.append((name, [e[0] for e in entities]))
        if kind == "quasi_identifier":
            quasi.append(name)
        if kind == "sensitive":
            sensitive.append(name)
        top_type = entities[0][0] if entities else ""
        examples = [guard.clean(str(x), top_type) for x in as_list(get(c, "examples", default=[]))[:3]]
        if kind == "direct_identifier" and inputs.table is None:
            # Without the table the guard cannot check: keep only examples that are visibly masked.
            examples = [x for x in examples if any(ch in x for ch in "*•#X█")]
        rows.append([name, _KIND_LABELS.get(kind, kind),
                     ", ".join(f"{t} {pct(p, 0)}" for t, p, _ in entities[:4]) or "—",
                     max((s for _, _, s in entities if s is not None), default=None),
                     " · ".join(examples) or "—"])
    n_rows = get(scan, "rows", "n_rows", default=get(inputs.table, "rows"))
    parts = []
    if direct:
        parts.append(f"{len(direct)} column{'s' if len(direct) != 1 else ''} directly identify people "
                     f"({', '.join(direct)}): remove or pseudonymize them before sharing")
    else:
        parts.append("no column directly identifies a person")
    if leaks:
        parts.append(f"free text leaks personal data in {', '.join(n for n, _ in leaks)} "
                     f"({', '.join(sorted({t for _, ts in leaks for t in ts}))})")
    if quasi:
        parts.append(f"{len(quasi)} quasi-identifiers ({', '.join(quasi)}) can single people out in combination")
    if sensitive:
        parts.append(f"{', '.join(sensitive)} {'is' if len(sensitive) == 1 else 'are'} sensitive")
    sentence = "In this table, " + "; ".join(parts) + "."
    notes = []
    if overrides:
        notes.append(f"Column kinds corrected by the user: {', '.join(f'{k} → {v}' for k, v in overrides.items())}.")
    for note in as_list(get(scan, "notes", default=[])):
        notes.append(str(note))
    if get(scan, "ner_model", default="?") is None and not notes:
        notes.append("The scan ran on pattern recognizers only (no spaCy model).")
    metrics = {"direct_identifiers": len(direct), "free_text_leaks": len(leaks),
               "quasi_identifiers": len(quasi), "sensitive_columns": len(sensitive),
               "columns_scanned": len(columns)}
    if n_rows is not None:
        metrics["rows_scanned"] = int(n_rows)
    section = Section("scan", "Personal data in the table", sentence, metrics,
                      [ReportTable("Columns", ["column", "kind", "entities (prevalence)", "score", "examples (masked)"],
                                   rows)], notes)
    facts = {"direct": direct, "leaks": leaks, "quasi": quasi, "sensitive": sensitive}
    return section, facts, guard
