"""Traffic-light ratings for the report summary, with thresholds that are visible and settable.

Every summary number is rated green, amber or red by one `Rule`: for a metric where lower is better
(`direction="lower"`), a value at or below `green` is green, at or below `amber` is amber, and above
it red; for higher-is-better metrics (`direction="higher"`, e.g. k) the comparisons flip. A metric
that was not measured is rated "grey". The defaults below are starting points, not standards: the
dashboard and the audit config (`thresholds:`) let a team set its own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from analysis.results import Result

GREEN, AMBER, RED, GREY = "green", "amber", "red", "grey"
RATINGS = (GREEN, AMBER, RED, GREY)
DIRECTIONS = ("lower", "higher")


@dataclass(frozen=True)
class Rule(Result):
    """How one metric is rated. `unit` is shown next to the thresholds ("columns", "share", "bits")."""

    metric: str
    label: str
    direction: str  # "lower": lower is better; "higher": higher is better
    green: float
    amber: float
    unit: str = ""

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction of rule {self.metric!r} must be one of {DIRECTIONS}, "
                             f"got {self.direction!r}")
        for name in ("green", "amber"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValueError(f"threshold {self.metric}.{name} must be a number, got {value!r}")
        if self.direction == "lower" and self.green > self.amber:
            raise ValueError(f"thresholds for {self.metric!r}: green ({self.green}) must be <= amber "
                             f"({self.amber}) when lower is better")
        if self.direction == "higher" and self.green < self.amber:
            raise ValueError(f"thresholds for {self.metric!r}: green ({self.green}) must be >= amber "
                             f"({self.amber}) when higher is better")

    def rate(self, value: Optional[float]) -> str:
        if value is None:
            return GREY
        value = float(value)
        if value != value:  # NaN
            return GREY
        if self.direction == "lower":
            return GREEN if value <= self.green else AMBER if value <= self.amber else RED
        return GREEN if value >= self.green else AMBER if value >= self.amber else RED

    def describe(self) -> str:
        """The rule in words, e.g. "green ≤ 0.55, amber ≤ 0.65, red above"; a share as the measured value shows
        it, in percent ("green ≤ 0.2%, amber ≤ 1%, red above")."""
        green, amber = _num(self.green, self.unit), _num(self.amber, self.unit)
        if self.direction == "lower":
            return f"green ≤ {green}, amber ≤ {amber}, red above"
        return f"green ≥ {green}, amber ≥ {amber}, red below"


def _num(value: float, unit: str = "") -> str:
    if unit == "share":
        return f"{value * 100:g}%"
    return f"{value:g}" + (f" {unit}" if unit else "")


# The summary metrics and their default rules, in display order.
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("direct_identifiers", "Direct identifiers", "lower", 0, 0, "columns"),
    Rule("free_text_leaks", "Free-text columns leaking PII", "lower", 0, 1, "columns"),
    Rule("k_anonymity", "k (smallest group)", "higher", 5, 2, "records"),
    Rule("records_at_risk", "Records in groups smaller than k", "lower", 0.01, 0.05, "share"),
    Rule("attack_tpr_at_0.001_fpr", "Strongest attack: TPR at 0.1% FPR", "lower", 0.002, 0.01, "share"),
    Rule("attack_auc", "Strongest attack: AUC", "lower", 0.55, 0.65, ""),
    Rule("memorization_exposure", "Memorization: highest canary exposure", "lower", 0.25, 0.5,
         "of the secret space (bits/bits)"),
    Rule("dp_accuracy_kept", "DP option: accuracy kept vs non-private", "higher", 0.97, 0.9, "share"),
    Rule("text_tpr_at_0.001_fpr", "Language model: strongest attack TPR at 0.1% FPR", "lower", 0.002, 0.01, "share"),
    Rule("text_pii_extracted", "Language model: training PII values in its generations", "lower", 0, 0, "values"),
)


@dataclass(frozen=True)
class Thresholds(Result):
    """The full set of rules; `with_overrides({"k_anonymity": {"green": 10}})` returns a new set."""

    rules: tuple[Rule, ...] = DEFAULT_RULES

    def rule(self, metric: str) -> Rule:
        for rule in self.rules:
            if rule.metric == metric:
                return rule
        raise ValueError(f"no threshold named {metric!r}; known: {', '.join(self.metrics())}")

    def metrics(self) -> list[str]:
        return [r.metric for r in self.rules]

    def rate(self, metric: str, value: Optional[float]) -> str:
        return self.rule(metric).rate(value)

    def with_overrides(self, overrides: Optional[Mapping[str, Any]]) -> "Thresholds":
        """Apply {metric: {"green": x, "amber": y}} (or {metric: [green, amber]}); ValueError names bad keys."""
        if not overrides:
            return self
        if not isinstance(overrides, Mapping):
            raise ValueError(f"thresholds must be a mapping of metric -> {{green, amber}}, got {overrides!r}")
        known = set(self.metrics())
        for metric in overrides:
            if metric not in known:
                raise ValueError(f"thresholds.{metric}: unknown metric; known: {', '.join(self.metrics())}")
        rules = []
        for rule in self.rules:
            change = overrides.get(rule.metric)
            if change is None:
                rules.append(rule)
                continue
            if isinstance(change, (list, tuple)) and len(change) == 2:
                change = {"green": change[0], "amber": change[1]}
            if not isinstance(change, Mapping):
                raise ValueError(f"thresholds.{rule.metric} must be {{green: .., amber: ..}}, got {change!r}")
            bad = set(change) - {"green", "amber"}
            if bad:
                raise ValueError(f"thresholds.{rule.metric}.{sorted(bad)[0]}: unknown key; use green and amber")
            try:
                rules.append(dataclasses.replace(rule, **{k: float(v) for k, v in change.items()}))
            except (TypeError, ValueError) as exc:
                if isinstance(exc, ValueError) and str(exc).startswith("threshold"):
                    raise
                raise ValueError(f"thresholds.{rule.metric}: {exc}") from None
        return Thresholds(rules=tuple(rules))

    def as_overrides(self) -> dict[str, dict[str, float]]:
        """{metric: {"green": .., "amber": ..}}: what a config or the dashboard would set."""
        return {r.metric: {"green": r.green, "amber": r.amber} for r in self.rules}


def default_thresholds() -> Thresholds:
    return Thresholds()
