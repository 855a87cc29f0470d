"""A small fixed-context character language model, and the scores the exposure test needs.

Model: the previous `context` characters -> Embedding -> Flatten -> Dense(relu) -> Dense(softmax) over
the vocabulary. No recurrent layers, so the same layers train under tensorflow-privacy's DPSequential
with fast gradient clipping. One training example is one (context window, next character) pair.

Scores are log-perplexities in bits: -sum log2 p(secret digit | context) over the secret's digits,
given the canary's prefix. Lower means the model finds the candidate more likely.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

from analysis.memorization.canaries import SecretSpace

PAD, END, UNK = 0, 1, 2
_RESERVED = 3
_PREDICT_BATCH = 8192


@dataclass(frozen=True)
class Vocabulary:
    """Characters -> ids. 0 pads the left of a context, 1 ends a text, 2 stands for unseen characters."""

    chars: str

    @property
    def size(self) -> int:
        return _RESERVED + len(self.chars)

    @property
    def _lookup(self) -> dict[str, int]:
        return {c: i + _RESERVED for i, c in enumerate(self.chars)}

    def encode(self, text: str) -> np.ndarray:
        lookup = self._lookup
        return np.fromiter((lookup.get(c, UNK) for c in text), dtype=np.int32, count=len(text))

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.chars[i - _RESERVED] if i >= _RESERVED else "" for i in ids)


def build_vocabulary(texts: Sequence[str]) -> Vocabulary:
    """Every character in the texts, plus the digits (the secrets are digit strings)."""
    chars: set[str] = set(string.digits)
    for text in texts:
        chars.update(text)
    return Vocabulary("".join(sorted(chars)))


def make_windows(texts: Sequence[str], vocab: Vocabulary, context: int) -> tuple[np.ndarray, np.ndarray]:
    """Training pairs: x int32 (n_windows, context), y int32 (n_windows,), one per character + END."""
    from numpy.lib.stride_tricks import sliding_window_view

    xs, ys = [], []
    pad = np.full(context, PAD, dtype=np.int32)
    for text in texts:
        ids = vocab.encode(text)
        padded = np.concatenate([pad, ids])
        xs.append(sliding_window_view(padded, context))  # len(ids) + 1 windows
        ys.append(np.concatenate([ids, [END]]).astype(np.int32))
    return np.ascontiguousarray(np.concatenate(xs)), np.concatenate(ys)


def char_lm_layers(vocab_size: int, context: int, *, embedding_dim: int = 16,
                   hidden_units: int = 256) -> Callable[[], list]:
    """A `layers_fn` for `fit_keras`: fresh layers on each call (fit_keras adds the Input layer)."""

    def layers_fn() -> list:
        import tensorflow as tf

        return [
            tf.keras.layers.Embedding(vocab_size, embedding_dim),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(hidden_units, activation="relu"),
            tf.keras.layers.Dense(vocab_size, activation="softmax"),
        ]

    return layers_fn


@dataclass
class CharLM:
    """A trained character model plus what scoring needs (vocabulary, context length)."""

    model: Any = field(repr=False)
    vocab: Vocabulary
    context: int

    # ---- raw predictions
    def next_log2_probs(self, contexts: np.ndarray) -> np.ndarray:
        """log2 p(next char | context) for each row of `contexts` (n, context) -> (n, vocab)."""
        out = []
        for start in range(0, len(contexts), _PREDICT_BATCH):
            chunk = contexts[start:start + _PREDICT_BATCH]
            probs = np.asarray(self.model(chunk, training=False), dtype=np.float64)
            out.append(np.log2(np.maximum(probs, 1e-30)))
        return np.concatenate(out) if out else np.zeros((0, self.vocab.size))

    def _prefix_ids(self, prefix: str) -> np.ndarray:
        return np.concatenate([np.full(self.context, PAD, dtype=np.int32), self.vocab.encode(prefix)])

    def _digit_ids(self) -> np.ndarray:
        return self.vocab.encode(string.digits)

    # ---- scoring candidates
    def score_values(self, prefix: str, values: np.ndarray, space: SecretSpace) -> np.ndarray:
        """Log-perplexity (bits) of each candidate value written in the secret format after `prefix`."""
        values = np.asarray(values, dtype=np.int64)
        d = space.digits
        digits = (values[:, None] // (10 ** np.arange(d - 1, -1, -1))[None, :]) % 10  # (n, d)
        digit_ids = self._digit_ids()[digits]
        base = self._prefix_ids(prefix)
        full = np.concatenate([np.tile(base, (len(values), 1)), digit_ids], axis=1)
        total = np.zeros(len(values))
        length = len(base)
        for k in range(d):
            contexts = full[:, length + k - self.context:length + k]
            logp = self.next_log2_probs(contexts)
            total -= logp[np.arange(len(values)), digit_ids[:, k]]
        return total

    def score_all(self, prefix: str, space: SecretSpace) -> np.ndarray:
        """Log-perplexity (bits) of every value in R, index = value; walks the digit tree level by level
        (sum over levels of 10^k model calls instead of d * |R|)."""
        d = space.digits
        digit_ids = self._digit_ids()
        base = self._prefix_ids(prefix)
        # prefixes at level k: all 10^k digit strings, in numeric order
        paths = np.zeros((1, 0), dtype=np.int32)
        cumulative = np.zeros(1)
        for k in range(d):
            n = len(paths)
            full = np.concatenate([np.tile(base, (n, 1)), digit_ids[paths]], axis=1) if k else base[None, :]
            contexts = full[:, full.shape[1] - self.context:]
            logp = self.next_log2_probs(contexts)[:, digit_ids]  # (n, 10)
            cumulative = (cumulative[:, None] - logp).reshape(-1)
            if k + 1 < d:
                paths = np.concatenate([np.repeat(paths, 10, axis=0),
                                        np.tile(np.arange(10, dtype=np.int32), n)[:, None]], axis=1)
        return cumulative[: int(space.size)]

    # ---- extraction
    def beam_decode(self, prefix: str, space: SecretSpace, *, width: int = 1) -> str:
        """The most likely digit string of the secret's length after `prefix`, by beam search
        (width 1 = greedy decoding). Decoding is restricted to digits, the secret format."""
        if width < 1:
            raise ValueError(f"beam width must be at least 1, got {width!r}")
        digit_ids = self._digit_ids()
        base = self._prefix_ids(prefix)
        beams = [(0.0, [])]  # (log-perplexity so far, digit indices)
        for _ in range(space.digits):
            contexts = np.stack([np.concatenate([base, digit_ids[np.array(p, dtype=np.int64)]])
                                 [-self.context:] for _, p in beams])
            logp = self.next_log2_probs(contexts)[:, digit_ids]
            candidates = [(score - logp[b, j], path + [j]) for b, (score, path) in enumerate(beams)
                          for j in range(10)]
            candidates.sort(key=lambda c: c[0])
            beams = candidates[:width]
        return "".join(str(j) for j in beams[0][1])


def train_char_lm(texts: Sequence[str], *, context: int, embedding_dim: int, hidden_units: int,
                  epochs: int, batch_size: int, learning_rate: float, dp: Any, seed: int,
                  vocab: Optional[Vocabulary] = None, progress=None, cancel=None) -> tuple[CharLM, Any]:
    """Train the character model on `texts` through the shared `fit_keras` (DP when `dp` is given).

    Returns the model wrapper and the training result (history, privacy accounting, seconds).
    """
    from analysis.privacy.training import fit_keras

    vocab = vocab or build_vocabulary(texts)
    x, y = make_windows(texts, vocab, context)
    layers_fn = char_lm_layers(vocab.size, context, embedding_dim=embedding_dim, hidden_units=hidden_units)
    result = fit_keras(layers_fn, x, y, loss="sparse_categorical_crossentropy", dp=dp, epochs=epochs,
                       batch_size=batch_size, learning_rate=learning_rate, seed=seed,
                       progress=progress, cancel=cancel)
    return CharLM(result.model, vocab, context), result
