"""The report's second line of defence: no raw value of a direct-identifier column is copied.

Column examples come from the scan (already masked); any that still contains a raw value of a
direct-identifier column of the table is masked again with the scan's own rule (`analysis.pii.mask_value`).
"""

from __future__ import annotations

from typing import Any, Iterable, MutableMapping, Optional

from analysis.report.values import get


def mask_text(text: str, entity_type: str = "") -> str:
    """`analysis.pii.mask_value` (the scan's masking rule); empty text stays empty."""
    if not text:
        return text
    from analysis.pii import mask_value  # loads pandas & co.: only when a value must be masked

    return mask_value(text, entity_type or None)


class IdentifierGuard:
    """Finds raw values of direct-identifier columns inside strings the report is about to copy.

    `memo`: the caller's own store for the values (the dashboard keeps one per session, as the report
    page reruns often); without one nothing is kept. Never a process-wide cache: the values are raw
    identifiers of one session's table.
    """

    _MEMO_KEEP = 2

    def __init__(self, table: Any, columns: Iterable[str], memo: Optional[MutableMapping] = None):
        self.values: list[str] = []
        self._by_head: dict[str, list[int]] = {}  # first 4 characters -> positions in self.values
        self.remasked = 0
        frame = get(table, "frame")
        if frame is None:
            return
        columns = tuple(c for c in columns if c in frame.columns)
        key = (get(table, "fingerprint"), columns)
        if memo is not None and key[0] is not None and key in memo:
            self.values, self._by_head = memo[key]
            return
        seen: set[str] = set()
        for col in columns:
            for v in frame[col].dropna().astype(str).unique().tolist():
                v = v.strip()
                if len(v) >= 4:
                    seen.add(v)
        self.values = sorted(seen, key=len, reverse=True)  # longest first, so substrings go last
        for i, v in enumerate(self.values):
            self._by_head.setdefault(v[:4], []).append(i)
        if memo is not None and key[0] is not None:
            while len(memo) >= self._MEMO_KEEP:
                memo.pop(next(iter(memo)))
            memo[key] = (self.values, self._by_head)

    def clean(self, text: Any, entity_type: str = "") -> Any:
        if not isinstance(text, str) or not self.values:
            return text
        out = text
        # A value can only occur if its first 4 characters do: look up the text's 4-character windows instead of
        # trying every value (thousands of names or e-mails, for each of the report's strings, on every rerun).
        windows = {text[start:start + 4] for start in range(len(text) - 3)}
        candidates = sorted({pos for window in windows for pos in self._by_head.get(window, ())})
        for v in (self.values[pos] for pos in candidates):  # in self.values's order: still longest first
            if v in out:
                out = out.replace(v, mask_text(v, entity_type))
        if out != text:
            self.remasked += 1
        return out
