"""Memorization tests (Carlini et al., "The Secret Sharer", 2019): plant canaries, measure exposure.

Public API:
- `run_text_memorization(texts, ...)`: a character language model on a free-text column;
- `run_tabular_memorization(frame, label, ...)`: the tabular MLP with canary records;
both return a `MemorizationResult` (exposure per canary and model, extraction, a verdict).
TensorFlow is imported only when a model is trained.
"""

from analysis.memorization.result import (CanaryExposure, MemorizationResult, ModelMemorization,
                                          RepeatSummary)
from analysis.memorization.run import DEFAULT_REPEATS, run_text_memorization
from analysis.memorization.tabular import run_tabular_memorization

__all__ = ["CanaryExposure", "DEFAULT_REPEATS", "MemorizationResult", "ModelMemorization", "RepeatSummary",
           "run_tabular_memorization", "run_text_memorization"]
