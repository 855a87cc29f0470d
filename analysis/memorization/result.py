"""Result objects of the memorization tests, and the plain-language verdict drawn from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from analysis.results import Result


@dataclass(frozen=True)
class CanaryExposure(Result):
    """One planted secret in one model.

    repeats: how many times the canary was in the training data (0 = a control, never inserted).
    exposure: log2 |R| - log2 rank, in bits (0 .. log2 |R|; about 1.44 for a random rank).
    rank: the true secret's rank among all candidates by the model's log-perplexity (1 = most likely);
        fractional when estimated with the skew-normal fit.
    method: "exact" (every candidate scored) or "skew-normal" (estimated from a sample).
    extracted: decoding produced the secret verbatim (greedy or beam search; for tabular models: the
        model's most probable value is the secret).
    log_perplexity: -log2 P(secret | canary prefix) in bits under the model.
    """

    repeats: int
    exposure: float
    rank: float
    method: str
    extracted: bool
    greedy_extracted: bool = False
    beam_extracted: bool = False
    log_perplexity: float = float("nan")


@dataclass(frozen=True)
class RepeatSummary(Result):
    """The canaries of one insertion count in one model."""

    repeats: int
    canaries: int
    mean_exposure: float
    min_exposure: float
    max_exposure: float
    extracted: int          # canaries whose secret decoding produced verbatim
    recoverable: int        # extracted, or ranked first among all candidates


@dataclass(frozen=True)
class ModelMemorization(Result):
    """Exposure of every canary in one trained model (non-private, or DP-SGD at `epsilon`)."""

    name: str
    epsilon: Optional[float]                  # the target epsilon; None for the non-private model
    canaries: list[CanaryExposure]
    by_repeats: list[RepeatSummary]
    train_seconds: float = 0.0
    final_loss: Optional[float] = None
    privacy: Optional[dict[str, Any]] = None  # the DP accounting (achieved RDP/PLD epsilon, delta, noise)

    @property
    def private(self) -> bool:
        return self.epsilon is not None


@dataclass(frozen=True)
class MemorizationResult(Result):
    """Exposure versus insertion count for each model, the extraction results and a verdict.

    kind: "text" (character language model) or "tabular" (MLP classifier).
    secret_space_bits: log2 |R|, the largest possible exposure.
    random_rank_exposure: what a model that learned nothing about a secret scores on average.
    """

    kind: str
    secret_space_size: int
    secret_space_bits: float
    random_rank_exposure: float
    method: str
    models: list[ModelMemorization]
    verdict: str
    settings: dict[str, Any]
    seed: int
    versions: dict[str, str] = field(default_factory=dict)

    def model(self, name: str) -> ModelMemorization:
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(f"no model named {name!r}; have {[m.name for m in self.models]}")

    def summary_json(self) -> dict[str, Any]:
        """The compact JSON of the CLI: secret_space_bits and per model the canaries' exposure."""
        return {
            "kind": self.kind,
            "secret_space_size": self.secret_space_size,
            "secret_space_bits": self.secret_space_bits,
            "method": self.method,
            "verdict": self.verdict,
            "models": [{"name": m.name, "epsilon": m.epsilon,
                        "achieved_epsilon": (m.privacy or {}).get("rdp_epsilon"),
                        "canaries": [{"repeats": c.repeats, "exposure": c.exposure, "rank": c.rank,
                                      "extracted": c.extracted} for c in m.canaries]}
                       for m in self.models],
            "seed": self.seed,
        }


def recoverable(canary: CanaryExposure) -> bool:
    """The secret can be read off the model: decoded verbatim, or the top-ranked candidate."""
    return bool(canary.extracted or canary.rank < 1.5)


def summarize(canaries: Sequence[CanaryExposure]) -> list[RepeatSummary]:
    out = []
    for r in sorted({c.repeats for c in canaries}):
        group = [c for c in canaries if c.repeats == r]
        exposures = np.array([c.exposure for c in group])
        out.append(RepeatSummary(repeats=r, canaries=len(group), mean_exposure=float(exposures.mean()),
                                 min_exposure=float(exposures.min()), max_exposure=float(exposures.max()),
                                 extracted=sum(c.extracted for c in group),
                                 recoverable=sum(recoverable(c) for c in group)))
    return out


def recoverable_from(model: ModelMemorization) -> Optional[int]:
    """The smallest insertion count from which at least half the canaries of that count and of every
    larger count are recoverable; None when no count qualifies."""
    inserted = [s for s in model.by_repeats if s.repeats > 0]
    threshold = None
    for s in reversed(inserted):
        if 2 * s.recoverable >= s.canaries:
            threshold = s.repeats
        else:
            break
    return threshold


def _times(r: int) -> str:
    return "once" if r == 1 else f"{r} times"


def _who(model: ModelMemorization) -> str:
    return "the non-private model" if not model.private else f"DP-SGD at epsilon {model.epsilon:g}"


def _partial(model: ModelMemorization) -> str | None:
    """'k of n planted secrets (seen r times)' when some but not a threshold's worth are recoverable."""
    inserted = [s for s in model.by_repeats if s.repeats > 0]
    hits = [s for s in inserted if s.recoverable]
    if not hits:
        return None
    k = sum(s.recoverable for s in hits)
    n = sum(s.canaries for s in inserted)
    seen = ", ".join(f"{s.recoverable} seen {_times(s.repeats)}" for s in hits)
    return f"{k} of {n} planted secrets ({seen}) " + ("is" if k == 1 else "are")


def _top(model: ModelMemorization) -> RepeatSummary | None:
    inserted = [s for s in model.by_repeats if s.repeats > 0]
    return max(inserted, key=lambda s: s.mean_exposure) if inserted else None


def _clause(model: ModelMemorization, bits: float, random_bits: float, *, base_threshold: int | None = None,
            short: bool = False) -> str:
    threshold = recoverable_from(model)
    who = _who(model)
    inserted = [s for s in model.by_repeats if s.repeats > 0]
    if not inserted:
        return f"{who}: no canary was inserted"
    if threshold is not None:
        s = next(x for x in inserted if x.repeats == threshold)
        more = "" if threshold == inserted[-1].repeats else " or more"
        if short and threshold == base_threshold:
            return f"at epsilon {model.epsilon:g} they still are (mean exposure {s.mean_exposure:.1f} bits)"
        if short:
            return (f"at epsilon {model.epsilon:g} secrets seen {_times(threshold)}{more} are "
                    f"(mean exposure {s.mean_exposure:.1f} bits)")
        return (f"secrets seen {_times(threshold)}{more} are recoverable from {who} "
                f"(mean exposure {s.mean_exposure:.1f} of {bits:.1f} bits)")
    top = _top(model)
    partial = _partial(model)
    detail = (f"highest mean exposure {top.mean_exposure:.1f} of {bits:.1f} bits, for secrets seen "
              f"{_times(top.repeats)}; a random guess scores {random_bits:.1f}")
    if short:
        if partial is None:
            return f"at epsilon {model.epsilon:g} none are ({detail})"
        return f"at epsilon {model.epsilon:g} only {partial} ({detail})"
    if partial is None:
        return f"no planted secret is recoverable from {who} ({detail})"
    return f"only {partial} recoverable from {who} ({detail})"


def make_verdict(models: Sequence[ModelMemorization], bits: float, random_bits: float) -> str:
    """One or two plain sentences, every number taken from the measured exposures.

    A secret is recoverable when decoding yields it verbatim or it ranks first among all candidates;
    "secrets seen r times are recoverable" means at least half the canaries of count r and of every
    larger count are.
    """
    if not models:
        return "No model was trained."
    base = next((m for m in models if not m.private), None)
    privates = [m for m in models if m.private]
    if base is not None and privates and recoverable_from(base) is not None:
        threshold = recoverable_from(base)
        parts = [_clause(base, bits, random_bits)]
        parts += [_clause(m, bits, random_bits, base_threshold=threshold, short=True) for m in privates]
    else:
        parts = [_clause(m, bits, random_bits) for m in models]
    text = "; ".join(parts)
    sentence = text[0].upper() + text[1:] + "."
    controls = [s for m in models for s in m.by_repeats if s.repeats == 0]
    if controls:
        mean_control = float(np.mean([s.mean_exposure for s in controls]))
        sentence += (f" Canaries never inserted average {mean_control:.1f} bits, "
                     f"against {random_bits:.1f} for a random rank.")
    size = round(2 ** bits)
    if size <= 64:
        sentence += f" With {size} possible values, a blind guess ranks the secret first 1 time in {size}."
    return sentence
