"""Reading the privacy axis of a comparison (`analysis.strategies.StrategyComparison`): the canary bound
against the accounted ε per run, the strongest attack per option, the anonymity headline, and the
alerts when a measured bound exceeds the accounted ε. The CLI table, the page, the report and the
benchmark all read these, so they say the same thing. Works on the result object or its JSON dict.
"""

from __future__ import annotations

import math
from typing import Any, Optional

from analysis.report.values import get


def _num(value: Any) -> float:
    return math.inf if value is None else float(value)


def canary_rows(result) -> list[dict]:
    """One row per run with a canary audit: protection, seed, accounted ε (unit), bound, guesses, correct,
    and whether the bound exceeds the accounted ε (the implementation or its accounting is broken)."""
    out = []
    for run in get(result, "runs") or []:
        audit = get(run, "canary_audit")
        if audit is None:
            continue
        bound = get(audit, "epsilon_lower_bound")
        accounted = _num(get(run, "epsilon"))
        # DP-FedAvg: a canary changes the data of a client that trains either way (replace, not add or
        # remove), so the ε a sound run keeps it under is the per-record ceiling (half the noise), not the
        # client ε (analysis.privacy_axis.client_record_ceiling)
        ceiling = _num(get(get(run, "details") or {}, "canary_record_epsilon_ceiling")) if get(run, "unit") == "client" else accounted
        limit = ceiling if math.isfinite(ceiling) else accounted
        above_client = (get(run, "unit") == "client" and bound is not None and math.isfinite(accounted)
                        and bound > accounted + 1e-9)
        note = get(audit, "reason") or ""
        if above_client and not bound > limit + 1e-9:
            note = (f"above the client ε, within the per-record ceiling ε = {limit:.2f} (one record can move its "
                    "client's clipped update by up to twice the clip norm)")
        out.append({
            "protection": get(run, "name"), "strategy": get(run, "strategy"), "seed": get(run, "seed"),
            "accounted ε": accounted if math.isfinite(accounted) else None, "unit": get(run, "unit"),
            "ε lower bound": bound, "canaries": get(audit, "canaries"), "guesses": get(audit, "guesses"),
            "correct": get(audit, "correct"), "attack": get(audit, "attack"),
            "ε limit": limit if math.isfinite(limit) else None,
            "exceeds accounted ε": bool(bound is not None and math.isfinite(limit) and bound > limit + 1e-9),
            "note": note})
    return out


BROKEN = "A sound DP implementation cannot do this: the training or its accounting is broken."
# DP-FedAvg's canaries sit in one client that trains either way (analysis.privacy_axis.federated_canary_audit)
BROKEN_CLIENT = ("The canaries sat in one client that trains either way; one record can move that client's clipped "
                 "update by up to twice the clip norm, so a sound DP-FedAvg keeps each canary under the same "
                 "mechanism's ε at half the noise (the per-record ceiling). This bound is above even that: the "
                 "clipping, the noise or the accounting is broken.")


def broken_bounds(result) -> list[str]:
    """A sentence per run whose canary bound is above its accounted ε."""
    return [f"{r['protection']} (seed {r['seed']}): the canary audit measured ε ≥ {r['ε lower bound']:.2f}, above "
            + (f"the per-record ceiling ε = {r['ε limit']:.2f} of its ε = {r['accounted ε']:.2f} per client. {BROKEN_CLIENT}"
               if r["unit"] == "client" else
               f"the accounted ε = {r['accounted ε']:.2f} per {r['unit']}. {BROKEN}")
            for r in canary_rows(result) if r["exceeds accounted ε"]]


def strongest_attack(run) -> Optional[Any]:
    from analysis.attacks.metrics import STRONGEST_AT_FPR

    attacks = get(run, "attacks") or []
    if not attacks:
        return None
    return max(attacks, key=lambda a: ((get(a, "tpr_at_fpr") or {}).get(STRONGEST_AT_FPR) or 0.0, get(a, "auc") or 0.0))


def privacy_columns(result) -> dict[str, dict[str, str]]:
    """Option label -> formatted strongest attack, canary bound (mean over seeds) and singling-out risk."""
    out: dict[str, dict[str, str]] = {}
    groups: dict[str, list] = {}
    for run in get(result, "runs") or []:
        groups.setdefault(get(run, "name"), []).append(run)
    for name, runs in groups.items():
        cells: dict[str, str] = {}
        best = [strongest_attack(r) for r in runs]
        names = sorted({get(a, "name") for a in best if a is not None})
        if names:
            cells["strongest"] = "/".join(names)
        bounds = [get(get(r, "canary_audit"), "epsilon_lower_bound") for r in runs if get(r, "canary_audit") is not None]
        bounds = [b for b in bounds if b is not None]
        if bounds:
            cells["canary"] = f"{sum(bounds) / len(bounds):.2f}"
        risks = [get(get(get(r, "anonymity"), "singling_out"), "risk") for r in runs if get(r, "anonymity") is not None]
        risks = [x for x in risks if x is not None]
        if risks:
            first = get(get(runs[0], "anonymity"), "singling_out")
            cells["singling_out"] = f"{sum(risks) / len(risks):.2f} [{get(first, 'ci_low'):.2f}, {get(first, 'ci_high'):.2f}]"
        out[name] = cells
    return out


def anonymity_rows(result) -> list[dict]:
    """The GDPR criteria of the released tables (raw and anonymized), one row per table and criterion."""
    seen, out = set(), []
    for run in get(result, "runs") or []:
        risks = get(run, "anonymity")
        if risks is None or (get(risks, "release"), get(run, "seed")) in seen:
            continue
        seen.add((get(risks, "release"), get(run, "seed")))
        for criterion in ("singling_out_univariate", "singling_out_multivariate", "linkability", "inference"):
            r = get(risks, criterion)
            if r is None:
                continue
            out.append({"table": get(risks, "release"), "seed": get(run, "seed"),
                        "criterion": criterion.replace("_", " "), "risk": get(r, "risk"), "ci low": get(r, "ci_low"),
                        "ci high": get(r, "ci_high"), "attack rate": get(r, "attack_rate"),
                        "control rate": get(r, "control_rate"), "beats baseline": get(r, "trustworthy")})
    return out
