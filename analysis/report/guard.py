"""The report's second line of defence: no raw value of a direct-identifier column is copied.

Column examples come from the scan (already masked); any that still contains a raw value of a
direct-identifier column of the table is masked again with the scan's own rule (`analysis.pii.mask_value`).
"""

from __future__ import annotations

from typing import Any, Iterable

from analysis.report.values import get


def mask_text(text: str, entity_type: str = "") -> str:
    """`analysis.pii.mask_value` (the scan's masking rule); empty text stays empty."""
    if not text:
        return text
    from analysis.pii import mask_value  # loads pandas & co.: only when a value must be masked

    return mask_value(text, entity_type or None)


class IdentifierGuard:
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
                out = out.replace(v, mask_text(v, entity_type))
        if out != text:
            self.remasked += 1
        return out
