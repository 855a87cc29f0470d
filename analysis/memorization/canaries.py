"""Canaries for text models: a seeded secret space, a fixed format, insertion into a text column.

A canary is one line `"my pin for <tag> is <secret>."`: `<tag>` is four random lowercase letters that
make each canary's prefix unique, `<secret>` a number drawn uniformly from the secret space
R = {0, ..., size-1}, written with a fixed number of digits. Canaries are synthetic: no value of the
user's data is ever a secret, so results may name ranks and exposures freely.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from typing import Sequence

import numpy as np

PREFIX_TEMPLATE = "my pin for {tag} is "
SUFFIX = "."
TAG_LENGTH = 4
MIN_SPACE = 10
MAX_SPACE = 10**9


@dataclass(frozen=True)
class SecretSpace:
    """R = {0, ..., size-1}, each secret written as `digits` decimal digits (zero-padded)."""

    size: int

    def __post_init__(self) -> None:
        if not isinstance(self.size, (int, np.integer)) or not MIN_SPACE <= int(self.size) <= MAX_SPACE:
            raise ValueError(f"secret_space_size must be an integer in [{MIN_SPACE}, {MAX_SPACE}], "
                             f"got {self.size!r}")

    @property
    def digits(self) -> int:
        return len(str(int(self.size) - 1))

    @property
    def bits(self) -> float:
        """log2 |R|: the largest exposure a canary can have."""
        return math.log2(int(self.size))

    def format(self, value: int) -> str:
        return str(int(value)).zfill(self.digits)

    def parse(self, text: str) -> int | None:
        """The value a decoded digit string stands for, or None if it is not in R."""
        if len(text) != self.digits or not text.isdigit():
            return None
        value = int(text)
        return value if value < self.size else None


@dataclass(frozen=True)
class Canary:
    """One planted secret. `repeats` = 0 marks a control canary, never put in the training data."""

    index: int
    repeats: int
    tag: str
    secret: int

    @property
    def prefix(self) -> str:
        return PREFIX_TEMPLATE.format(tag=self.tag)

    def text(self, space: SecretSpace) -> str:
        return self.prefix + space.format(self.secret) + SUFFIX


def format_example(space: SecretSpace) -> str:
    """What a canary looks like, with the secret masked (for settings and docs)."""
    return PREFIX_TEMPLATE.format(tag="x" * TAG_LENGTH) + "#" * space.digits + SUFFIX


def make_canaries(space: SecretSpace, repeats: Sequence[int], *, per_repeat: int = 1, controls: int = 0,
                  seed: int = 0) -> list[Canary]:
    """`per_repeat` canaries for each insertion count in `repeats`, plus `controls` never inserted.

    Tags are distinct; secrets are independent uniform draws from R (seeded).
    """
    repeats = validate_repeats(repeats)
    if per_repeat < 1:
        raise ValueError(f"per_repeat must be at least 1, got {per_repeat!r}")
    if controls < 0:
        raise ValueError(f"controls must be 0 or more, got {controls!r}")
    rng = np.random.default_rng([seed, 6006])
    counts = [0] * controls + [r for r in repeats for _ in range(per_repeat)]
    tags: list[str] = []
    seen: set[str] = set()
    letters = np.array(list(string.ascii_lowercase))
    while len(tags) < len(counts):
        tag = "".join(rng.choice(letters, size=TAG_LENGTH))
        if tag not in seen:
            seen.add(tag)
            tags.append(tag)
    secrets = rng.integers(0, int(space.size), size=len(counts))
    return [Canary(index=i, repeats=int(r), tag=t, secret=int(s))
            for i, (r, t, s) in enumerate(zip(counts, tags, secrets))]


def insert_canaries(texts: Sequence[str], canaries: Sequence[Canary], space: SecretSpace, *,
                    seed: int = 0) -> list[str]:
    """The texts plus each canary line repeated `repeats` times, at seeded random positions."""
    lines = list(texts)
    for canary in canaries:
        lines.extend([canary.text(space)] * canary.repeats)
    order = np.random.default_rng([seed, 6007]).permutation(len(lines))
    return [lines[i] for i in order]


def validate_repeats(repeats: Sequence[int]) -> tuple[int, ...]:
    try:
        values = tuple(int(r) for r in repeats)
    except (TypeError, ValueError):
        raise ValueError(f"repeats must be positive integers, got {repeats!r}") from None
    if not values or any(r < 1 for r in values) or any(r != float(x) for r, x in zip(values, repeats)):
        raise ValueError(f"repeats must be positive integers, got {list(repeats)!r}")
    if len(set(values)) != len(values):
        raise ValueError(f"repeats must not contain duplicates, got {list(values)!r}")
    return tuple(sorted(values))
