"""The riskiest combinations of quasi-identifiers: the small subsets that already single people out.

Uniqueness only grows when a column is added, so the full set is always the riskiest; what a user
needs is the *smallest* subsets that make many records unique (those are what to generalize). The
search is bounded: every subset of size 1 and 2 is scored when affordable, larger sizes grow only
the best `beam` subsets of the previous size, and at most `max_evaluations` subsets are scored in
all, so 10 quasi-identifiers stay interactive (about 100 bincounts).
"""

from __future__ import annotations

from itertools import combinations
from math import comb



from analysis.progress import ProgressCallback, report
from analysis.risk.classes import ColumnCodes, combine_sizes


def score_subset(parts: list[ColumnCodes]) -> dict:
    sizes = combine_sizes(parts)
    unique_records = int((sizes == 1).sum())
    n = int(sizes.sum())
    return {"columns": [p.name for p in parts], "size": len(parts), "k": int(sizes.min()),
            "classes": int(len(sizes)), "unique_records": unique_records,
            "unique_share": unique_records / n if n else 0.0}


def riskiest_combinations(encoded: dict[str, ColumnCodes], *, max_size: int = 3, beam: int = 6,
                          max_evaluations: int = 100, top: int = 10,
                          progress: ProgressCallback | None = None) -> tuple[list[dict], int]:
    """Top subsets by records made unique (ties: fewer columns first). Returns (rows, evaluated)."""
    names = list(encoded)
    max_size = max(1, min(max_size, len(names)))
    scored: dict[tuple[str, ...], dict] = {}
    frontier: list[tuple[str, ...]] = []
    budget = max_evaluations
    for size in range(1, max_size + 1):
        if size <= 2 and comb(len(names), size) <= budget:
            candidates = list(combinations(names, size))
        else:
            candidates = sorted({tuple(sorted(set(base) | {c}, key=names.index))
                                 for base in frontier for c in names if c not in base})
        candidates = [c for c in candidates if c not in scored][:budget]
        if not candidates:
            break
        for subset in candidates:
            scored[subset] = score_subset([encoded[c] for c in subset])
        budget -= len(candidates)
        report(progress, size / max_size, f"scored {len(scored)} quasi-identifier subsets")
        level = sorted(candidates, key=lambda s: -scored[s]["unique_records"])
        frontier = level[:beam]
        if budget <= 0:
            break
    rows = sorted(scored.values(), key=lambda r: (-r["unique_records"], r["size"], r["columns"]))
    return rows[:top], len(scored)


