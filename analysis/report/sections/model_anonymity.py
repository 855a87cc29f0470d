"""The model-anonymity section: the evidence a data protection officer needs for the EDPB's Opinion
28/2024 test (a model is anonymous only if the likelihood of extracting, directly or by querying,
personal data of ANY person whose data trained it is insignificant), built only from measurements.

Read from a strategy comparison (`analysis.strategies.StrategyComparison` or its JSON form) and, when
run, the memorization result (extraction): for every protection, whether membership inference against
the most exposed members is measurably above chance (the share of members whose individual RMIA / LiRA
p-value is below 1%, against the same share among non-members, one-sided two-proportion test at 5%;
and the strongest attack's TPR at 0.1% FPR with the lower end of its Clopper-Pearson interval against
0.1%), the canary audit's ε lower bound, the GDPR anonymity risks of the training table, the attacks
tried and what was not tried. It states evidence, never a legal conclusion.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional

from analysis.report.model import ReportInputs, ReportTable, Section
from analysis.report.values import as_list, get, num

DISCLAIMER = ("Evidence for the EDPB Opinion 28/2024 test, not legal advice: whether a model is anonymous is "
              "the controller's assessment of means reasonably likely to be used; these are the measurements.")
NOT_TRIED = ["LiRA with many reference models (online, 64+)", "attribute inference through the model",
             "training-data reconstruction and white-box (gradient or weight) attacks"]


def _above_chance(members_share: Optional[float], non_share: Optional[float], n_members: int, n_non: int) -> Optional[bool]:
    """One-sided two-proportion z-test at 5%: members' share of p < 1% above the non-members' share."""
    if members_share is None or non_share is None or n_members <= 0 or n_non <= 0:
        return None
    pooled = (members_share * n_members + non_share * n_non) / (n_members + n_non)
    se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / n_members + 1 / n_non))
    return (members_share - non_share) / se > 1.6449


def model_anonymity_section(tradeoff: Any, inputs: ReportInputs) -> Optional[Section]:
    from analysis.comparison_privacy import canary_rows, strongest_attack

    runs = as_list(get(tradeoff, "runs", default=[]))
    if not runs:
        return None
    exposure = get(tradeoff, "exposure")
    shares = {get(r, "run"): r for r in as_list(get(exposure, "runs", default=[]))} if exposure is not None else {}
    bounds = {(r["protection"], r["seed"]): r for r in canary_rows(tradeoff)}
    first_seed = min(int(get(r, "seed", default=0)) for r in runs)
    rows, notes, metrics, above_any = [], [], {}, []
    tried: list[str] = []
    for run in runs:
        if int(get(run, "seed", default=0)) != first_seed:
            continue
        name = str(get(run, "name"))
        attack = strongest_attack(run)
        for a in as_list(get(run, "attacks", default=[])):
            if get(a, "name") not in tried:
                tried.append(str(get(a, "name")))
        tpr = num((get(attack, "tpr_at_fpr") or {}).get("0.001")) if attack is not None else None
        ci = (get(attack, "tpr_ci") or {}).get("0.001") if attack is not None else None
        tpr_low = num(ci[0]) if ci else None
        share = shares.get(name)
        m_share = num((get(share, "members_below") or {}).get(get(share, "attack"))) if share is not None else None
        n_share = num((get(share, "non_members_below") or {}).get(get(share, "attack"))) if share is not None else None
        mia_above = _above_chance(m_share, n_share, int(get(run, "n_members", default=0) or 0),
                                  int(get(run, "n_non_members", default=0) or 0))
        low_fpr_above = None if tpr_low is None else tpr_low > 0.001
        verdict = ("above chance" if (mia_above or low_fpr_above) else
                   "not measurably above chance" if (mia_above is False or low_fpr_above is False) else "not measured")
        if verdict == "above chance":
            above_any.append(name)
        bound = bounds.get((name, get(run, "seed")))
        rows.append([name, get(attack, "name") if attack is not None else None, tpr, tpr_low, m_share, n_share,
                     verdict, bound["ε lower bound"] if bound else None])
        key = str(get(run, "strategy")) + ("" if num(get(run, "epsilon_target")) is None else
                                           f".eps_{num(get(run, 'epsilon_target')):g}")
        metrics[f"{key}.mia_above_chance"] = verdict == "above chance"
        if bound and bound["ε lower bound"] is not None:
            metrics[f"{key}.canary_epsilon_lower_bound"] = bound["ε lower bound"]
    memorization = inputs.memorization
    if memorization is not None:
        models = as_list(get(memorization, "models", default=[]))
        extracted = [(str(get(m, "name")), sum(bool(get(c, "extracted")) for c in as_list(get(m, "canaries", default=[]))),
                      len(as_list(get(m, "canaries", default=[])))) for m in models]
        notes += [f"Extraction ({get(memorization, 'kind')} canaries): {name} gave back {k} of {n} planted secrets "
                  "as its most probable answer." for name, k, n in extracted]
        extraction = "tried (Memorization page)"
    else:
        extraction = "not tried in this report (run the Memorization page for canary extraction)"
    if above_any:
        sentence = (f"Membership inference is measurably above chance for {', '.join(above_any)}: an attacker "
                    "querying the model can tell, better than chance, that some people's records trained it, so "
                    "the measurements do not support 'insignificant likelihood' for every data subject there.")
    else:
        sentence = ("No protection's model shows membership inference measurably above chance against its most "
                    "exposed members with the attacks tried; this supports, but does not prove, an 'insignificant "
                    "likelihood' of identifying training subjects by these means.")
    notes = [DISCLAIMER,
             f"Attacks tried: {', '.join(tried) or 'none'}; extraction: {extraction}.",
             f"Not tried: {'; '.join(NOT_TRIED)}. A stronger attacker could do better than these figures."] + notes
    if exposure is not None:
        notes.append(f"The most exposed members (top {len(as_list(get(exposure, 'people', default=[])))} on "
                     f"{get(exposure, 'reference_run')}) are described on the Privacy-utility page by their "
                     "quasi-identifier groups only.")
    table = ReportTable("Membership inference against the most exposed members (first seed)",
                        ["protection", "strongest attack", "TPR at 0.1% FPR", "its 95% lower bound",
                         "members with p < 1%", "non-members with p < 1% (chance)", "verdict", "canary ε ≥"], rows)
    tables = [table]
    people = as_list(get(exposure, "people", default=[])) if exposure is not None else []
    if people:
        runs_named = list((get(people[0], "p_values") or {}).keys())
        tables.append(ReportTable(
            "Most exposed members: quasi-identifier group and p-value per protection",
            ["rank", "group", "members in group", "stands out"] + [f"p ({n})" for n in runs_named],
            [[get(p, "rank"), "; ".join(f"{k}: {v}" for k, v in (get(p, "group") or {}).items()),
              get(p, "group_size"), "; ".join(get(p, "stands_out") or []) or "–"]
             + [num((get(p, "p_values") or {}).get(n)) for n in runs_named] for p in people]))
    from analysis.comparison_privacy import anonymity_rows

    anon = anonymity_rows(tradeoff)
    if anon:
        tables.append(ReportTable("Anonymity of the training table (GDPR criteria, anonymeter's method)",
                                  ["table", "criterion", "risk", "95% low", "95% high", "beats baseline"],
                                  [[r["table"], r["criterion"], r["risk"], r["ci low"], r["ci high"], r["beats baseline"]]
                                   for r in anon if r["seed"] == first_seed]))
        for r in anon:
            if r["seed"] == first_seed:
                metrics[f"anonymity.{r['table']}.{r['criterion'].replace(' ', '_')}"] = r["risk"]
    metrics["mia_above_chance_any"] = bool(above_any)
    return Section("model_anonymity", "Model anonymity: evidence for EDPB Opinion 28/2024", sentence, metrics,
                   tables, notes)


def anonymity_markdown(report, escape: Callable[[str], str]) -> list[str]:
    """The model_anonymity section as Markdown lines: its sentence, notes and first table. `escape` is the
    exporter's text escaping (table-derived strings such as quasi-identifier values pass through it)."""
    section = next((s for s in report.sections if s.key == "model_anonymity"), None)
    if section is None:
        return []

    def value(v: Any) -> str:
        return "–" if v is None else f"{v:.3g}" if isinstance(v, float) else escape(str(v))

    out = ["", f"### {escape(section.title)}", "", escape(section.sentence), ""]
    out += [f"- {escape(note)}" for note in section.notes]
    if section.tables:
        table = section.tables[0]
        out += ["", "| " + " | ".join(escape(str(c)) for c in table.columns) + " |", "|" + "---|" * len(table.columns)]
        out += ["| " + " | ".join(value(v) for v in row) + " |" for row in table.rows]
    return out
