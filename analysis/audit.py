"""The headless audit: a config in, the report and its policy outcomes out (the CI gate's engine).

A config (YAML or a dict) names the data, the steps to run and the policies to enforce:

    version: 1
    data: ../sample_data/customers.csv      # relative to the config file
    label: churned
    seed: 0
    rows: 2000                               # optional: audit a seeded sample of rows
    steps:
      scan: {sample_rows: 500}
      risk: {quasi_identifiers: [zip, age, sex], sensitive: [health_condition], k: 5}
      attack: {model: logistic_regression, attacks: [threshold]}
      memorization: {text_column: notes}
      language_model: {text_column: notes, epsilon: 8}   # train a small LM here and audit it
      compare: {epsilons: [1, 8]}
    policies: {min_k: 5, "max_tpr_at_0.001_fpr": 0.01, no_direct_identifiers: true}
    consent: {column: consent_training, withdrawn_after: 2024-06-30}   # train on consented rows only
    thresholds: {k_anonymity: {green: 5, amber: 2}}
    history: {enabled: true}                 # url: any SQLAlchemy URL (default: the setting)

Every step is optional. Step options are passed to the capability's function as keyword arguments
and checked against its signature, so a misspelt option is an error naming the key
(`steps.risk.quasi_identifers`). Bad configuration or input raises `ConfigError` (the CLI exits 2); a
failing policy is an outcome, not an error (the CLI exits 1); anything else is an internal error (the
CLI exits 3).
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Union

from analysis.errors import raised_here, safe_message
from analysis.progress import ProgressCallback, report, scaled
from analysis.report.assemble import AuditReport, PolicyOutcome, ReportInputs, assemble_report
from analysis.report.ratings import Thresholds, default_thresholds
from analysis.results import Result

CONFIG_VERSION = 1
STEPS = ("scan", "risk", "attack", "memorization", "language_model", "compare")
TOP_LEVEL_KEYS = {"version", "title", "data", "label", "seed", "rows", "steps", "policies", "thresholds",
                  "history", "report", "consent"}
CONSENT_KEYS = {"column", "include_unknown", "enforce", "withdrawn_after"}
TRAINING_STEPS = {"attack", "memorization", "language_model", "compare"}  # they train on consented rows only


class ConfigError(ValueError):
    """A configuration or input problem; the message names the offending key."""


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    kind: str  # "min", "max", "flag" or "purpose" (a consent purpose that must be enforced)
    step: str  # the step that must run for the policy to be checked ("consent": the consent key)
    value: Callable[[AuditReport], Optional[float]]


def _summary_value(metric: str) -> Callable[[AuditReport], Optional[float]]:
    def read(report: AuditReport) -> Optional[float]:
        item = report.item(metric)
        return None if item is None else item.value
    return read


def _max_section_metric(section: str, suffix: str) -> Callable[[AuditReport], Optional[float]]:
    def read(report: AuditReport) -> Optional[float]:
        s = report.section(section)
        if s is None:
            return None
        values = [v for k, v in s.metrics.items() if k.endswith(suffix) and not k.startswith("strongest.")
                  and isinstance(v, (int, float)) and not isinstance(v, bool)]
        return max(values) if values else None
    return read


def _consent_metric(metric: str) -> Callable[[AuditReport], Any]:
    def read(report: AuditReport) -> Any:
        s = report.section("consent")
        return None if s is None else s.metrics.get(metric)
    return read


POLICIES: dict[str, Policy] = {p.name: p for p in (
    Policy("no_direct_identifiers", "no column is a direct identifier", "flag", "scan",
           _summary_value("direct_identifiers")),
    Policy("no_free_text_pii", "no free-text column leaks personal data", "flag", "scan",
           _summary_value("free_text_leaks")),
    Policy("min_k", "the smallest group of look-alike records has at least this many records", "min", "risk",
           _summary_value("k_anonymity")),
    Policy("max_records_below_k_share", "at most this share of records sit in groups smaller than k", "max",
           "risk", _summary_value("records_at_risk")),
    Policy("max_tpr_at_0.001_fpr", "no attack recognises more than this share of members at 0.1% FPR", "max",
           "attack", _max_section_metric("attack", ".tpr_at_0.001_fpr")),
    Policy("max_tpr_at_0.01_fpr", "no attack recognises more than this share of members at 1% FPR", "max",
           "attack", _max_section_metric("attack", ".tpr_at_0.01_fpr")),
    Policy("max_auc", "no attack has an AUC above this", "max", "attack", _max_section_metric("attack", ".auc")),
    Policy("max_exposure_share", "the highest canary exposure is at most this share of the secret space bits",
           "max", "memorization", _summary_value("memorization_exposure")),
    Policy("max_pii_extracted", "at most this many PII values of the training text appear in the language "
           "model's sampled generations", "max", "language_model", _max_section_metric("language_model", "pii_extracted")),
    Policy("max_text_tpr_at_0.001_fpr", "no attack on the language model recognises more than this share of "
           "training documents at 0.1% FPR", "max", "language_model",
           _max_section_metric("language_model", ".tpr_at_0.001_fpr")),
    Policy("min_dp_accuracy_kept", "the recommended DP option keeps at least this share of accuracy", "min",
           "compare", _summary_value("dp_accuracy_kept")),
    Policy("require_consent", "training used only rows with consent for this purpose", "purpose", "consent",
           _consent_metric("enforced_purpose")),
    Policy("max_rows_without_consent", "at most this many rows without recorded consent were trained on", "max",
           "consent", _consent_metric("rows_without_consent")),
    Policy("withdrawn_must_be_absent", "withdrawn records still in the model (withdrawal check)", "flag", "consent",
           _consent_metric("withdrawal.still_in_training")),
)}


# What the user changes to fix a step that could not run (a partial audit names it for the page's control).
STEP_FIXES = {"risk": "quasi_identifiers", "attack": "label", "compare": "label", "memorization": "options",
              "consent": "consent", "scan": "options"}


@dataclass(frozen=True)
class StepFailure(Result):
    """A step a partial audit could not compute: which, why (the message names keys and columns, never
    values), and what the user changes to fix it (STEP_FIXES)."""

    step: str
    message: str
    fix: str

    @property
    def reason(self) -> str:
        """The message without its config key ("steps.risk.quasi_identifiers: "), for a page."""
        head, sep, tail = self.message.partition(": ")
        return tail if sep and (head.startswith("steps.") or head in {"label", "consent"}) else self.message


@dataclass
class AuditOutcome:
    """What `run_audit_config` returns: the report (with policies), the raw results, and the verdict."""

    report: AuditReport
    inputs: ReportInputs = field(repr=False)
    config: dict[str, Any] = field(default_factory=dict)
    failures: tuple[StepFailure, ...] = ()  # steps a partial audit could not compute

    @property
    def passed(self) -> bool:
        return all(p.passed for p in self.report.policies)

    @property
    def failed_policies(self) -> list[PolicyOutcome]:
        return [p for p in self.report.policies if not p.passed]


# --------------------------------------------------------------------------------------------
# Config


def load_config(path: Union[str, Path]) -> dict[str, Any]:
    """Read a YAML config; its `base_dir` (for relative paths) is the file's folder."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name} is not valid YAML: {str(exc).splitlines()[0]}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name} is not UTF-8 text") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name} must hold a mapping (data:, steps:, policies:), got {type(data).__name__}")
    data.setdefault("_base_dir", str(path.resolve().parent))
    return data


def validate_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Check every key; returns a normalised copy. ConfigError names the first bad key."""
    if not isinstance(config, Mapping):
        raise ConfigError(f"config must be a mapping, got {type(config).__name__}")
    cfg = dict(config)
    unknown = sorted(k for k in cfg if k not in TOP_LEVEL_KEYS and not str(k).startswith("_"))
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(TOP_LEVEL_KEYS))}")
    version = cfg.get("version", CONFIG_VERSION)
    if version != CONFIG_VERSION:
        raise ConfigError(f"version: {version!r} is not supported (this tool reads version {CONFIG_VERSION})")
    if not cfg.get("data") or not isinstance(cfg["data"], str):
        raise ConfigError("data: give the path of the table to audit (relative to the config file)")
    seed = cfg.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed: must be a non-negative integer, got {seed!r}")
    rows = cfg.get("rows")
    if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 10):
        raise ConfigError(f"rows: must be an integer of at least 10, got {rows!r}")
    if cfg.get("label") is not None and not isinstance(cfg["label"], str):
        raise ConfigError(f"label: must be a column name, got {cfg['label']!r}")
    steps = cfg.get("steps") or {}
    if not isinstance(steps, Mapping):
        raise ConfigError("steps: must be a mapping of step name -> options")
    for name, options in steps.items():
        if name not in STEPS:
            raise ConfigError(f"steps.{name}: unknown step; choose from {', '.join(STEPS)}")
        if options is not None and not isinstance(options, (Mapping, bool)):
            raise ConfigError(f"steps.{name}: options must be a mapping (or true), got {options!r}")
    cfg["steps"] = {k: ({} if v is True or v is None else dict(v)) for k, v in steps.items() if v is not False}
    if ("attack" in cfg["steps"] or "compare" in cfg["steps"]) and not cfg.get("label"):
        raise ConfigError("label: the attack and compare steps need the label column")
    policies = cfg.get("policies") or {}
    if not isinstance(policies, Mapping):
        raise ConfigError("policies: must be a mapping of policy -> limit")
    for name, limit in policies.items():
        policy = POLICIES.get(name)
        if policy is None:
            raise ConfigError(f"policies.{name}: unknown policy; choose from {', '.join(POLICIES)}")
        if policy.kind == "flag":
            if not isinstance(limit, bool):
                raise ConfigError(f"policies.{name}: must be true or false, got {limit!r}")
        elif policy.kind == "purpose":
            if not isinstance(limit, str) or not limit:
                raise ConfigError(f"policies.{name}: must name a consent purpose (e.g. training), got {limit!r}")
        elif not isinstance(limit, (int, float)) or isinstance(limit, bool) or not math.isfinite(float(limit)):
            raise ConfigError(f"policies.{name}: must be a number, got {limit!r}")
        if policy.step == "consent":
            if not cfg.get("consent") and limit is not False:
                raise ConfigError(f"policies.{name}: needs consent: {{column: ...}} in the config")
        elif policy.step not in cfg["steps"] and not (policy.kind == "flag" and limit is False):
            raise ConfigError(f"policies.{name}: needs the {policy.step} step; add steps.{policy.step}")
    if policies.get("withdrawn_must_be_absent") is True and not (
            "attack" in cfg["steps"] and (cfg.get("consent") or {}).get("withdrawn_after")):
        raise ConfigError("policies.withdrawn_must_be_absent: needs steps.attack and consent.withdrawn_after")
    cfg["policies"] = dict(policies)
    try:
        cfg["_thresholds"] = default_thresholds().with_overrides(cfg.get("thresholds"))
    except ValueError as exc:
        message = safe_message(exc)
        raise ConfigError(message if message.startswith("threshold") else f"thresholds: {message}") from None
    cfg["consent"] = _validate_consent(cfg.get("consent"))
    history = cfg.get("history") or {}
    if not isinstance(history, Mapping) or set(history) - {"enabled", "url"}:
        raise ConfigError("history: must be a mapping with keys enabled and url")
    report_cfg = cfg.get("report") or {}
    if not isinstance(report_cfg, Mapping) or set(report_cfg) - {"html", "json"}:
        raise ConfigError("report: must be a mapping with keys html and json (output paths)")
    return cfg


def _validate_consent(consent: Any) -> Optional[dict[str, Any]]:
    if consent is None:
        return None
    if not isinstance(consent, Mapping) or set(consent) - CONSENT_KEYS:
        raise ConfigError(f"consent: must be a mapping with keys {', '.join(sorted(CONSENT_KEYS))}")
    if not isinstance(consent.get("column"), str):
        raise ConfigError("consent.column: name the column holding consent for training")
    for key in ("include_unknown", "enforce"):
        if not isinstance(consent.get(key, False), bool):
            raise ConfigError(f"consent.{key}: must be true or false, got {consent[key]!r}")
    out = {"enforce": True, "include_unknown": False, **consent}
    if out.get("withdrawn_after") is not None:
        out["withdrawn_after"] = str(out["withdrawn_after"])  # YAML reads 2024-06-30 as a date
    return out


def _path(cfg: Mapping[str, Any], value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path(cfg.get("_base_dir", ".")) / path
    return path


# --------------------------------------------------------------------------------------------
# Steps


def _call(func: Callable[..., Any], key: str, args: tuple, options: Mapping[str, Any], **fixed: Any) -> Any:
    """Call a capability with the step's options, rejecting options its signature does not take."""
    params = inspect.signature(func).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for name in options:
        if name not in params and not accepts_any:
            allowed = [p for p, v in params.items() if v.kind is inspect.Parameter.KEYWORD_ONLY and p != "progress"]
            raise ConfigError(f"steps.{key}.{name}: unknown option; {func.__name__} takes {', '.join(allowed)}")
    kwargs = {k: v for k, v in fixed.items() if k in params or accepts_any}
    kwargs.update(options)
    try:
        return func(*args, **kwargs)
    except ConfigError:
        raise
    except (ValueError, KeyError) as exc:  # bad input (exit 2); a library's text may quote a value
        message = exc.args[0] if exc.args and raised_here(exc) else safe_message(exc)
        raise ConfigError(f"steps.{key}: {message}") from exc


def _scan(frame, options, ctx):
    from analysis.pii import scan_table

    return _call(scan_table, "scan", (frame,), options, seed=ctx["seed"], progress=ctx["progress"])


def _risk(frame, options, ctx):
    options = dict(options)
    qis = options.pop("quasi_identifiers", "auto")
    if qis == "auto" or qis is None:
        scan = ctx.get("scan")
        if scan is None:
            raise ConfigError("steps.risk.quasi_identifiers: give a list of columns, or run the scan step for 'auto'")
        qis = scan.names_of_kind("quasi_identifier")
        if not qis:
            raise ConfigError("steps.risk.quasi_identifiers: the scan found no quasi-identifier; list them")
    if isinstance(qis, str):
        qis = [q.strip() for q in qis.split(",") if q.strip()]
    missing = [q for q in qis if q not in frame.columns]
    if missing:
        raise ConfigError(f"steps.risk.quasi_identifiers: column(s) {', '.join(map(str, missing))} not in the data")
    sensitive = options.get("sensitive")
    if isinstance(sensitive, str):
        options["sensitive"] = [sensitive]
    from analysis.risk import assess_risk

    return _call(assess_risk, "risk", (frame, list(qis)), options, progress=ctx["progress"])


# .skops, .keras, .onnx, XGBoost .json/.ubj, LightGBM .txt (analysis/models/loading.py)
_MODEL_FILE_SUFFIXES = (".skops", ".keras", ".onnx", ".json", ".ubj", ".txt")
_MODEL_FILE_OPTIONS = ("members", "non_members", "trust", "onnx_columns", "onnx_output", "reference_recipe")


def _attack(frame, options, ctx):
    options = dict(options)
    label, seed = ctx["label"], ctx["seed"]
    model_spec = options.pop("model", "logistic_regression")
    options.setdefault("attacks", ["threshold"])
    options.setdefault("n_jobs", 1)
    if not isinstance(model_spec, str):
        raise ConfigError(f"steps.attack.model: a recipe name or a model file path, got {model_spec!r}")
    if label not in frame.columns:
        raise ConfigError(f"label: column {label!r} is not in the data")
    if model_spec.lower().endswith(_MODEL_FILE_SUFFIXES):
        model, recipe, members, non_members = _model_file(model_spec, options, ctx)
    else:
        for key in _MODEL_FILE_OPTIONS:
            if key in options:
                raise ConfigError(f"steps.attack.{key}: only for a model file ({', '.join(_MODEL_FILE_SUFFIXES)})")
        model, recipe, members, non_members = _trained_model(frame, model_spec, options, ctx)
    ctx["attack_model"] = (model, recipe, members, non_members)  # for the withdrawal check
    scan = ctx.get("scan")
    identifiers = scan.names_of_kind("direct_identifier") if scan is not None else None
    fixed = {"recipe": recipe, "seed": seed, "progress": scaled(ctx["progress"], 0.3, 1.0),
             "fair_coin": ctx.pop("fair_coin", None)}
    if identifiers is not None:
        fixed["identifier_columns"] = [c for c in identifiers if c in members.columns]
    from analysis.attacks.audit import run_audit

    return _call(run_audit, "attack", (model, members, non_members, label), options, **fixed)


def _trained_model(frame, recipe_name, options, ctx):
    from analysis.models import recipes
    from analysis.report.assemble import describe_model

    member_share = options.pop("member_share", 0.5)
    try:
        recipe = recipes.get_recipe(recipe_name)
    except ValueError as exc:
        raise ConfigError(f"steps.attack.model: {safe_message(exc)}") from None
    try:
        trained = recipes.train_model(frame, ctx["label"], recipe=recipe, member_share=member_share,
                                      seed=ctx["seed"], progress=scaled(ctx["progress"], 0.0, 0.3))
    except ValueError as exc:
        raise ConfigError(f"steps.attack: {safe_message(exc)}") from None
    ctx["model_info"] = {**(describe_model(trained) or {}), "name": recipe.name, "kind": "trained here"}
    ctx["fair_coin"] = trained.fair_coin  # coin-flip membership: the audit can bound epsilon (one run)
    return trained.model, recipe, trained.members, trained.non_members


def _model_file(path_text, options, ctx):
    """A model file (.skops, .keras, .onnx, XGBoost, LightGBM) audited on its own member and non-member tables."""
    from analysis.models.loading import ModelLoadError, UntrustedTypesError
    from analysis.models.remote import open_model
    from analysis.tables import DataError, load_table

    label = ctx["label"]
    tables = {}
    for key in ("members", "non_members"):
        value = options.pop(key, None)
        if not isinstance(value, str):
            raise ConfigError(f"steps.attack.{key}: a model file needs the path of its {key.replace('_', '-')} table")
        try:
            frame = load_table(_path(ctx["config"], value), max_bytes=10**10).frame
        except DataError as exc:
            raise ConfigError(f"steps.attack.{key}: {safe_message(exc)}") from None
        if label not in frame.columns:
            raise ConfigError(f"steps.attack.{key}: the table has no label column {label!r}")
        tables[key] = frame[frame[label].notna()].reset_index(drop=True)
    if list(tables["members"].columns) != list(tables["non_members"].columns):
        raise ConfigError("steps.attack.non_members: must have the same columns as members, in the same order")
    trust = options.pop("trust", [])
    if isinstance(trust, str):
        trust = [t.strip() for t in trust.split(",") if t.strip()]
    path = _path(ctx["config"], path_text)
    if not path.is_file():
        raise ConfigError(f"steps.attack.model: no model file at {path}")
    try:
        foreign = {key: options.pop(key) for key in ("onnx_columns", "onnx_output", "reference_recipe") if key in options}
        if isinstance(foreign.get("onnx_columns"), str):
            foreign["onnx_columns"] = [c.strip() for c in foreign["onnx_columns"].split(",") if c.strip()]
        loaded = open_model(path.read_bytes(), path.name, trusted_types=list(trust), **foreign)  # in the model worker
        model = loaded.bind(tables["members"], label)
        loaded.bind(tables["non_members"], label)
    except UntrustedTypesError as exc:
        raise ConfigError(f"steps.attack.trust: {safe_message(exc)} List them under steps.attack.trust to "
                          "trust them") from None
    except ModelLoadError as exc:
        raise ConfigError(f"steps.attack.model: {safe_message(exc)}") from None
    ctx["model_info"] = {"name": loaded.name, "kind": f"{loaded.kind} file", "fingerprint": loaded.fingerprint,
                         "trusted_types": loaded.trusted_types, "inputs": loaded.input_description(),
                         "n_members": len(tables["members"]), "n_non_members": len(tables["non_members"])}
    return model, loaded.recipe(), tables["members"], tables["non_members"]


def _memorization(frame, options, ctx):
    options = dict(options)
    kind = options.pop("kind", "text")
    if kind == "tabular":
        if not ctx["label"]:
            raise ConfigError("label: the tabular memorization step needs the label column")
        from analysis.memorization import run_tabular_memorization

        return _call(run_tabular_memorization, "memorization", (frame, ctx["label"]), options, seed=ctx["seed"],
                     progress=ctx["progress"])
    if kind != "text":
        raise ConfigError(f"steps.memorization.kind: 'text' or 'tabular', got {kind!r}")
    column = options.pop("text_column", None)
    if not column:
        raise ConfigError("steps.memorization.text_column: name the free-text column to plant canaries in")
    if column not in frame.columns:
        raise ConfigError(f"steps.memorization.text_column: column {column!r} is not in the data")
    from analysis.memorization import run_text_memorization

    return _call(run_text_memorization, "memorization", (frame[column],), options, seed=ctx["seed"], progress=ctx["progress"])


def _language_model(frame, options, ctx):
    """Train the small language model on `text_column` and audit it (analysis.text_lm.audit.train_and_audit)."""
    options = dict(options)
    column = options.pop("text_column", None)
    if not column:
        raise ConfigError("steps.language_model.text_column: name the free-text column to train on")
    if column not in frame.columns:
        raise ConfigError(f"steps.language_model.text_column: column {column!r} is not in the data")
    from analysis.text_lm.audit import train_and_audit

    return _call(train_and_audit, "language_model", (frame[column].tolist(),), options, seed=ctx["seed"],
                 progress=ctx["progress"])


def _compare(frame, options, ctx):
    """The privacy-utility step: analysis.strategies.run_strategies, by default the DP-SGD grid with its
    logistic-regression baseline (strategies: [none, dp]); `strategies` names others, `plan` (a path
    relative to the config) is the anonymization plan of the anonymized ones."""
    from analysis.strategies import run_strategies

    options = dict(options)
    if "strategies" not in options:
        options["strategies"] = ["none", "dp"]
        options.setdefault("baseline", True)
    plan = options.pop("plan", None)
    if plan is not None:
        from analysis.anonymize import Plan

        path = _path(ctx["config"], str(plan))
        if not path.is_file() or path.stat().st_size > 1_000_000:
            raise ConfigError(f"steps.compare.plan: no plan file (of at most 1 MB) at {path}")
        try:
            options["plan"] = Plan.from_file(path)
        except ValueError as exc:
            raise ConfigError(f"steps.compare.plan: {safe_message(exc)}") from None
    return _call(run_strategies, "compare", (frame, ctx["label"]), options, seed=ctx["seed"],
                 progress=ctx["progress"])


_STEP_FUNCS = {"scan": _scan, "risk": _risk, "attack": _attack, "memorization": _memorization,
               "language_model": _language_model, "compare": _compare}
_INPUT_FIELD = {"scan": "scan", "risk": "risk", "attack": "attacks", "memorization": "memorization",
                "language_model": "language_model", "compare": "tradeoff"}


# --------------------------------------------------------------------------------------------
# Policies


def evaluate_policies(report: AuditReport, policies: Mapping[str, Any]) -> list[PolicyOutcome]:
    """Check each configured policy against the report's numbers."""
    outcomes = []
    for name, limit in policies.items():
        policy = POLICIES.get(name)
        if policy is None:
            raise ConfigError(f"policies.{name}: unknown policy; choose from {', '.join(POLICIES)}")
        value = policy.value(report)
        if policy.kind == "purpose":
            passed = value == limit
            outcomes.append(PolicyOutcome(name, limit, value, passed, f"{policy.description}: " + (
                f"{limit} enforced" if passed else f"consent for {limit} was not enforced in training")))
            continue
        if policy.kind == "flag":
            if limit is False:
                outcomes.append(PolicyOutcome(name, limit, value, True, "not enforced (false)"))
                continue
            if value is None:
                outcomes.append(PolicyOutcome(name, limit, None, False, f"not measured: {policy.description}"))
                continue
            passed = value == 0
            outcomes.append(PolicyOutcome(name, limit, value, passed,
                                          f"{policy.description}: {'none' if passed else int(value)} found"))
            continue
        if value is None:
            outcomes.append(PolicyOutcome(name, limit, None, False, f"not measured: {policy.description}"))
            continue
        passed = value >= limit if policy.kind == "min" else value <= limit
        sign = ">=" if policy.kind == "min" else "<="
        outcomes.append(PolicyOutcome(name, limit, value, passed,
                                      f"{policy.description}: measured {value:.4g}, required {sign} {limit:g}"))
    return outcomes


# --------------------------------------------------------------------------------------------
# The pipeline


def run_audit_config(config: Union[Mapping[str, Any], str, Path], *,
                     progress: Optional[ProgressCallback] = None) -> AuditOutcome:
    """Run the configured steps on the configured data; returns the report with policy outcomes."""
    from analysis.tables import DataError, load_table

    if isinstance(config, (str, Path)):
        config = load_config(config)
    cfg = validate_config(config)
    started = time.perf_counter()
    data_path = _path(cfg, cfg["data"])
    try:
        table = load_table(data_path, max_bytes=10**10)
    except DataError as exc:
        raise ConfigError(f"data: {safe_message(exc)}") from None
    return run_audit_on_table(table, cfg, progress=progress, started=started)


def run_audit_on_table(table: Any, config: Mapping[str, Any], *, progress: Optional[ProgressCallback] = None,
                       started: Optional[float] = None, partial: bool = False) -> AuditOutcome:
    """Run a validated (or raw) config's steps on an already loaded `analysis.tables.Table`.

    With `partial`, a step that cannot run on this table (no quasi-identifier found, a label with one class,
    ...) is left out and named in `AuditOutcome.failures`; the report holds every step that could run (the
    dashboard's quick audit). Without it, the first such step raises ConfigError (the CI gate)."""
    cfg = config if "_thresholds" in config else validate_config({"data": table.name, **config})
    started = time.perf_counter() if started is None else started
    frame = table.frame
    seed = int(cfg.get("seed", 0))
    if cfg.get("rows") and cfg["rows"] < len(frame):
        frame = frame.sample(n=int(cfg["rows"]), random_state=seed).reset_index(drop=True)
    steps = [s for s in STEPS if s in cfg["steps"]]
    failures: list[StepFailure] = []

    def fail(step: str, exc: ConfigError) -> None:
        if not partial:
            raise exc
        failures.append(StepFailure(step, safe_message(exc), STEP_FIXES.get(step, "options")))

    label = cfg.get("label")
    if label is not None and label not in frame.columns:
        error = ConfigError(f"label: column {label!r} is not in {table.name} (columns: {', '.join(table.columns)})")
        if not partial:
            raise error
        for step in [s for s in steps if s in ("attack", "compare")]:
            fail(step, error)
            steps.remove(step)
        label = None

    ctx: dict[str, Any] = {"label": label, "seed": seed, "progress": None, "config": cfg}
    try:
        train_frame, consent_inputs = _consent(frame, cfg.get("consent"))
    except ConfigError as exc:
        fail("consent", exc)
        train_frame, consent_inputs = frame, {}
        for step in [s for s in steps if s in TRAINING_STEPS]:  # never train on rows without consent
            fail(step, ConfigError(f"steps.{step}: needs the consent setting fixed first"))
            steps.remove(step)
    results: dict[str, Any] = {}
    seconds: dict[str, float] = {"load": round(time.perf_counter() - started, 4)}
    for i, step in enumerate(steps):
        report(progress, i / max(1, len(steps)), f"{step}")
        ctx["progress"] = scaled(progress, i / len(steps), (i + 1) / len(steps))
        t0 = time.perf_counter()
        try:
            result = _STEP_FUNCS[step](train_frame if step in TRAINING_STEPS else frame, cfg["steps"][step], ctx)
        except ConfigError as exc:
            fail(step, exc)
            continue
        seconds[step] = round(time.perf_counter() - t0, 4)
        results[step] = result
        ctx[step] = result
    if (cfg.get("consent") or {}).get("withdrawn_after") and "attack_model" in ctx:
        try:
            consent_inputs["withdrawal"] = _withdrawal(frame, cfg["consent"], consent_inputs, ctx)
        except ConfigError as exc:
            fail("consent", exc)
    report(progress, 1.0, "assembling the report")

    settings = {"config": {k: v for k, v in cfg.items() if not str(k).startswith("_") and k != "history"},
                "data": {"path": cfg["data"], "rows_used": int(len(frame)), "rows_in_file": table.rows}}
    if failures:
        settings["not_computed"] = {f.step: f.message for f in failures}
    inputs = ReportInputs(table=table, model_info=ctx.get("model_info"), seeds={"config": seed},
                          settings=settings, seconds={**seconds, "total": round(time.perf_counter() - started, 4)},
                          title=str(cfg.get("title") or f"Privacy audit of {table.name}"),
                          **{_INPUT_FIELD[s]: r for s, r in results.items()},
                          **{k: v for k, v in consent_inputs.items() if k != "mapping"})
    thresholds: Thresholds = cfg["_thresholds"]
    report_model = assemble_report(inputs, thresholds=thresholds)
    report_model = report_model.with_policies(evaluate_policies(report_model, cfg["policies"]))
    return AuditOutcome(report=report_model, inputs=inputs, config=cfg, failures=tuple(failures))


def _consent(frame, consent: Optional[Mapping[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """The training frame (consented rows, consent columns dropped) and the consent results for the report."""
    if not consent:
        return frame, {}
    from analysis.consent import consent_report, training_mapping, training_rows

    try:
        mapping = training_mapping(frame, consent["column"])
        coverage = consent_report(frame, mapping, withdrawn_after=consent.get("withdrawn_after"))
        kept, filtered = training_rows(frame, mapping, unknown_as_consented=consent["include_unknown"],
                                       enforce=consent["enforce"])
    except ValueError as exc:
        raise ConfigError(f"consent: {safe_message(exc)}") from None
    return kept, {"consent": coverage, "consent_filter": filtered, "mapping": mapping}


def _withdrawal(frame, consent: Mapping[str, Any], consent_inputs: dict[str, Any], ctx: dict[str, Any]):
    """The withdrawal check of the attack step's model on the rows withdrawn after consent.withdrawn_after."""
    from analysis.attacks.withdrawal import check_withdrawal
    from analysis.consent import withdrawn_rows

    model, recipe, members, non_members = ctx["attack_model"]
    try:
        withdrawn = withdrawn_rows(frame, consent_inputs["mapping"], after=consent["withdrawn_after"])
        withdrawn = withdrawn[[c for c in members.columns if c in withdrawn.columns]]
        return check_withdrawal(model, members, non_members, withdrawn, ctx["label"], recipe=recipe,
                                seed=ctx["seed"])
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"consent.withdrawn_after: {safe_message(exc)}") from None


def quick_audit_config(*, label: Optional[str], rows: int = 2000, seed: int = 0,
                       consent: Optional[Mapping[str, Any]] = None,
                       quasi_identifiers: Optional[list[str]] = None,
                       scan_backend: str = "auto") -> dict[str, Any]:
    """The fast default audit the Report page offers: scan, risk on the scan's quasi-identifiers (or on the
    ones given), and the threshold attacks on a logistic regression (when a label is chosen), on a seeded
    sample of rows. `scan_backend`: where the scan runs (the app passes its worker pool, "workers")."""
    scan = {"sample_rows": 500} | ({"backend": scan_backend} if scan_backend != "auto" else {})
    steps: dict[str, Any] = {"scan": scan,
                             "risk": {"quasi_identifiers": list(quasi_identifiers or []) or "auto", "k": 5}}
    if label:
        steps["attack"] = {"model": "logistic_regression", "attacks": ["threshold"]}
    config = {"version": CONFIG_VERSION, "label": label, "seed": seed, "rows": rows, "steps": steps}
    return config | ({"consent": dict(consent)} if consent else {})  # the session's consent switch
