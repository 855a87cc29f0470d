"""JSON export of the report, and validation against its versioned schema."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Union

SCHEMA_PATH = Path(__file__).parent / "schema" / "report.schema.json"


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_report(data: Mapping[str, Any]) -> None:
    """Raise ValueError naming the first place where `data` breaks the report schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ValueError(f"report JSON breaks the schema at {where}: {first.message}")


def report_json(report: Any) -> str:
    """The report as validated JSON text."""
    data = report.to_dict() if hasattr(report, "to_dict") else dict(report)
    validate_report(data)
    return json.dumps(data, indent=2)


def write_json(report: Any, path: Union[str, Path]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_json(report) + "\n", encoding="utf-8")
    return path
