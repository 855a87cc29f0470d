"""The risk section: k-anonymity, records below k, attacker models, l-diversity, riskiest combinations."""

from __future__ import annotations

from typing import Any, Mapping

from analysis.report.model import ReportInputs, ReportTable, Section
from analysis.report.values import as_list, flatten, fmt, get, measure, num, pct, share_cell


def risk_section(risk: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any]]:
    qis = [str(q) for q in as_list(get(risk, "quasi_identifiers", "qis", default=[]))]
    k = num(get(risk, "k", "k_anonymity", "min_class_size"))
    target_k = num(get(risk, "target_k", "k_threshold", "chosen_k", "risk_k"))
    rows = num(get(risk, "rows", "n_rows", "records", default=get(inputs.table, "rows")))
    below = num(get(risk, "records_below_k", "records_at_risk"))
    uniques = num(get(risk, "sample_uniques", "uniques"))
    share = (below / rows) if below is not None and rows else None
    metrics: dict[str, Any] = {"k": k, "records_below_k": below, "records_below_k_share": share,
                               "sample_uniques": uniques, "rows": rows}
    if target_k is not None:
        metrics["k_threshold"] = target_k
    table_rows = []
    for model in ("prosecutor", "journalist", "marketer"):
        value = get(risk, model)
        if value is None:
            continue
        flat: dict[str, Any] = {}
        flatten("", value, flat)
        if not flat and num(value) is not None:
            flat = {"average": num(value)}
        for key, v in flat.items():
            metrics[f"{model}.{key}"] = v
        table_rows.append([model, ", ".join(f"{k_}: {measure(k_, v)}" for k_, v in flat.items())])
    ldiv = get(risk, "l_diversity")
    if ldiv is not None:
        flat = {}
        flatten("", ldiv, flat)
        for key, v in flat.items():
            metrics[f"l_diversity.{key}"] = v
        if flat:
            table_rows.append(["l-diversity", ", ".join(f"{k_}: {measure(k_, v)}" for k_, v in flat.items())])
    tclose = get(risk, "t_closeness")
    if tclose is not None:
        flat = {}
        flatten("", tclose, flat)
        if flat:
            table_rows.append(["t-closeness", ", ".join(f"{k_}: {measure(k_, v)}" for k_, v in flat.items())])
    kk = fmt(int(target_k)) if target_k is not None else "the chosen k"
    if k is None:
        sentence = "The risk step ran but reported no k."
    else:
        sentence = (f"With quasi-identifiers {', '.join(qis) or '(none)'}, the smallest group of "
                    f"look-alike records has {int(k)} record{'s' if k != 1 else ''}")
        if below is not None and rows:
            sentence += (f"; {int(below):,} of {int(rows):,} records ({pct(share)}) sit in groups smaller "
                         f"than {kk}")
        if uniques is not None:
            sentence += f", and {int(uniques):,} are unique"
        sentence += (": anyone who knows these attributes of a person in the table can single them out."
                     if k < 2 else
                     f": each record shares its quasi-identifiers with at least {int(k) - 1} other"
                     f"{'s' if k > 2 else ''}, so these attributes alone do not single anyone out.")
    if isinstance(ldiv, Mapping) and k is not None:
        for attr, entry in ldiv.items():
            homogeneous = num(get(entry, "records_in_homogeneous_classes_share"))
            if homogeneous:
                sentence += (f" {pct(homogeneous)} of records sit in groups where everyone has the same {attr}: "
                             f"knowing someone's quasi-identifiers reveals it.")
    tables = [ReportTable("Attacker models and diversity", ["measure", "values"], table_rows)] if table_rows else []
    combos = as_list(get(risk, "riskiest_combinations", "riskiest", default=[]))[:5]
    if combos:
        crow = []
        for c in combos:
            cols = get(c, "columns", "quasi_identifiers", default=c if isinstance(c, (list, tuple)) else [])
            crow.append([", ".join(map(str, cols)), num(get(c, "unique_records", "sample_uniques", "uniques")),
                         share_cell(get(c, "unique_share")), num(get(c, "k"))])
        tables.append(ReportTable("Riskiest combinations of quasi-identifiers",
                                  ["columns", "unique records", "unique share", "k"], crow))
    notes = [f"Quasi-identifiers: {', '.join(qis)}"] if qis else []
    journalist = get(risk, "journalist")
    if journalist is not None and get(journalist, "population"):
        notes.append(f"Journalist and marketer risk use the {get(journalist, 'population')}. Assumes: "
                     + " ".join(str(a) for a in as_list(get(journalist, "assumptions", default=[]))))
    uniqueness = get(risk, "population_uniqueness")
    if uniqueness is not None and num(get(uniqueness, "population_uniques_share")) is not None:
        notes.append(f"Population uniqueness ({get(uniqueness, 'estimator')}): "
                     f"{pct(num(get(uniqueness, 'population_uniques_share')))} of records are estimated to be "
                     f"unique in the population; {get(uniqueness, 'decision', default='')}")
    section = Section("risk", "Re-identification risk", sentence, metrics, tables, notes)
    return section, {"k": k, "share": share, "below": below, "rows": rows, "qis": qis, "target_k": target_k}
