"""PII discovery: which columns hold personal data, of which kind, and where free text leaks it.

Public API: `scan_table`, `ScanResult`, `ColumnFinding`, `EntityFinding`, `KINDS`,
`apply_kind_overrides`, `find_text_spans`, `TextSpan`, `mask_value`, `value_type`. Heavy imports (Presidio, spaCy)
happen on first use, not at import.
"""

from analysis.pii.findings import (CUSTOM_ENTITIES, KINDS, ColumnFinding, EntityFinding, ScanResult, TextSpan,
                                   apply_kind_overrides, mask_value)
from analysis.pii.columns import value_type
from analysis.pii.scan import scan_table
from analysis.pii.text import find_text_spans

__all__ = ["scan_table", "ScanResult", "ColumnFinding", "EntityFinding", "KINDS", "CUSTOM_ENTITIES",
           "apply_kind_overrides", "find_text_spans", "TextSpan", "mask_value", "value_type"]
