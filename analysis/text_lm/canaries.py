"""Canaries for language models: a kit of lines to add to the training text and the secrets to keep,
and each canary's exposure (Carlini et al., "The Secret Sharer") read back from a trained model.

Lines reuse the memorization page's format ("my pin for <tag> is <digits>."); the canary file
(`canaries.json`) keeps each canary's prefix, secret, suffix and insertion count. Exposure ranks the
true secret among every value of the secret space (or a uniform sample with the skew-normal estimate
when the space is larger than `max_exact`) by the log-likelihood of the whole line under the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from analysis.memorization.canaries import SecretSpace, make_canaries
from analysis.memorization.exposure import exact_exposure, random_rank_exposure, skew_normal_exposure
from analysis.models.gate import ModelLoadError
from analysis.results import Result

KIT_KIND = "privacy-audit text canaries"
MAX_CANARY_FILE_BYTES = 1_000_000
MAX_CANARIES = 200
MAX_EXACT = 10_000
SAMPLE = 2_000


@dataclass(frozen=True)
class TextCanary(Result):
    prefix: str
    secret: str
    suffix: str
    repeats: int

    @property
    def text(self) -> str:
        return self.prefix + self.secret + self.suffix


@dataclass(frozen=True)
class CanaryKit(Result):
    secret_space_size: int
    canaries: list[TextCanary]

    def lines(self) -> list[str]:
        """The lines to add to the training text: each canary `repeats` times (controls never)."""
        return [c.text for c in self.canaries for _ in range(c.repeats)]

    def to_json_text(self) -> str:
        return json.dumps({"kind": KIT_KIND, **self.to_dict()}, indent=2) + "\n"


@dataclass(frozen=True)
class CanaryExposureResult(Result):
    """repeats: insertions in the training text (0 = a control); exposure in bits (0 .. log2 |R|)."""

    repeats: int
    exposure: float
    rank: float
    method: str


@dataclass(frozen=True)
class TextCanaryResult(Result):
    secret_space_size: int
    secret_space_bits: float
    random_rank_exposure: float
    canaries: list[CanaryExposureResult]

    def mean_exposure(self, repeats: int) -> float:
        values = [c.exposure for c in self.canaries if c.repeats == repeats]
        return float(np.mean(values)) if values else float("nan")


def make_kit(repeats: Sequence[int] = (1, 4, 16), *, per_repeat: int = 2, controls: int = 1,
             secret_space_size: int = 10_000, seed: int = 0) -> CanaryKit:
    space = SecretSpace(int(secret_space_size))
    made = make_canaries(space, repeats, per_repeat=per_repeat, controls=controls, seed=seed)
    return CanaryKit(secret_space_size=space.size,
                     canaries=[TextCanary(prefix=c.prefix, secret=space.format(c.secret), suffix=".",
                                          repeats=c.repeats) for c in made])


def read_kit(data: bytes, name: str) -> CanaryKit:
    """A canary file written by `make_kit` (CLI `text canaries` / `text train`), checked field by field."""
    if len(data) > MAX_CANARY_FILE_BYTES:
        raise ModelLoadError(f"'{name}' is over {MAX_CANARY_FILE_BYTES:,} bytes; not a canary file.")
    try:
        spec = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelLoadError(f"'{name}' is not JSON text; expected the canaries.json the kit wrote.") from None
    if not isinstance(spec, dict) or spec.get("kind") != KIT_KIND:
        raise ModelLoadError(f"'{name}' is not a canary file (its \"kind\" is not {KIT_KIND!r}).")
    try:
        space = SecretSpace(int(spec["secret_space_size"]))
        items = spec["canaries"]
        if not isinstance(items, list) or not 0 < len(items) <= MAX_CANARIES:
            raise ValueError
        canaries = [TextCanary(prefix=str(c["prefix"])[:200], secret=str(c["secret"]), suffix=str(c["suffix"])[:20],
                               repeats=int(c["repeats"])) for c in items]
    except (KeyError, TypeError, ValueError):
        raise ModelLoadError(f"'{name}': a canary file needs secret_space_size (10 .. 10^9) and 1 .. "
                             f"{MAX_CANARIES} canaries, each with prefix, secret, suffix and repeats.") from None
    for c in canaries:
        if space.parse(c.secret) is None or c.repeats < 0:
            raise ModelLoadError(f"'{name}': a secret is not a {space.digits}-digit value of the secret space, "
                                 "or repeats is negative.")
    return CanaryKit(secret_space_size=space.size, canaries=canaries)


def canary_exposure(lm, kit: CanaryKit, *, max_exact: int = MAX_EXACT, seed: int = 0,
                    progress=None) -> TextCanaryResult:
    """Each canary's exposure under `lm` (a `LanguageModel`)."""
    from analysis.progress import report

    space = SecretSpace(kit.secret_space_size)
    exact = space.size <= max_exact
    rng = np.random.default_rng([seed, 2324])
    out = []
    for i, canary in enumerate(kit.canaries):
        values = np.arange(space.size) if exact else rng.integers(0, space.size, size=SAMPLE)
        lines = [canary.prefix + space.format(v) + canary.suffix for v in values]
        scores = -lm.log_likelihood(lines)  # log-perplexity in nats: the rank does not depend on the unit
        secret_score = float(-lm.log_likelihood([canary.text])[0])
        estimate = (exact_exposure(scores, secret_score) if exact
                    else skew_normal_exposure(scores, secret_score, space.size))
        out.append(CanaryExposureResult(repeats=canary.repeats, exposure=float(estimate.exposure),
                                        rank=float(estimate.rank), method=estimate.method))
        report(progress, (i + 1) / len(kit.canaries), f"canary {i + 1}/{len(kit.canaries)}")
    return TextCanaryResult(secret_space_size=space.size, secret_space_bits=space.bits,
                            random_rank_exposure=random_rank_exposure(space.size), canaries=out)
