"""An anonymization plan: a small YAML/JSON document, column -> operator and parameters.

    version: 1
    columns:
      customer_name: {operator: pseudonymize, length: 16}
      age: {operator: bin, width: 10}
      zip: {operator: zip_truncate, keep: 3}
      notes: {operator: text_redact}
    suppression: {k: 5, quasi_identifiers: [age, sex, zip], method: record}

Columns not named are kept. A plan never holds a secret: keyed operators take it at apply time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from analysis.anonymize.operators import MISSING, OPERATORS

PLAN_VERSION = 1
SUPPRESSION_METHODS = ("record", "cell")
_SECRET_WORDS = ("secret", "key", "password", "token_key")


@dataclass(frozen=True)
class ColumnRule:
    operator: str
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"operator": self.operator, **self.params}


@dataclass(frozen=True)
class Suppression:
    k: int
    quasi_identifiers: list[str]
    method: str = "record"      # record: drop records in classes < k; cell: blank QI cells first
    marker: str = "*"

    def to_dict(self) -> dict:
        return {"k": self.k, "quasi_identifiers": list(self.quasi_identifiers), "method": self.method,
                "marker": self.marker}


@dataclass(frozen=True)
class Plan:
    columns: dict[str, ColumnRule] = field(default_factory=dict)
    suppression: Optional[Suppression] = None
    description: str = ""

    # ---- construction and validation
    @classmethod
    def from_dict(cls, data: Any) -> "Plan":
        if not isinstance(data, dict):
            raise ValueError(f"a plan must be a mapping with 'columns', got {type(data).__name__}")
        unknown = set(data) - {"version", "columns", "suppression", "description"}
        if unknown:
            raise ValueError(f"unknown plan key(s): {', '.join(sorted(unknown))}")
        version = data.get("version", PLAN_VERSION)
        if version != PLAN_VERSION:
            raise ValueError(f"plan version {version!r} is not supported (expected {PLAN_VERSION})")
        raw_columns = data.get("columns") or {}
        if not isinstance(raw_columns, dict):
            raise ValueError("plan 'columns' must map column names to rules")
        columns = {str(name): _rule(str(name), rule) for name, rule in raw_columns.items()}
        suppression = _suppression(data.get("suppression"))
        return cls(columns=columns, suppression=suppression, description=str(data.get("description") or ""))

    @classmethod
    def from_yaml(cls, text: str) -> "Plan":
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"the plan is not valid YAML: {str(exc).splitlines()[0]}") from None
        return cls.from_dict(data or {})

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the plan is not valid JSON: {exc.msg} (line {exc.lineno})") from None
        return cls.from_dict(data)

    @classmethod
    def from_file(cls, path) -> "Plan":
        from pathlib import Path

        text = Path(path).read_text(encoding="utf-8")
        return cls.from_json(text) if str(path).lower().endswith(".json") else cls.from_yaml(text)

    # ---- serialization
    def to_dict(self) -> dict:
        out: dict[str, Any] = {"version": PLAN_VERSION}
        if self.description:
            out["description"] = self.description
        out["columns"] = {name: rule.to_dict() for name, rule in self.columns.items()}
        if self.suppression is not None:
            out["suppression"] = self.suppression.to_dict()
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def to_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("indent", 2)
        return json.dumps(self.to_dict(), **kwargs)

    # ---- helpers
    def with_rule(self, column: str, operator: str, **params: Any) -> "Plan":
        """A copy with `column`'s rule replaced (validated)."""
        columns = dict(self.columns)
        columns[column] = _rule(column, {"operator": operator, **params})
        return Plan(columns=columns, suppression=self.suppression, description=self.description)

    def with_suppression(self, suppression: Optional[Suppression]) -> "Plan":
        if suppression is not None:
            suppression = _suppression(suppression.to_dict())
        return Plan(columns=dict(self.columns), suppression=suppression, description=self.description)

    @property
    def needs_secret(self) -> bool:
        return any(OPERATORS[r.operator].needs_secret for r in self.columns.values())

    def check_columns(self, columns) -> None:
        """ValueError naming any plan column (or suppression quasi-identifier) missing from `columns`."""
        present = {str(c) for c in columns}
        missing = [c for c in self.columns if c not in present]
        if missing:
            raise ValueError(f"the plan names column(s) not in the table: {', '.join(missing)}")
        if self.suppression is not None:
            dropped = {c for c, r in self.columns.items() if OPERATORS[r.operator].drops_column}
            bad = [c for c in self.suppression.quasi_identifiers if c not in present or c in dropped]
            if bad:
                raise ValueError(f"suppression quasi-identifier(s) not in the output: {', '.join(bad)}")


def _rule(column: str, raw: Any) -> ColumnRule:
    if isinstance(raw, str):
        raw = {"operator": raw}
    if not isinstance(raw, dict) or "operator" not in raw:
        raise ValueError(f"column '{column}': a rule needs an 'operator' (one of {', '.join(OPERATORS)})")
    op = str(raw["operator"])
    if op not in OPERATORS:
        raise ValueError(f"column '{column}': unknown operator '{op}' (one of {', '.join(OPERATORS)})")
    spec = OPERATORS[op]
    given = {k: v for k, v in raw.items() if k != "operator"}
    secrets = [k for k in given if any(w in k.lower() for w in _SECRET_WORDS)]
    if secrets:
        raise ValueError(f"column '{column}': a plan must not hold a secret ({', '.join(secrets)}); "
                         "supply it when applying the plan")
    unknown = set(given) - set(spec.params)
    if unknown:
        raise ValueError(f"column '{column}', operator '{op}': unknown parameter(s) {', '.join(sorted(unknown))} "
                         f"(accepted: {', '.join(spec.params) or 'none'})")
    params = {}
    for name, (types, default) in spec.params.items():
        if name in given:
            value = given[name]
            if isinstance(value, bool) and bool not in types:
                ok = False
            else:
                ok = isinstance(value, types) or (float in types and isinstance(value, int))
            if not ok:
                wanted = " or ".join(t.__name__ for t in types)
                raise ValueError(f"column '{column}', operator '{op}': parameter {name} must be {wanted}, "
                                 f"got {value!r}")
            params[name] = value
        elif default is MISSING:
            raise ValueError(f"column '{column}', operator '{op}': parameter {name} is required")
    full = {name: params.get(name, default) for name, (_, default) in spec.params.items()}
    if spec.extra_check is not None:
        problem = spec.extra_check(full)
        if problem:
            raise ValueError(f"column '{column}', operator '{op}': {problem}")
    return ColumnRule(operator=op, params=params)


def _suppression(raw: Any) -> Optional[Suppression]:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError("plan 'suppression' must be a mapping with k and quasi_identifiers")
    unknown = set(raw) - {"k", "quasi_identifiers", "method", "marker"}
    if unknown:
        raise ValueError(f"suppression: unknown key(s) {', '.join(sorted(unknown))}")
    k = raw.get("k")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"suppression: k must be a positive integer, got {k!r}")
    qis = raw.get("quasi_identifiers")
    if not isinstance(qis, list) or not qis or not all(isinstance(q, str) for q in qis):
        raise ValueError("suppression: quasi_identifiers must be a non-empty list of column names")
    method = raw.get("method", "record")
    if method not in SUPPRESSION_METHODS:
        raise ValueError(f"suppression: method must be one of {SUPPRESSION_METHODS}, got {method!r}")
    marker = str(raw.get("marker", "*"))
    return Suppression(k=k, quasi_identifiers=list(qis), method=method, marker=marker)


def parse_params(operator: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Turn form input (strings from text boxes) into typed parameters for `operator`.

    Blank text means "use the default"; lists are comma-separated (numbers when they parse);
    numbers parse as int when whole. Values that are not strings pass through unchanged.
    """
    if operator not in OPERATORS:
        raise ValueError(f"unknown operator '{operator}' (one of {', '.join(OPERATORS)})")
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in OPERATORS[operator].params:
            raise ValueError(f"operator '{operator}': unknown parameter {name}")
        types, _ = OPERATORS[operator].params[name]
        if not isinstance(value, str) or types == (str,):
            out[name] = value
            continue
        text = value.strip()
        if text == "":
            continue
        if list in types:
            out[name] = [_number(v.strip()) for v in text.split(",") if v.strip()]
        elif int in types or float in types:
            number = _number(text)
            if isinstance(number, str):
                raise ValueError(f"operator '{operator}': parameter {name} must be a number, got {text!r}")
            out[name] = number
        else:
            out[name] = text
    return out


def _number(text: str) -> Any:
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value
