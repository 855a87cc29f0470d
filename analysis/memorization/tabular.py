"""Canary records for the tabular model: does the classifier memorize a planted record's secret value?

The label column plays the sensitive attribute, its set of values is the secret space R. A canary
record is a feature combination that does not occur in the data (every non-numeric feature set to a
random value seen in its column, every numeric feature to a random value in its observed range),
carrying a label value drawn uniformly from R. Each canary is inserted `repeats` times; controls
are never inserted. After training (Keras MLP, non-private and DP-SGD), the candidates are ranked by
the model's probability for the canary's features:

    rank = number of values the model finds at least as probable as the secret (ties count ahead,
           see exposure.exact_rank),
    exposure = log2 |R| - log2 rank,  extracted = the most probable value is the secret.

With a binary label the largest possible exposure is 1 bit; a label with more values (for example a
health condition) gives a finer measure.
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import numpy as np
import pandas as pd

from analysis.memorization.canaries import validate_repeats
from analysis.memorization.exposure import EXACT, exact_rank, exposure_from_rank, random_rank_exposure
from analysis.memorization.result import (CanaryExposure, MemorizationResult, ModelMemorization, make_verdict,
                                          summarize)
from analysis.progress import ProgressCallback, report, scaled
from analysis.results import package_versions

MAX_SECRET_VALUES = 200


def make_canary_records(frame: pd.DataFrame, label: str, count: int, *, seed: int = 0) -> pd.DataFrame:
    """`count` synthetic rows with unseen feature combinations and a uniform random label value."""
    rng = np.random.default_rng([seed, 6106])
    features = frame.drop(columns=[label])
    values = np.array(sorted(frame[label].dropna().unique().tolist(), key=str), dtype=object)
    existing = set(map(tuple, features.astype(str).to_numpy().tolist()))
    columns: dict[str, list] = {}
    for col in features.columns:
        series = features[col].dropna()
        if len(series) == 0:
            columns[col] = [None] * count
        elif pd.api.types.is_bool_dtype(series):
            columns[col] = rng.choice([False, True], size=count).tolist()
        elif pd.api.types.is_numeric_dtype(series):
            low, high = float(series.min()), float(series.max())
            drawn = rng.uniform(low, high, size=count)
            if pd.api.types.is_integer_dtype(series):
                drawn = np.rint(drawn).astype(np.int64)
            columns[col] = drawn.tolist()
        else:
            observed = series.astype(str).unique()
            columns[col] = rng.choice(observed, size=count).tolist()
    canaries = pd.DataFrame(columns, columns=features.columns)
    for col in features.columns:  # keep the data's dtypes so preprocessing treats columns alike
        try:
            canaries[col] = canaries[col].astype(features[col].dtype)
        except (TypeError, ValueError):
            pass
    clash = canaries.astype(str).apply(tuple, axis=1).isin(existing)
    if clash.any():  # astronomically unlikely with a numeric column; say so rather than guess
        raise ValueError(f"{int(clash.sum())} canary record(s) repeat an existing feature combination")
    canaries[label] = rng.choice(values, size=count)
    canaries[label] = canaries[label].astype(frame[label].dtype)
    return canaries[list(frame.columns)]


def run_tabular_memorization(frame: pd.DataFrame, label: str, *, repeats: Sequence[int] = (1, 4, 16, 64),
                             canaries_per_repeat: int = 4, controls: int = 8, epsilon: Optional[float] = 3.0,
                             delta: Optional[float] = None, clip_norm: float = 1.0, epochs: int = 10,
                             batch_size: int = 256, learning_rate: float = 1e-3,
                             hidden: Sequence[int] = (64, 32), max_rows: Optional[int] = None, seed: int = 0,
                             progress: Optional[ProgressCallback] = None,
                             cancel: Optional[Callable[[], bool]] = None) -> MemorizationResult:
    """Exposure of canary records' label values in the tabular MLP, without and with DP-SGD.

    frame: the table (rows with a missing label are dropped); label: the column whose value is the
    secret (2 to 200 distinct values). Other options as in `run_text_memorization`.
    """
    from analysis.models.keras_tabular import KerasMLPRecipe
    from analysis.privacy.dp import DPConfig

    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if label not in frame.columns:
        raise ValueError(f"label column {label!r} is not in the table; "
                         f"it has {list(map(str, frame.columns))}")
    if frame.shape[1] < 2:
        raise ValueError("the table needs at least one feature column besides the label")
    repeats = validate_repeats(repeats)
    if epsilon is not None and not (isinstance(epsilon, (int, float)) and epsilon > 0
                                    and math.isfinite(epsilon)):
        raise ValueError(f"epsilon must be a positive number or None, got {epsilon!r}")
    if canaries_per_repeat < 1 or controls < 0:
        raise ValueError(f"canaries_per_repeat must be >= 1 and controls >= 0, got "
                         f"{canaries_per_repeat!r} and {controls!r}")
    data = frame[frame[label].notna()]
    if max_rows is not None:
        if max_rows < 20:
            raise ValueError(f"max_rows must be None or >= 20, got {max_rows!r}")
        if len(data) > max_rows:
            data = data.sample(n=int(max_rows), random_state=seed)
    n_values = int(data[label].nunique())
    if not 2 <= n_values <= MAX_SECRET_VALUES:
        raise ValueError(f"label column {label!r} has {n_values} distinct values; the secret space needs "
                         f"2 to {MAX_SECRET_VALUES}")

    counts = [0] * controls + [r for r in repeats for _ in range(canaries_per_repeat)]
    records = make_canary_records(data, label, len(counts), seed=seed)
    planted = records.loc[records.index.repeat(counts)]
    training = pd.concat([data, planted], ignore_index=True)
    training = training.sample(frac=1.0, random_state=seed).reset_index(drop=True)

    runs = [("non-private", None, None)]
    if epsilon is not None:
        runs.append((f"DP-SGD (epsilon {epsilon:g})", float(epsilon),
                     DPConfig(target_epsilon=float(epsilon), delta=delta, clip_norm=clip_norm)))
    models = []
    share = 1.0 / len(runs)
    for i, (name, eps, dp) in enumerate(runs):
        report(progress, i * share, f"training the {name} model")
        recipe = KerasMLPRecipe(hidden=tuple(hidden), epochs=epochs, batch_size=batch_size,
                                learning_rate=learning_rate, dp=dp)
        sub = scaled(progress, i * share, (i + 0.95) * share)
        model = recipe.fit(training.drop(columns=[label]), training[label].to_numpy(), seed=seed,
                           progress=None if sub is None else (lambda f, m, n=name, s=sub: s(f, f"{n}: {m}")),
                           cancel=cancel)
        measured = measure_records(model, records, label, counts)
        tr = model.training
        models.append(ModelMemorization(
            name=name, epsilon=eps, canaries=measured, by_repeats=summarize(measured),
            train_seconds=float(tr.seconds), final_loss=(tr.history.get("loss") or [None])[-1],
            privacy=tr.privacy.to_dict() if tr.privacy is not None else None))
    size = n_values
    bits = math.log2(size)
    random_bits = random_rank_exposure(size)
    settings = dict(label=label, rows=len(data), training_rows=len(training), repeats=list(repeats),
                    canaries_per_repeat=canaries_per_repeat, controls=controls, secret_space_size=size,
                    epsilon=epsilon, delta=delta, clip_norm=clip_norm, epochs=epochs, batch_size=batch_size,
                    learning_rate=learning_rate, hidden=list(hidden), max_rows=max_rows,
                    model="Keras MLP (analysis.models.keras_tabular)", privacy_unit="one row")
    report(progress, 1.0, "done")
    return MemorizationResult(kind="tabular", secret_space_size=size, secret_space_bits=bits,
                              random_rank_exposure=random_bits, method=EXACT, models=models,
                              verdict=make_verdict(models, bits, random_bits), settings=settings,
                              seed=int(seed), versions=package_versions())


def measure_records(model, records: pd.DataFrame, label: str, counts: Sequence[int]) -> list[CanaryExposure]:
    """Rank of each canary's label value among all label values by the model's probability."""
    proba = model.predict_proba(records.drop(columns=[label]))
    classes = [str(c) for c in model.classes_.tolist()]
    lookup = {c: i for i, c in enumerate(classes)}
    out = []
    for row, (value, r) in enumerate(zip(records[label].tolist(), counts)):
        p = proba[row]
        j = lookup[str(value)]
        rank = exact_rank(-p, -p[j])
        top = bool(np.argmax(p) == j)
        out.append(CanaryExposure(repeats=int(r), exposure=exposure_from_rank(rank, len(classes)),
                                  rank=float(rank),
                                  method=EXACT, extracted=top, greedy_extracted=top, beam_extracted=top,
                                  log_perplexity=float(-np.log2(max(p[j], 1e-30)))))
    return out
