"""Reading capability results by attribute or key, and formatting their numbers for the report.

A result object and its `to_dict()` form both work: every reader goes through `get`.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional

from analysis.results import to_jsonable

NOT_PRIVATE = (None, "inf", "infinity", "none", "non-private")


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


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value)


def num(value: Any) -> Optional[float]:
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def pct(value: Optional[float], digits: int = 1) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def share_cell(value: Any, digits: int = 1) -> Optional[str]:
    """A share (0..1) for a report table cell, as the sentences show it ("14.7%"); None stays empty."""
    value = num(value)
    return None if value is None else pct(value, digits)


# Measures named like these are shares of records (or probabilities) and are shown as percents.
_SHARE_NAMES = ("_share", "_risk", "risk", "accuracy", "threshold")


def measure(name: str, value: Any) -> str:
    """`value` formatted by what its name says it is: "records_at_risk_share: 14.7%", "distinct_l: 3"."""
    is_share = str(name).rsplit(".", 1)[-1].endswith(_SHARE_NAMES)
    return pct(num(value)) if is_share and num(value) is not None else fmt(value)


def fmt(value: Any) -> str:
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


def as_epsilon(value: Any) -> Optional[float]:
    """Epsilon as a float; None and 'inf' mean non-private (returned as inf)."""
    if isinstance(value, str) and value.strip().lower() in NOT_PRIVATE:
        return math.inf
    if value is None:
        return math.inf
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.inf


def eps_text(eps: Optional[float]) -> str:
    return "non-private" if eps is None or math.isinf(eps) else f"ε = {eps:g}"


def flatten(prefix: str, value: Any, out: dict[str, Any], depth: int = 0) -> None:
    value = to_jsonable(value)
    if isinstance(value, Mapping) and depth < 2:
        for k, v in value.items():
            flatten(f"{prefix}.{k}" if prefix else str(k), v, out, depth + 1)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) or value is None:
        out[prefix] = value

