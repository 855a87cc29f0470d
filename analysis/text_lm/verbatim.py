"""Verbatim memorization: does the model's greedy continuation of a document's first `prefix_tokens`
tokens reproduce its next `suffix_tokens` tokens exactly (Carlini et al. 2023, "Quantifying
memorization")? Measured on members and, as the reference, on held-out documents: text a model can
complete without having seen it (templates, boilerplate) completes on both."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from analysis.text_lm.result import VerbatimResult


class TooShort(ValueError):
    """No member document is long enough for the prefix and the suffix."""


def _share(lm, texts: Sequence[str], prefix: int, suffix: int, limit: int, seed: int) -> tuple[int, Optional[float]]:
    rows = [r for r in lm.encode(texts) if len(r) >= prefix + suffix]
    if not rows:
        return 0, None
    if len(rows) > limit:
        rows = [rows[i] for i in np.random.default_rng([seed, 2328]).choice(len(rows), size=limit, replace=False)]
    ids = np.array([r[:prefix + suffix] for r in rows], dtype=np.int64)
    continued = lm.generate(ids[:, :prefix], suffix, greedy=True)
    return len(rows), float(np.mean(np.all(continued == ids[:, prefix:], axis=1)))


def verbatim_memorization(lm, members: Sequence[str], non_members: Sequence[str], *, prefix_tokens: int = 8,
                          suffix_tokens: int = 8, documents: int = 200, seed: int = 0) -> VerbatimResult:
    n, share = _share(lm, members, prefix_tokens, suffix_tokens, documents, seed)
    if share is None:
        raise TooShort(f"Verbatim test skipped: no member document has {prefix_tokens + suffix_tokens} tokens "
                       f"({prefix_tokens} of prefix and {suffix_tokens} to reproduce).")
    n_non, share_non = _share(lm, non_members, prefix_tokens, suffix_tokens, documents, seed)
    return VerbatimResult(prefix_tokens=int(prefix_tokens), suffix_tokens=int(suffix_tokens), documents=n,
                          share=share, non_member_documents=n_non, non_member_share=share_non)
