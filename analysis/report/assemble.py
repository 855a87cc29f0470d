"""Results -> report model: summary with ratings, one section per capability, and provenance.

Every capability result is optional: `assemble_report` reads whatever `ReportInputs` holds and leaves
out the rest (its summary item is rated "grey", "not run"). Results are read by attribute or key, so a
result object and its `to_dict()` form both work.

Privacy of the report itself: it never copies raw cell values. Column examples come from the scan
(already masked); as a second line of defence, any example that still contains a raw value of a
direct-identifier column of the table is masked again here, and the section says so.
"""

from __future__ import annotations

import datetime as _dt
import math
import time
from dataclasses import dataclass, field, fields, replace
from typing import Any, Iterable, Mapping, Optional, Sequence

from analysis import __version__
from analysis.report.ratings import GREY, RED, AMBER, GREEN, Thresholds, default_thresholds
from analysis.results import Result, package_versions, to_jsonable

SCHEMA_VERSION = "1.0.0"
SECTION_KEYS = ("scan", "risk", "attack", "memorization", "tradeoff", "federated")
_NOT_PRIVATE = (None, "inf", "infinity", "none", "non-private")


# --------------------------------------------------------------------------------------------
# The report model


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
    key: str  # scan | risk | attack | memorization | tradeoff | federated
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
    """

    table: Any = None  # analysis.tables.Table
    scan: Any = None
    risk: Any = None
    attacks: Any = None
    memorization: Any = None
    tradeoff: Any = None
    federated: Any = None
    model_info: Optional[Mapping[str, Any]] = None
    kind_overrides: Optional[Mapping[str, str]] = None
    seeds: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    seconds: Mapping[str, float] = field(default_factory=dict)
    title: str = "Privacy audit report"

    def present(self) -> list[str]:
        keys = {"scan": self.scan, "risk": self.risk, "attack": self.attacks,
                "memorization": self.memorization, "tradeoff": self.tradeoff, "federated": self.federated}
        return [k for k in SECTION_KEYS if keys[k] is not None]


# --------------------------------------------------------------------------------------------
# Reading results by attribute or key


def get(obj: Any, *names: str, default: Any = None) -> Any:
    """The first of `names` found on obj (attribute or mapping key), else default."""
    for name in names:
        if obj is None:
            return default
        if isinstance(obj, Mapping):
            if name in obj:
                return obj[name]
        elif hasattr(obj, name):
            return getattr(obj, name)
    return default


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value)


def _num(value: Any) -> Optional[float]:
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _pct(value: Optional[float], digits: int = 1) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "∞" if value > 0 else "n/a"
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def _epsilon(value: Any) -> Optional[float]:
    """Epsilon as a float; None and 'inf' mean non-private (returned as inf)."""
    if isinstance(value, str) and value.strip().lower() in _NOT_PRIVATE:
        return math.inf
    if value is None:
        return math.inf
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.inf


def _eps_text(eps: Optional[float]) -> str:
    return "non-private" if eps is None or math.isinf(eps) else f"ε = {eps:g}"


# --------------------------------------------------------------------------------------------
# Masking guard


def _mask_text(text: str, entity_type: str = "") -> str:
    try:
        from analysis.pii import mask_value  # the scan's own masking, when available

        masked = mask_value(text, entity_type or "DEFAULT")
        if isinstance(masked, str) and masked != text:
            return masked
    except Exception:  # the PII module is optional for the report
        pass
    return "•" * min(len(text), 8)


class _Guard:
    """Finds raw values of direct-identifier columns inside strings the report is about to copy."""

    _cache: dict[tuple, list[str]] = {}  # (table fingerprint, columns) -> values; the page reruns often

    def __init__(self, table: Any, columns: Iterable[str]):
        self.values: list[str] = []
        self.remasked = 0
        frame = get(table, "frame")
        if frame is None:
            return
        columns = tuple(c for c in columns if c in frame.columns)
        key = (get(table, "fingerprint"), columns)
        if key[0] is not None and key in self._cache:
            self.values = self._cache[key]
            return
        seen: set[str] = set()
        for col in columns:
            for v in frame[col].dropna().astype(str).unique().tolist():
                v = v.strip()
                if len(v) >= 4:
                    seen.add(v)
        self.values = sorted(seen, key=len, reverse=True)  # longest first, so substrings go last
        if key[0] is not None:
            if len(self._cache) >= 2:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = self.values

    def clean(self, text: Any, entity_type: str = "") -> Any:
        if not isinstance(text, str) or not self.values:
            return text
        out = text
        windows = {text[i:i + 4] for i in range(len(text) - 3)}  # a value can only occur if its head does
        for v in self.values:
            if v[:4] in windows and v in out:
                out = out.replace(v, _mask_text(v, entity_type))
        if out != text:
            self.remasked += 1
        return out


# --------------------------------------------------------------------------------------------
# Sections


_KIND_LABELS = {"direct_identifier": "direct identifier", "quasi_identifier": "quasi-identifier",
                "sensitive": "sensitive", "free_text": "free text", "other": "other"}


def _entity_rows(column: Any) -> list[tuple[str, Optional[float], Optional[float]]]:
    rows = []
    for e in _items(get(column, "entities", default=[])):
        if isinstance(e, (list, tuple)):
            etype, prev, score = (list(e) + [None, None, None])[:3]
        else:
            etype = get(e, "type", "entity_type", "entity")
            prev = get(e, "prevalence")
            score = get(e, "score")
        rows.append((str(etype), _num(prev), _num(score)))
    rows.sort(key=lambda r: -(r[1] or 0))
    return rows


def _scan_section(scan: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any], _Guard]:
    overrides = dict(inputs.kind_overrides or {})
    columns = _items(get(scan, "columns", default=[]))
    kinds = {str(get(c, "name")): overrides.get(str(get(c, "name")), str(get(c, "kind", default="other")))
             for c in columns}
    direct = [n for n, k in kinds.items() if k == "direct_identifier"]
    guard = _Guard(inputs.table, direct)
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
        examples = [guard.clean(str(x), top_type) for x in _items(get(c, "examples", default=[]))[:3]]
        if kind == "direct_identifier" and inputs.table is None:
            # Without the table the guard cannot check: keep only examples that are visibly masked.
            examples = [x for x in examples if any(ch in x for ch in "*•#X█")]
        rows.append([name, _KIND_LABELS.get(kind, kind),
                     ", ".join(f"{t} {_pct(p, 0)}" for t, p, _ in entities[:4]) or "—",
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
    for note in _items(get(scan, "notes", default=[])):
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


def _flat(prefix: str, value: Any, out: dict[str, Any], depth: int = 0) -> None:
    value = to_jsonable(value)
    if isinstance(value, Mapping) and depth < 2:
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out, depth + 1)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) or value is None:
        out[prefix] = value


def _risk_section(risk: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any]]:
    qis = [str(q) for q in _items(get(risk, "quasi_identifiers", "qis", default=[]))]
    k = _num(get(risk, "k", "k_anonymity", "min_class_size"))
    target_k = _num(get(risk, "target_k", "k_threshold", "chosen_k", "risk_k"))
    rows = _num(get(risk, "rows", "n_rows", "records", default=get(inputs.table, "rows")))
    below = _num(get(risk, "records_below_k", "records_at_risk"))
    uniques = _num(get(risk, "sample_uniques", "uniques"))
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
        _flat("", value, flat)
        if not flat and _num(value) is not None:
            flat = {"average": _num(value)}
        for key, v in flat.items():
            metrics[f"{model}.{key}"] = v
        table_rows.append([model, ", ".join(f"{k_}: {_fmt(v)}" for k_, v in flat.items())])
    ldiv = get(risk, "l_diversity")
    if ldiv is not None:
        flat = {}
        _flat("", ldiv, flat)
        for key, v in flat.items():
            metrics[f"l_diversity.{key}"] = v
        if flat:
            table_rows.append(["l-diversity", ", ".join(f"{k_}: {_fmt(v)}" for k_, v in flat.items())])
    tclose = get(risk, "t_closeness")
    if tclose is not None:
        flat = {}
        _flat("", tclose, flat)
        if flat:
            table_rows.append(["t-closeness", ", ".join(f"{k_}: {_fmt(v)}" for k_, v in flat.items())])
    kk = _fmt(int(target_k)) if target_k is not None else "the chosen k"
    if k is None:
        sentence = "The risk step ran but reported no k."
    else:
        sentence = (f"With quasi-identifiers {', '.join(qis) or '(none)'}, the smallest group of "
                    f"look-alike records has {int(k)} record{'s' if k != 1 else ''}")
        if below is not None and rows:
            sentence += (f"; {int(below):,} of {int(rows):,} records ({_pct(share)}) sit in groups smaller "
                         f"than {kk}")
        if uniques is not None:
            sentence += f", and {int(uniques):,} are unique"
        sentence += (": anyone who knows these attributes of a person in the table can single them out."
                     if k < 2 else
                     f": each record shares its quasi-identifiers with at least {int(k) - 1} other"
                     f"{'s' if k > 2 else ''}, so these attributes alone do not single anyone out.")
    if isinstance(ldiv, Mapping) and k is not None:
        for attr, entry in ldiv.items():
            homogeneous = _num(get(entry, "records_in_homogeneous_classes_share"))
            if homogeneous:
                sentence += (f" {_pct(homogeneous)} of records sit in groups where everyone has the same {attr}: "
                             f"knowing someone's quasi-identifiers reveals it.")
    tables = [ReportTable("Attacker models and diversity", ["measure", "values"], table_rows)] if table_rows else []
    combos = _items(get(risk, "riskiest_combinations", "riskiest", default=[]))[:5]
    if combos:
        crow = []
        for c in combos:
            cols = get(c, "columns", "quasi_identifiers", default=c if isinstance(c, (list, tuple)) else [])
            crow.append([", ".join(map(str, cols)), _num(get(c, "unique_records", "sample_uniques", "uniques")),
                         _num(get(c, "unique_share")), _num(get(c, "k"))])
        tables.append(ReportTable("Riskiest combinations of quasi-identifiers",
                                  ["columns", "unique records", "unique share", "k"], crow))
    section = Section("risk", "Re-identification risk", sentence, metrics, tables,
                      [f"Quasi-identifiers: {', '.join(qis)}"] if qis else [])
    return section, {"k": k, "share": share, "below": below, "rows": rows, "qis": qis, "target_k": target_k}


def _attack_list(attacks: Any) -> list[Any]:
    inner = get(attacks, "attacks")
    return _items(inner if inner is not None else attacks)


def _tpr(attack: Any, fpr: str) -> Optional[float]:
    table = get(attack, "tpr_at_fpr", default={}) or {}
    for key in (fpr, float(fpr)):
        value = get(table, key) if isinstance(table, Mapping) else None
        if value is not None:
            return _num(get(value, "tpr", "value", default=value) if not isinstance(value, (int, float)) else value)
    return None


def strongest_attack(attacks: Any) -> Any:
    """The attack with the highest TPR at 0.1% FPR (ties: higher AUC), or None."""
    candidates = _attack_list(attacks)
    if not candidates:
        return None
    return max(candidates, key=lambda a: (_tpr(a, "0.001") or 0.0, _num(get(a, "auc")) or 0.0))


def _attack_section(audit: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any]]:
    attacks = _attack_list(audit)
    best = strongest_attack(audit)
    rows = []
    metrics: dict[str, Any] = {}
    for a in attacks:
        name = str(get(a, "name", default="attack"))
        tpr3, tpr2 = _tpr(a, "0.001"), _tpr(a, "0.01")
        auc, adv = _num(get(a, "auc")), _num(get(a, "advantage"))
        eps_lb = _num(get(a, "epsilon_lower_bound", "empirical_epsilon"))
        rows.append([name, auc, adv, tpr3, tpr2, eps_lb])
        metrics.update({f"{name}.auc": auc, f"{name}.tpr_at_0.001_fpr": tpr3, f"{name}.tpr_at_0.01_fpr": tpr2,
                        f"{name}.advantage": adv})
    train_acc = _num(get(audit, "train_accuracy"))
    test_acc = _num(get(audit, "test_accuracy"))
    metrics["train_accuracy"], metrics["test_accuracy"] = train_acc, test_acc
    n_members = get(audit, "n_members", "members")
    n_non = get(audit, "n_non_members", "non_members")
    facts: dict[str, Any] = {"best": None}
    if best is None:
        sentence = "The model audit ran no attack."
    else:
        name = str(get(best, "name", default="attack"))
        tpr3, auc = _tpr(best, "0.001"), _num(get(best, "auc"))
        metrics.update({"strongest_attack": name, "strongest.tpr_at_0.001_fpr": tpr3, "strongest.auc": auc})
        rough = any("0.001" in str(w) for w in _items(get(best, "warnings", default=[])))
        facts = {"best": name, "tpr": tpr3, "auc": auc, "rough": rough}
        tpr2 = _tpr(best, "0.01")
        sentence = (f"The strongest attack, {name}, recognises {_pct(tpr3, 2)} of the training records at "
                    f"0.1% false-positive rate and {_pct(tpr2, 2)} at 1% (random guessing gets 0.1% and 1%); "
                    f"AUC {_fmt(auc)} (0.5 is guessing)")
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
            sentence += (f". Train accuracy {_pct(train_acc)} vs test {_pct(test_acc)}"
                         + (" — overfitting, the first suspect." if gap > 0.05 else "."))
        else:
            sentence += "."
    notes = []
    for w in _items(get(audit, "warnings", default=[])):
        notes.append(str(w))
    if n_members is not None and not isinstance(n_members, (list, tuple)):
        notes.append(f"Members: {_fmt(n_members)}; non-members: {_fmt(n_non)}.")
    table = ReportTable("Attacks", ["attack", "AUC", "advantage", "TPR at 0.1% FPR", "TPR at 1% FPR",
                                    "ε lower bound"], rows)
    return Section("attack", "Membership inference on the model", sentence, metrics, [table], notes), facts


def _baseline_model(models: list[Any]) -> Any:
    for m in models:
        if math.isinf(_epsilon(get(m, "epsilon"))):
            return m
    return models[0] if models else None


def _memorization_section(mem: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any]]:
    bits = _num(get(mem, "secret_space_bits"))
    models = _items(get(mem, "models", default=[]))
    rows, metrics = [], {"secret_space_bits": bits}
    for m in models:
        name = str(get(m, "name", default="model"))
        eps = _epsilon(get(m, "epsilon"))
        for c in _items(get(m, "canaries", default=[])):
            reps, exp = get(c, "repeats"), _num(get(c, "exposure"))
            rows.append([name, _eps_text(eps), reps, exp, bool(get(c, "extracted", default=False))])
        exposures = [_num(get(c, "exposure")) for c in _items(get(m, "canaries", default=[]))]
        exposures = [e for e in exposures if e is not None]
        metrics[f"{name}.max_exposure"] = max(exposures) if exposures else None
        metrics[f"{name}.extracted"] = sum(bool(get(c, "extracted", default=False))
                                           for c in _items(get(m, "canaries", default=[])))
    base = _baseline_model(models)
    base_exp = None
    if base is not None:
        exps = [_num(get(c, "exposure")) for c in _items(get(base, "canaries", default=[]))]
        exps = [e for e in exps if e is not None]
        base_exp = max(exps) if exps else None
    ratio = (base_exp / bits) if base_exp is not None and bits else None
    metrics["baseline_max_exposure_share"] = ratio
    verdict = get(mem, "verdict")
    sentence = str(verdict) if verdict else (
        f"The highest canary exposure is {_fmt(base_exp)} of {_fmt(bits)} bits." if base_exp is not None
        else "No canary exposure was measured.")
    table = ReportTable("Canaries", ["model", "privacy", "repeats", "exposure (bits)", "extracted"], rows)
    notes = []
    method = get(mem, "rank_method", "method")
    if method:
        notes.append(f"Rank computed by: {method}.")
    return (Section("memorization", "Memorization of rare secrets", sentence, metrics, [table], notes),
            {"share": ratio, "exposure": base_exp, "bits": bits, "verdict": verdict})


def _mean(values: Iterable[Optional[float]]) -> Optional[float]:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _chosen_budget(summary: list[Any], retention: float) -> tuple[Optional[float], Optional[float]]:
    """(epsilon, accuracy kept) of the budget the trade-off recommends: the smallest epsilon keeping
    `retention` of the non-private accuracy, else the largest tested (the rule of analysis.tradeoff.recommend)."""
    main = [s for s in summary if str(get(s, "model", default="")) == "keras_mlp"] or summary
    reference = next((s for s in main if math.isinf(_epsilon(get(s, "epsilon_target")))), None)
    private = sorted((s for s in main if not math.isinf(_epsilon(get(s, "epsilon_target")))),
                     key=lambda s: _epsilon(get(s, "epsilon_target")))
    ref_acc = _num(get(reference, "accuracy")) if reference is not None else None
    if not ref_acc or not private:
        return None, None
    ok = [s for s in private if (_num(get(s, "accuracy")) or 0.0) >= retention * ref_acc]
    chosen = ok[0] if ok else private[-1]
    acc = _num(get(chosen, "accuracy"))
    return _epsilon(get(chosen, "epsilon_target")), (acc / ref_acc if acc is not None else None)


def _tradeoff_section(tradeoff: Any, inputs: ReportInputs) -> tuple[Section, dict[str, Any]]:
    summary = _items(get(tradeoff, "summary", default=[]))
    rows, metrics = [], {}
    for s in summary:
        eps = _epsilon(get(s, "epsilon_target"))
        model = str(get(s, "model", default=""))
        label = str(get(s, "label", default=_eps_text(eps)))
        tpr3, tpr2 = _num(get(s, "tpr_at_0_1pct")), _num(get(s, "tpr_at_1pct"))
        acc = _num(get(s, "accuracy"))
        rows.append([label, model, _num(get(s, "epsilon")), acc, _num(get(s, "accuracy_std")),
                     _num(get(s, "roc_auc")), tpr3, tpr2, get(s, "runs")])
        tag = ("baseline" if model not in ("keras_mlp", "") else
               "non_private" if math.isinf(eps) else f"eps_{eps:g}")
        metrics[f"{tag}.accuracy"] = acc
        metrics[f"{tag}.tpr_at_0.001_fpr"] = tpr3
    if not summary:  # an older or foreign result: one row per run
        for r in _items(get(tradeoff, "runs", default=[])):
            eps = _epsilon(get(r, "epsilon_target", "epsilon"))
            attack = strongest_attack(get(r, "attacks", default=[]))
            rows.append([_eps_text(eps), str(get(r, "model", "mode", default="")), _num(get(r, "epsilon")),
                         _num(get(r, "accuracy")), None, _num(get(r, "roc_auc")),
                         _tpr(attack, "0.001") if attack is not None else None,
                         _tpr(attack, "0.01") if attack is not None else None, 1])
    retention = 0.95
    try:
        from analysis.tradeoff import RETENTION_TARGET as retention  # noqa: N811
    except ImportError:
        pass
    rec_eps, kept = _chosen_budget(summary, float(retention))
    rec = get(tradeoff, "recommendation")
    if rec is not None and not isinstance(rec, str):
        rec_eps = _num(get(rec, "epsilon", "epsilon_target")) or rec_eps
        kept = _num(get(rec, "accuracy_kept", "accuracy_ratio")) or kept
        rec = get(rec, "sentence", "text", "message")
    sentence = str(rec or "The trade-off grid ran; no DP option was recommended.")
    metrics["recommended_epsilon"] = rec_eps
    metrics["recommended_accuracy_kept"] = kept
    notes = [str(w) for w in _items(get(tradeoff, "warnings", default=[]))[:5]]
    table = ReportTable("Budgets (means over seeds)", ["budget", "model", "ε spent (RDP)", "accuracy",
                                                       "accuracy sd", "ROC AUC", "TPR at 0.1% FPR",
                                                       "TPR at 1% FPR", "seeds"], rows)
    return (Section("tradeoff", "Privacy-utility trade-off", sentence, metrics, [table], notes),
            {"kept": kept, "eps": rec_eps, "sentence": sentence})


def _federated_section(fed: Any, inputs: ReportInputs) -> Section:
    runs = _items(get(fed, "runs", default=fed if isinstance(fed, (list, tuple)) else [fed]))
    rows = []
    metrics: dict[str, Any] = {}
    names = {"centralized": "Centralized", "fedavg": "FedAvg", "dp-fedavg": "DP-FedAvg"}
    for r in runs:
        strategy = str(get(r, "strategy", "mode", default="federated"))
        name = names.get(strategy, strategy)
        acc = _num(get(r, "accuracy_score", "accuracy", "final_accuracy"))
        ceps, seps = _num(get(r, "client_epsilon")), _num(get(r, "sample_epsilon"))
        attack = strongest_attack(get(r, "attacks", default=[]))
        tpr = _tpr(attack, "0.001") if attack is not None else None
        rows.append([name, get(r, "clients"), get(r, "rounds"), acc, ceps, seps, tpr,
                     _num(get(attack, "auc")) if attack is not None else None])
        metrics[f"{strategy}.accuracy"] = acc
        metrics[f"{strategy}.tpr_at_0.001_fpr"] = tpr
        metrics[f"{strategy}.client_epsilon"] = ceps
    protects = [str(get(r, "protects")) for r in runs if get(r, "protects") and get(r, "mode") == "federated"]
    sentence = (protects[-1] if protects else
                "Federated training keeps raw rows with each data holder and shares only model updates; it does "
                "not by itself stop the final model from leaking membership — DP on the aggregate bounds that.")
    table = ReportTable("Centralized and federated runs", ["run", "clients", "rounds", "accuracy", "client ε",
                                                           "sample ε", "TPR at 0.1% FPR", "attack AUC"], rows)
    notes = ["Client-level and sample-level ε are different privacy units; they are never added or compared."]
    return Section("federated", "Federated training", sentence, metrics, [table], notes)


# --------------------------------------------------------------------------------------------
# Provenance


def _dataset_fingerprint(table: Any) -> Optional[dict[str, Any]]:
    if table is None:
        return None
    return {"name": get(table, "name"), "sha256": get(table, "fingerprint", "sha256"),
            "rows": get(table, "rows"), "columns": len(get(table, "columns", default=[]) or []),
            "format": get(table, "format")}


def _model_fingerprint(inputs: ReportInputs) -> Optional[dict[str, Any]]:
    info = dict(inputs.model_info or {})
    audit = inputs.attacks
    for key in ("model_fingerprint", "model_sha256", "model_name", "recipe", "model"):
        value = get(audit, key) if audit is not None and not isinstance(audit, (list, tuple)) else None
        if value is not None and key not in info:
            info[key] = to_jsonable(value) if not isinstance(value, str) else value
    return to_jsonable(info) or None


_SAFE_GLOBAL_SETTINGS = ("pii_score_threshold", "pii_sample_rows", "spacy_model", "n_jobs", "seed",
                         "max_upload_mb")


def _global_settings() -> dict[str, Any]:
    from analysis.settings import get_settings

    s = get_settings()
    # The history URL can hold a database password: never copied into a report.
    return {name: getattr(s, name) for name in _SAFE_GLOBAL_SETTINGS if hasattr(s, name)}


def _provenance(inputs: ReportInputs, elapsed: float) -> Provenance:
    results = {"scan": inputs.scan, "risk": inputs.risk, "attack": inputs.attacks,
               "memorization": inputs.memorization, "tradeoff": inputs.tradeoff, "federated": inputs.federated}
    seeds: dict[str, Any] = {}
    settings: dict[str, Any] = {"global": _global_settings()}
    seconds: dict[str, float] = {}
    for key, res in results.items():
        if res is None or isinstance(res, (list, tuple)):
            continue
        seed = get(res, "seed")
        if seed is None:
            seed = get(get(res, "config", "settings"), "seed")
        if seed is not None:
            seeds[key] = to_jsonable(seed)
        step_settings = get(res, "settings", "config", "options")
        if step_settings is not None:
            settings[key] = to_jsonable(step_settings)
        secs = _num(get(res, "seconds", "elapsed_seconds", "duration_seconds"))
        if secs is None:  # the training time of the runs and models inside (trade-off, memorization)
            inner = [_num(get(r, "train_seconds")) for r in _items(get(res, "runs", "models", default=[]))]
            inner = [v for v in inner if v is not None]
            secs = round(sum(inner), 4) if inner else None
        if secs is not None:
            seconds[key] = secs
    seeds.update(to_jsonable(dict(inputs.seeds)))
    for k, v in dict(inputs.settings).items():
        settings[k] = to_jsonable(v)
    seconds.update({k: float(v) for k, v in dict(inputs.seconds).items()})
    seconds.setdefault("report", round(elapsed, 4))
    if "total" not in seconds:
        seconds["total"] = round(sum(v for k, v in seconds.items() if k != "total"), 4)
    versions = package_versions()
    try:
        from importlib import metadata

        for name in ("plotly", "streamlit", "sqlalchemy"):
            versions.setdefault(name, metadata.version(name))
    except Exception:
        pass
    return Provenance(dataset=_dataset_fingerprint(inputs.table), model=_model_fingerprint(inputs),
                      seeds=seeds, settings=settings, package_versions=versions, seconds=seconds,
                      tool_version=__version__, steps=inputs.present())


# --------------------------------------------------------------------------------------------
# Summary and assembly


def _item(thresholds: Thresholds, metric: str, value: Optional[float], display: str, section: str) -> SummaryItem:
    rule = thresholds.rule(metric)
    return SummaryItem(metric=metric, label=rule.label, value=value,
                       display=display if value is not None or display != "" else "not run",
                       rating=rule.rate(value), rule=rule.describe(), section=section)


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
        section, scan_facts, guard = _scan_section(inputs.scan, inputs)
        if guard.remasked:
            section = replace(section, notes=section.notes + [
                f"{guard.remasked} example(s) still held a raw identifier and were masked again by the report."])
        sections.append(section)
    risk_facts = None
    if inputs.risk is not None:
        section, risk_facts = _risk_section(inputs.risk, inputs)
        sections.append(section)
    attack_facts = None
    if inputs.attacks is not None:
        section, attack_facts = _attack_section(inputs.attacks, inputs)
        sections.append(section)
    mem_facts = None
    if inputs.memorization is not None:
        section, mem_facts = _memorization_section(inputs.memorization, inputs)
        sections.append(section)
    trade_facts = None
    if inputs.tradeoff is not None:
        section, trade_facts = _tradeoff_section(inputs.tradeoff, inputs)
        sections.append(section)
    if inputs.federated is not None:
        sections.append(_federated_section(inputs.federated, inputs))

    t = thresholds
    summary = []
    if scan_facts is not None:
        d, leaks = scan_facts["direct"], scan_facts["leaks"]
        summary.append(_item(t, "direct_identifiers", float(len(d)),
                             f"{len(d)}: {', '.join(d)}" if d else "none found", "scan"))
        summary.append(_item(t, "free_text_leaks", float(len(leaks)),
                             "; ".join(f"{n} ({', '.join(ts[:4])})" for n, ts in leaks) if leaks else "none found",
                             "scan"))
    else:
        summary += [_item(t, "direct_identifiers", None, notrun, "scan"),
                    _item(t, "free_text_leaks", None, notrun, "scan")]
    if risk_facts is not None and risk_facts["k"] is not None:
        qis = ", ".join(risk_facts["qis"])
        summary.append(_item(t, "k_anonymity", risk_facts["k"], f"k = {int(risk_facts['k'])}"
                             + (f" on {qis}" if qis else ""), "risk"))
        if risk_facts["share"] is not None:
            kk = f" below k = {int(risk_facts['target_k'])}" if risk_facts["target_k"] is not None else ""
            summary.append(_item(t, "records_at_risk", risk_facts["share"],
                                 f"{_pct(risk_facts['share'])} ({int(risk_facts['below']):,} of "
                                 f"{int(risk_facts['rows']):,}){kk}", "risk"))
        else:
            summary.append(_item(t, "records_at_risk", None, notrun, "risk"))
    else:
        summary += [_item(t, "k_anonymity", None, notrun, "risk"), _item(t, "records_at_risk", None, notrun, "risk")]
    if attack_facts is not None and attack_facts.get("best"):
        rough = " — rough: too few non-members to resolve 0.1% FPR" if attack_facts.get("rough") else ""
        summary.append(_item(t, "attack_tpr_at_0.001_fpr", attack_facts["tpr"],
                             f"{_pct(attack_facts['tpr'], 2)} ({attack_facts['best']}){rough}", "attack"))
        summary.append(_item(t, "attack_auc", attack_facts["auc"],
                             f"{_fmt(attack_facts['auc'])} ({attack_facts['best']})", "attack"))
    else:
        summary += [_item(t, "attack_tpr_at_0.001_fpr", None, notrun, "attack"),
                    _item(t, "attack_auc", None, notrun, "attack")]
    if mem_facts is not None:
        display = (f"{_fmt(mem_facts['exposure'])} of {_fmt(mem_facts['bits'])} bits"
                   if mem_facts["exposure"] is not None else "no exposure measured")
        if mem_facts["verdict"]:
            display += f" — {mem_facts['verdict']}"
        summary.append(_item(t, "memorization_exposure", mem_facts["share"], display, "memorization"))
    else:
        summary.append(_item(t, "memorization_exposure", None, notrun, "memorization"))
    if trade_facts is not None:
        display = (f"{_eps_text(trade_facts['eps'])} keeps {_pct(trade_facts['kept'])} of non-private accuracy"
                   if trade_facts["kept"] is not None and trade_facts["eps"] is not None else trade_facts["sentence"])
        summary.append(_item(t, "dp_accuracy_kept", trade_facts["kept"], display, "tradeoff"))
    else:
        summary.append(_item(t, "dp_accuracy_kept", None, notrun, "tradeoff"))

    order = {m: i for i, m in enumerate(t.metrics())}
    summary.sort(key=lambda s: order.get(s.metric, 99))
    provenance = _provenance(inputs, time.perf_counter() - start)
    return AuditReport(schema_version=SCHEMA_VERSION, title=inputs.title,
                       created_at=created_at or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                       overall_rating=_overall(summary), summary=summary, sections=sections,
                       provenance=provenance, thresholds=[r.to_dict() for r in t.rules])


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
        policies=[build(PolicyOutcome, p) for p in data.get("policies", [])])


def describe_model(bundle: Any) -> Optional[dict[str, Any]]:
    """A JSON-safe description of a model bundle (a TrainedModel, a loaded-model record or a dict) with a
    fingerprint: the file's SHA-256 when the bundle carries one, else a hash of its description."""
    import hashlib
    import json

    if bundle is None:
        return None
    raw = bundle.to_dict() if hasattr(bundle, "to_dict") else (dict(bundle) if isinstance(bundle, Mapping) else {})
    info: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("model", "members", "non_members", "population", "member_rows") or hasattr(value, "shape"):
            continue  # the model object and data rows (which may hold identifiers) stay out of reports
        value = to_jsonable(value)
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue  # the model object itself, data frames, ...
        if isinstance(value, (list, dict)) and len(json.dumps(value)) > 4000:
            continue
        info[str(key)] = value
    if not info:
        info = {"name": type(bundle).__name__}
    fingerprint = next((info[k] for k in ("fingerprint", "sha256", "model_sha256", "file_sha256") if info.get(k)), None)
    if fingerprint is None:
        fingerprint = _model_content_hash(get(bundle, "model"))
    if fingerprint is None:
        fingerprint = "settings:" + hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()[:16]
    info["fingerprint"] = fingerprint
    info.setdefault("name", info.get("recipe") or info.get("name") or type(bundle).__name__)
    return info


def _model_content_hash(model: Any) -> Optional[str]:
    """SHA-256 of a fitted model's content: Keras weights, or the pickled bytes of a scikit-learn
    estimator (pickle.dumps only, nothing is ever unpickled)."""
    import hashlib
    import pickle

    if model is None:
        return None
    digest = hashlib.sha256()
    try:
        if hasattr(model, "get_weights"):
            for w in model.get_weights():
                digest.update(memoryview(w).tobytes())
        else:
            digest.update(pickle.dumps(model, protocol=4))
    except Exception:
        return None
    return "sha256:" + digest.hexdigest()
