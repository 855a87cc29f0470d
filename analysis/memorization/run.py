"""Orchestration of the text memorization test: plant, train twice (non-private and DP-SGD), measure.

`run_text_memorization(texts, ...)`:
1. draws canaries (seeded): `canaries_per_repeat` for each insertion count in `repeats`, plus
   `controls` never inserted; inserts each canary line `repeats` times among the texts;
2. trains the fixed-context character model on the texts with the canaries, once without DP and, if
   `epsilon` is given, once with DP-SGD calibrated to that epsilon (same layers, data, seed, optimizer);
3. for every canary in every model: exposure (exact rank over all of R, or a skew-normal estimate from
   a sample of candidates), and whether greedy or beam decoding from the canary prefix yields the secret.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Sequence

import numpy as np
import pandas as pd

from analysis.memorization.canaries import (SecretSpace, format_example, insert_canaries, make_canaries,
                                            validate_repeats)
from analysis.memorization.exposure import (EXACT, SKEW_NORMAL, exact_exposure, random_rank_exposure,
                                            skew_normal_exposure)
from analysis.memorization.result import (CanaryExposure, MemorizationResult, ModelMemorization,
                                          make_verdict, summarize)
from analysis.progress import ProgressCallback, report, scaled
from analysis.results import package_versions

DEFAULT_REPEATS = (1, 4, 16, 64)
METHODS = ("auto", EXACT, SKEW_NORMAL)
NON_PRIVATE = "non-private"


def dp_model_name(epsilon: float) -> str:
    return f"DP-SGD (epsilon {epsilon:g})"


def resolve_method(method: str, space_size: int, exact_limit: int) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "auto":
        return EXACT if space_size <= exact_limit else SKEW_NORMAL
    return method


def run_text_memorization(texts: pd.Series, *, repeats: Sequence[int] = DEFAULT_REPEATS,
                          canaries_per_repeat: int = 3, controls: int = 4,
                          secret_space_size: int = 10**4, epsilon: Optional[float] = 3.0,
                          delta: Optional[float] = None, clip_norm: float = 1.0,
                          epochs: int = 2, batch_size: int = 256, learning_rate: float = 3e-3,
                          context: int = 24, embedding_dim: int = 16, hidden_units: int = 128,
                          max_rows: Optional[int] = None, method: str = "auto", exact_limit: int = 10**5,
                          sample_size: int = 2000, beam_width: int = 5, seed: int = 0,
                          progress: Optional[ProgressCallback] = None,
                          cancel: Optional[Callable[[], bool]] = None) -> MemorizationResult:
    """Exposure of planted canaries in a character model trained on `texts`, without and with DP.

    texts: one document per row (missing rows are dropped); at least 20 non-empty rows.
    repeats: insertion counts (positive, distinct); secret_space_size: |R| (secrets have
        len(str(|R|-1)) digits); epsilon: DP-SGD target (None trains only the non-private model).
    max_rows: train on a seeded sample of this many rows (None = all).
    method: "auto" scores every candidate when |R| <= exact_limit, else a skew-normal estimate from
        `sample_size` random candidates; "exact" or "skew-normal" force one.
    The privacy unit of DP-SGD here is one (context window, next character) example.
    """
    from analysis.memorization.text_model import build_vocabulary, train_char_lm
    from analysis.privacy.dp import DPConfig

    if not isinstance(texts, pd.Series):
        raise ValueError(f"texts must be a pandas Series of strings, got {type(texts).__name__}")
    repeats = validate_repeats(repeats)
    space = SecretSpace(secret_space_size)
    if epsilon is not None and not (isinstance(epsilon, (int, float)) and epsilon > 0
                                    and math.isfinite(epsilon)):
        raise ValueError(f"epsilon must be a positive number or None, got {epsilon!r}")
    for name, value, low in (("epochs", epochs, 1), ("batch_size", batch_size, 1), ("context", context, 4),
                             ("embedding_dim", embedding_dim, 1), ("hidden_units", hidden_units, 1),
                             ("sample_size", sample_size, 20), ("beam_width", beam_width, 1),
                             ("canaries_per_repeat", canaries_per_repeat, 1), ("controls", controls, 0)):
        if not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if max_rows is not None and (not isinstance(max_rows, (int, np.integer)) or max_rows < 20):
        raise ValueError(f"max_rows must be None or an integer >= 20, got {max_rows!r}")
    chosen = resolve_method(method, space.size, exact_limit)

    docs = texts.dropna().astype(str)
    docs = docs[docs.str.strip() != ""]
    if len(docs) < 20:
        raise ValueError(f"the text column has {len(docs)} non-empty rows; at least 20 are needed")
    if max_rows is not None and len(docs) > max_rows:
        docs = docs.sample(n=int(max_rows), random_state=seed)
    base_texts = docs.tolist()

    canaries = make_canaries(space, repeats, per_repeat=canaries_per_repeat, controls=controls, seed=seed)
    training_texts = insert_canaries(base_texts, canaries, space, seed=seed)
    vocab = build_vocabulary(training_texts)

    runs: list[tuple[str, Optional[float], Any]] = [(NON_PRIVATE, None, None)]
    if epsilon is not None:
        runs.append((dp_model_name(epsilon), float(epsilon),
                     DPConfig(target_epsilon=float(epsilon), delta=delta, clip_norm=clip_norm)))
    models: list[ModelMemorization] = []
    share = 1.0 / len(runs)
    for i, (name, eps, dp) in enumerate(runs):
        start = i * share
        train_progress = scaled(progress, start, start + 0.9 * share)
        report(progress, start, f"training the {name} model")
        lm, training = train_char_lm(
            training_texts, context=context, embedding_dim=embedding_dim, hidden_units=hidden_units,
            epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, dp=dp, seed=seed,
            vocab=vocab, progress=_prefixed(train_progress, name), cancel=cancel)
        report(progress, start + 0.9 * share, f"{name}: measuring exposure of {len(canaries)} canaries")
        measured = [measure_text_canary(lm, c, space, method=chosen, sample_size=sample_size,
                                        beam_width=beam_width, seed=seed) for c in canaries]
        privacy = training.privacy.to_dict() if training.privacy is not None else None
        losses = training.history.get("loss") or [None]
        models.append(ModelMemorization(name=name, epsilon=eps, canaries=measured,
                                        by_repeats=summarize(measured),
                                        train_seconds=float(training.seconds), final_loss=losses[-1],
                                        privacy=privacy))
    random_bits = random_rank_exposure(space.size)
    settings = dict(texts_rows=len(base_texts), training_rows=len(training_texts), repeats=list(repeats),
                    canaries_per_repeat=canaries_per_repeat, controls=controls,
                    secret_space_size=int(space.size), secret_digits=space.digits,
                    canary_format=format_example(space), epsilon=epsilon, delta=delta, clip_norm=clip_norm,
                    epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, context=context,
                    embedding_dim=embedding_dim, hidden_units=hidden_units, max_rows=max_rows, method=chosen,
                    exact_limit=exact_limit, sample_size=sample_size, beam_width=beam_width,
                    model="character LM: Embedding -> Flatten -> Dense(relu) -> Dense(softmax)",
                    privacy_unit="one (context window, next character) training example",
                    vocabulary_size=vocab.size)
    report(progress, 1.0, "done")
    return MemorizationResult(kind="text", secret_space_size=int(space.size), secret_space_bits=space.bits,
                              random_rank_exposure=random_bits, method=chosen, models=models,
                              verdict=make_verdict(models, space.bits, random_bits), settings=settings,
                              seed=int(seed), versions=package_versions())


def measure_text_canary(lm, canary, space: SecretSpace, *, method: str, sample_size: int = 2000,
                        beam_width: int = 5, seed: int = 0) -> CanaryExposure:
    """Exposure and extraction of one canary under one character model."""
    secret_score = float(lm.score_values(canary.prefix, np.array([canary.secret]), space)[0])
    if method == EXACT:
        scores = lm.score_all(canary.prefix, space)
        estimate = exact_exposure(scores, scores[canary.secret])
        secret_score = float(scores[canary.secret])
    else:
        rng = np.random.default_rng([seed, 6008, canary.index])
        sample = rng.integers(0, space.size, size=sample_size)
        sample_scores = lm.score_values(canary.prefix, sample, space)
        estimate = skew_normal_exposure(sample_scores, secret_score, space.size)
    truth = space.format(canary.secret)
    greedy = lm.beam_decode(canary.prefix, space, width=1) == truth
    beam = lm.beam_decode(canary.prefix, space, width=beam_width) == truth if beam_width > 1 else greedy
    return CanaryExposure(repeats=canary.repeats, exposure=estimate.exposure, rank=estimate.rank,
                          method=estimate.method, extracted=bool(greedy or beam),
                          greedy_extracted=bool(greedy),
                          beam_extracted=bool(beam), log_perplexity=secret_score)


def _prefixed(progress: Optional[ProgressCallback], name: str) -> Optional[ProgressCallback]:
    if progress is None:
        return None
    return lambda fraction, message: progress(fraction, f"{name}: {message}")
