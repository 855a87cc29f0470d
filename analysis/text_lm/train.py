"""Train a small causal language model on a text column, without or with DP-SGD, and export it.

The model is a windowed token model (Bengio et al. 2003): the previous `context` BPE tokens ->
Embedding -> Flatten -> Dense(relu) -> Dense(softmax). Why not a transformer: tensorflow-privacy's fast
clipping covers Embedding and Dense (and MultiHeadAttention only as a layer of a functional model, where
the causal mask and positions need custom layers it does not register), our `fit_keras` trains
Sequential models, and this model exports to ONNX in a dozen standard nodes (`export`). One training
example is one (window, next token) pair, so DP-SGD protects each pair; a document of k tokens is a
group of k examples (the per-document guarantee is group privacy, weaker than the epsilon shown).

The rows are deduplicated and split at random into members (trained on) and non-members (held out);
canary lines from a kit are added to the members' training text only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

from analysis.progress import report, scaled
from analysis.results import Result
from analysis.text_lm.canaries import CanaryKit, make_kit
from analysis.text_lm.export import window_lm_to_onnx
from analysis.text_lm.tokenizer import PAD, train_bpe

MIN_DOCUMENTS = 20


@dataclass(frozen=True)
class TrainSettings(Result):
    vocab_size: int = 1000
    context: int = 16
    embedding_dim: int = 32
    hidden_units: int = 256
    epochs: int = 8
    batch_size: int = 256
    learning_rate: float = 0.003
    max_length: int = 128
    member_fraction: float = 0.5
    max_rows: Optional[int] = None


@dataclass(frozen=True)
class TrainedTextLM(Result):
    """A trained model as the files `text train` writes, plus how it was trained."""

    model_onnx: bytes = field(repr=False)
    tokenizer_json: str = field(repr=False)
    members: list[str] = field(repr=False)
    non_members: list[str] = field(repr=False)
    canaries: Optional[CanaryKit]
    epsilon: Optional[float]
    privacy: Optional[dict[str, Any]]
    seconds: float
    epoch_seconds: list[float]
    final_loss: float
    n_examples: int
    settings: TrainSettings
    seed: int

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        for key in ("model_onnx", "tokenizer_json", "members", "non_members"):
            data.pop(key, None)
        return data


def split_pool(texts: Sequence[str], *, member_fraction: float, seed: int,
               max_rows: Optional[int] = None) -> tuple[list[str], list[str]]:
    """Distinct non-empty texts, shuffled (seeded) and cut into members and non-members."""
    pool = list(dict.fromkeys(str(t).strip() for t in texts if isinstance(t, str) and str(t).strip()))
    order = np.random.default_rng([seed, 2325]).permutation(len(pool))
    if max_rows:
        order = order[:int(max_rows)]
    if len(order) < MIN_DOCUMENTS:
        raise ValueError(f"need at least {MIN_DOCUMENTS} distinct non-empty texts, got {len(order)}")
    cut = int(round(len(order) * member_fraction))
    return [pool[i] for i in order[:cut]], [pool[i] for i in order[cut:]]


def make_examples(rows: Sequence[Sequence[int]], context: int, pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(window of the previous `context` ids, next id) for every position after the first of each row."""
    from numpy.lib.stride_tricks import sliding_window_view

    xs, ys = [], []
    for ids in rows:
        ids = np.asarray(ids, dtype=np.int32)
        if len(ids) < 2:
            continue
        padded = np.concatenate([np.full(context - 1, pad_id, dtype=np.int32), ids[:-1]])
        xs.append(sliding_window_view(padded, context))
        ys.append(ids[1:])
    return np.ascontiguousarray(np.concatenate(xs)), np.concatenate(ys).astype(np.int32)


def window_layers(vocab: int, settings: TrainSettings) -> Callable[[], list]:
    def layers_fn() -> list:
        import tensorflow as tf

        return [tf.keras.layers.Embedding(vocab, settings.embedding_dim),
                tf.keras.layers.Flatten(),
                tf.keras.layers.Dense(settings.hidden_units, activation="relu"),
                tf.keras.layers.Dense(vocab, activation="softmax")]

    return layers_fn


def train_text_lm(texts: Sequence[str], *, epsilon: Optional[float] = None, delta: Optional[float] = None,
                  canary_repeats: Optional[Sequence[int]] = (1, 4, 16), canaries_per_repeat: int = 2,
                  secret_space_size: int = 10_000, settings: TrainSettings = TrainSettings(), seed: int = 0,
                  split: Optional[tuple[list[str], list[str]]] = None, kit: Optional[CanaryKit] = None,
                  progress=None, cancel: Optional[Callable[[], bool]] = None) -> TrainedTextLM:
    """Train on a random half of `texts` (plus canary lines), DP-SGD at `epsilon` when given.

    `split` reuses a members / non-members split (to train a DP twin on the same documents); `kit`
    reuses a canary kit. The tokenizer is trained on the training text (members and canary lines).
    """
    from tokenizers import Tokenizer

    from analysis.privacy.dp import DPConfig
    from analysis.privacy.training import fit_keras

    members, non_members = split or split_pool(texts, member_fraction=settings.member_fraction, seed=seed,
                                               max_rows=settings.max_rows)
    if kit is None and canary_repeats:
        kit = make_kit(canary_repeats, per_repeat=canaries_per_repeat, secret_space_size=secret_space_size,
                       seed=seed)
    training_text = members + (kit.lines() if kit else [])
    order = np.random.default_rng([seed, 2326]).permutation(len(training_text))
    training_text = [training_text[i] for i in order]
    report(progress, 0.02, "training the tokenizer")
    tokenizer_json = train_bpe(training_text, vocab_size=settings.vocab_size)
    tokenizer = Tokenizer.from_str(tokenizer_json)
    pad_id = tokenizer.token_to_id(PAD)
    rows = [e.ids[:settings.max_length] for e in tokenizer.encode_batch(training_text)]
    x, y = make_examples(rows, settings.context, pad_id)
    vocab = tokenizer.get_vocab_size()
    dp = None
    if epsilon is not None:
        options = {"target_epsilon": float(epsilon)}
        if delta is not None:
            options["delta"] = float(delta)
        dp = DPConfig(**options)
    start = time.perf_counter()
    fitted = fit_keras(window_layers(vocab, settings), x, y, loss="sparse_categorical_crossentropy", dp=dp,
                       epochs=settings.epochs, batch_size=settings.batch_size,
                       learning_rate=settings.learning_rate, seed=seed, progress=scaled(progress, 0.05, 0.95),
                       cancel=cancel)
    layers = [layer for layer in fitted.model.layers if layer.weights]
    (embedding,), (w1, b1), (w2, b2) = [layer.get_weights() for layer in layers]
    onnx_bytes = window_lm_to_onnx(embedding, w1, b1, w2, b2, context=settings.context, pad_id=pad_id,
                                   max_length=settings.max_length)
    report(progress, 1.0, "exported to ONNX")
    return TrainedTextLM(model_onnx=onnx_bytes, tokenizer_json=tokenizer_json, members=members,
                         non_members=non_members, canaries=kit, epsilon=epsilon,
                         privacy=fitted.privacy.to_dict() if fitted.privacy is not None else None,
                         seconds=time.perf_counter() - start, epoch_seconds=list(fitted.epoch_seconds),
                         final_loss=float(fitted.history["loss"][-1]), n_examples=int(len(x)),
                         settings=settings, seed=int(seed))
