"""The attack section: membership inference on the model, led by the strongest attack.

"Strongest" is the project's one definition, `analysis.attacks.metrics.strongest` (highest TPR at 0.1%
FPR, ties by AUC). Attacks in their JSON form (mappings, e.g. runs read back from storage) are turned
into `AttackResult`s once, in `attack_list`, so that one rule applies to both forms.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional

from analysis.report.model import ReportInputs, ReportTable, Section
from analysis.report.values import as_list, fmt, get, num, pct, share_cell


def as_attack(attack: Any) -> Any:
    """An `AttackResult` as is; its JSON form converted (fields it lacks read as not measured)."""
    from analysis.attacks.metrics import AttackResult

    if isinstance(attack, AttackResult):
        return attack
    data = attack.to_dict() if hasattr(attack, "to_dict") else attack
    if not isinstance(data, Mapping):
        raise ValueError(f"an attack must be an AttackResult or its dict form, got {type(attack).__name__}")

    def measured(*keys: str) -> float:
        value = num(get(data, *keys))
        return math.nan if value is None else value

    tprs = {str(k): num(v) for k, v in (data.get("tpr_at_fpr") or {}).items()}
    epsilon = num(get(data, "epsilon_lower_bound", "empirical_epsilon"))
    return AttackResult(
        name=str(data.get("name", "attack")), auc=measured("auc"), advantage=measured("advantage"),
        tpr_at_fpr={k: v for k, v in tprs.items() if v is not None},
        tpr_ci=dict(data.get("tpr_ci") or {}), achieved_fpr=dict(data.get("achieved_fpr") or {}),
        epsilon_lower_bound=epsilon, delta=measured("delta"), n_members=int(data.get("n_members") or 0),
        n_non_members=int(data.get("n_non_members") or 0), roc_fpr=list(data.get("roc_fpr") or []),
        roc_tpr=list(data.get("roc_tpr") or []), warnings=[str(w) for w in data.get("warnings") or []],
        description=str(data.get("description", "")), settings=dict(data.get("settings") or {}))


def attack_list(attacks: Any) -> list[Any]:
    """The `AttackResult`s of a model audit (with `.attacks`) or of a plain list of attacks."""
    inner = get(attacks, "attacks")
    return [as_attack(a) for a in as_list(inner if inner is not None else attacks)]


def tpr_at(attack: Any, fpr: str) -> Optional[float]:
    return num(attack.tpr_at_fpr.get(fpr))


def strongest_attack(attacks: Any) -> Any:
    """`analysis.attacks.metrics.strongest` over the attacks, or None when there is none."""
    from analysis.attacks.metrics import strongest

    return strongest(attack_list(attacks))


def attack_section(audit: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any]]:
    attacks = attack_list(audit)
    best = strongest_attack(audit)
    rows = []
    metrics: dict[str, Any] = {}
    for a in attacks:
        name = str(get(a, "name", default="attack"))
        tpr3, tpr2 = tpr_at(a, "0.001"), tpr_at(a, "0.01")
        auc, adv = num(get(a, "auc")), num(get(a, "advantage"))
        eps_lb = num(get(a, "epsilon_lower_bound", "empirical_epsilon"))
        rows.append([name, auc, adv, share_cell(tpr3, 2), share_cell(tpr2, 2), eps_lb])
        metrics.update({f"{name}.auc": auc, f"{name}.tpr_at_0.001_fpr": tpr3, f"{name}.tpr_at_0.01_fpr": tpr2,
                        f"{name}.advantage": adv})
    train_acc = num(get(audit, "train_accuracy"))
    test_acc = num(get(audit, "test_accuracy"))
    metrics["train_accuracy"], metrics["test_accuracy"] = train_acc, test_acc
    n_members = get(audit, "n_members", "members")
    n_non = get(audit, "n_non_members", "non_members")
    facts: dict[str, Any] = {"best": None}
    if best is None:
        sentence = "The model audit ran no attack."
    else:
        name = str(get(best, "name", default="attack"))
        tpr3, auc = tpr_at(best, "0.001"), num(get(best, "auc"))
        metrics.update({"strongest_attack": name, "strongest.tpr_at_0.001_fpr": tpr3, "strongest.auc": auc})
        rough = any("0.001" in str(w) for w in as_list(get(best, "warnings", default=[])))
        facts = {"best": name, "tpr": tpr3, "auc": auc, "rough": rough}
        tpr2 = tpr_at(best, "0.01")
        sentence = (f"The strongest attack by TPR at 0.1% FPR, {name}, recognises {pct(tpr3, 2)} of the training records at "
                    f"0.1% false-positive rate and {pct(tpr2, 2)} at 1% (random guessing gets 0.1% and 1%); "
                    f"AUC {fmt(auc)} (0.5 is guessing)")
        lift3 = (tpr3 or 0.0) / 0.001
        lift2 = (tpr2 or 0.0) / 0.01 if tpr2 is not None else lift3 / 3
        if lift3 >= 10 or lift2 >= 5:
            sentence += ": the model leaks who was in its training data"
        elif lift3 >= 3 and lift2 >= 2:
            sentence += ": a small but measurable leak of who was in its training data"
        else:
            sentence += ": no membership leak beyond guessing is measurable on this data"
        if train_acc is not None and test_acc is not None:
            gap = train_acc - test_acc
            sentence += (f". Train accuracy {pct(train_acc)} vs test {pct(test_acc)}"
                         + (" — overfitting, the first suspect." if gap > 0.05 else "."))
        else:
            sentence += "."
    notes = []
    if hasattr(audit, "epsilon_headline"):
        epsilon, epsilon_text = audit.epsilon_headline()
        metrics["epsilon_lower_bound"] = epsilon
        notes.append(f"Empirical ε: {epsilon_text}.")
    for w in as_list(get(audit, "warnings", default=[])):
        notes.append(str(w))
    if n_members is not None and not isinstance(n_members, (list, tuple)):
        notes.append(f"Members: {fmt(n_members)}; non-members: {fmt(n_non)}.")
    table = ReportTable("Attacks", ["attack", "AUC", "advantage", "TPR at 0.1% FPR", "TPR at 1% FPR",
                                    "ε lower bound"], rows)
    tables = [table]
    exposure = get(audit, "exposure")
    if exposure is not None:  # the most exposed members by quasi-identifier group (analysis.attacks.exposed)
        for share in as_list(get(exposure, "runs", default=[])):
            attack = get(share, "attack")
            below = num((get(share, "members_below") or {}).get(attack))
            chance = num((get(share, "non_members_below") or {}).get(attack))
            metrics["members_p_below_1pct"] = below
            notes.append(f"{pct(below, 2)} of members have an individual {attack} p-value below 1% "
                         f"(non-members: {pct(chance, 2)}, what chance gives).")
        tables.append(ReportTable(
            "Most exposed members (quasi-identifier group only)", ["rank", "group", "members in group", "stands out",
                                                                   "p-value"],
            [[get(p, "rank"), "; ".join(f"{k}: {v}" for k, v in (get(p, "group") or {}).items()), get(p, "group_size"),
              "; ".join(get(p, "stands_out") or []) or "–", num(next(iter((get(p, "p_values") or {}).values()), None))]
             for p in as_list(get(exposure, "people", default=[]))]))
    return Section("attack", "Membership inference on the model", sentence, metrics, tables, notes), facts
