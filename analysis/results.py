"""The one way results become JSON: every result dataclass inherits `Result`.

Results hold numbers, settings and provenance, never figures or raw identifier values.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import math
import platform
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

# Packages whose versions are recorded with every result (missing ones are skipped).
_TRACKED_PACKAGES = (
    "numpy", "pandas", "scikit-learn", "tensorflow", "tensorflow-privacy", "dp-accounting",
    "presidio-analyzer", "presidio-anonymizer", "spacy", "flwr", "skops",
)


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, numpy and pandas values to plain JSON types (NaN/inf become None)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a small DataFrame
        return to_jsonable(value.to_dict(orient="records"))
    return value


class Result:
    """Mixin for frozen result dataclasses: `to_dict()` and `to_json()`."""

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)

    def to_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("indent", 2)
        return json.dumps(self.to_dict(), **kwargs)


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape results, plus Python's (a copy: the caller may change it)."""
    return dict(_installed_versions())


@functools.lru_cache(maxsize=1)
def _installed_versions() -> dict[str, str]:
    """Read once per process: each lookup walks the installed distributions, and every result asks."""
    versions = {"python": platform.python_version()}
    for name in _TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
