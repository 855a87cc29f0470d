"""Anonymity of a released table by GDPR's three criteria (Article 29 WP Opinion 05/2014): singling
out, linkability and inference, each measured as an attack's success on the released people against
the same attack on a control set of people held out from the release (Giomi et al. 2023, "A Unified
Framework for Quantifying Privacy Risk in Synthetic Data", the method of the `anonymeter` package).

Why not `anonymeter` itself: anonymeter 1.1.0 requires pyarrow < 22 (the lock pins 24.0.0) and pulls
numba, llvmlite and polars; the definitions below are anonymeter's, implemented on numpy/pandas:
- singling out: queries built from the RELEASED table that match exactly one released row -
  univariate (one column equal to a value unique in the release, or a number at or beyond its
  extreme) and multivariate (`n_cols` random columns of a random released row: equal for
  categories, at-least / at-most for numbers above / below the median). Success: the query matches exactly one row of the
  original (training) records; control: exactly one row of the control records;
- linkability: the attacker holds two halves of a person's columns (`columns_a`, `columns_b`); for a
  target, the nearest released row on each half (Gower distance: |x - y| / range for numbers, 0/1 for
  categories); success when both halves point to the same released row;
- inference: the attacker knows every column but `secret`; the guess is the secret of the nearest
  released row; success when it equals the target's (numbers: within 5%).
Each rate is a Wilson score estimate with its 95% error (anonymeter's `success_rate`); the risk is the
residual success (attack - control) / (1 - control), the error propagated to first order and the
interval clipped to [0, 1] (anonymeter's `residual_success`). A naive baseline (random queries / random
guesses) is reported beside; a risk is trustworthy only when the attack beats it.

Comparing a raw and an anonymized release: generalization changes values (an age becomes "30-39"),
so the original and control records go through the plan's column operators (no suppression) before
matching; the released anonymized table is the plan with suppression. The raw release is the
training rows themselves (its singling-out risk is near 1 by construction: every unique row is one
person). Messages and results carry counts and column names, never a cell value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.results import Result

DEFAULT_ATTACKS = 500
CONFIDENCE = 0.95
MULTIVARIATE_COLUMNS = 3
NUMERIC_TOLERANCE = 0.05
MAX_ATTEMPTS_PER_QUERY = 40   # multivariate query attempts per requested attack (anonymeter's max_attempts)
_MISSING = "\x00missing"


@dataclass(frozen=True)
class Risk(Result):
    """One criterion's risk with its 95% interval, and the rates behind it."""

    risk: float
    ci_low: float
    ci_high: float
    attack_rate: float
    control_rate: float
    baseline_rate: float
    attacks: int
    successes: int
    control_successes: int
    baseline_successes: int
    trustworthy: bool          # the attack beat the naive baseline (else anonymeter says: cannot be trusted)


@dataclass(frozen=True)
class AnonymityRisks(Result):
    """GDPR's three criteria for one released table (`release` names it: raw or anonymized)."""

    release: str
    singling_out: Risk                       # the larger of the univariate and multivariate risks
    singling_out_univariate: Risk
    singling_out_multivariate: Risk
    linkability: Risk
    inference: Risk
    secret: str
    columns_a: list[str]
    columns_b: list[str]
    n_released: int
    n_original: int
    n_control: int
    settings: dict = field(default_factory=dict)

    def headline(self) -> dict[str, dict[str, float]]:
        """The three criteria as {name: {risk, ci_low, ci_high}} (the comparison's JSON keys)."""
        return {name: {"risk": r.risk, "ci_low": r.ci_low, "ci_high": r.ci_high}
                for name, r in (("singling_out", self.singling_out), ("linkability", self.linkability),
                                ("inference", self.inference))}


# --------------------------------------------------------------------------------------------
# Rates and risks (anonymeter.stats.confidence)


def success_rate(n_total: int, n_success: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score estimate of a success rate and its symmetric error at `confidence`."""
    if n_total <= 0:
        return 0.0, 1.0
    z = float(norm.ppf(0.5 * (1.0 + confidence)))
    z2 = z * z
    denominator = n_total + z2
    rate = (n_success + 0.5 * z2) / denominator
    error = (z / denominator) * math.sqrt(n_success * (n_total - n_success) / n_total + 0.25 * z2)
    return rate, error


def residual_risk(n_attacks: int, successes: int, control: int, baseline: int,
                  confidence: float = CONFIDENCE) -> Risk:
    """(attack - control) / (1 - control) with the propagated error, clipped to [0, 1]."""
    attack_rate, attack_err = success_rate(n_attacks, successes, confidence)
    control_rate, control_err = success_rate(n_attacks, control, confidence)
    baseline_rate, _ = success_rate(n_attacks, baseline, confidence)
    margin = max(1.0 - control_rate, 1e-12)
    value = (attack_rate - control_rate) / margin
    error = math.sqrt((attack_err / margin) ** 2 + (control_err * (attack_rate - 1.0) / margin ** 2) ** 2)
    clip = lambda x: min(max(x, 0.0), 1.0)  # noqa: E731
    return Risk(risk=clip(value), ci_low=clip(value - error), ci_high=clip(value + error),
                attack_rate=attack_rate, control_rate=control_rate, baseline_rate=baseline_rate,
                attacks=int(n_attacks), successes=int(successes), control_successes=int(control),
                baseline_successes=int(baseline), trustworthy=bool(attack_rate > baseline_rate))


# --------------------------------------------------------------------------------------------
# The public entry point


def table_anonymity(original: pd.DataFrame, control: pd.DataFrame, *, plan=None, secret: Optional[str] = None,
                    n_attacks: int = DEFAULT_ATTACKS, seed: int = 0, release: Optional[str] = None,
                    secret_key: Optional[bytes] = None) -> AnonymityRisks:
    """Singling out, linkability and inference risks of releasing `original` (raw, or anonymized with
    `plan`, an analysis.anonymize.Plan), measured against `control` (same columns, people not released).

    secret: the column an attacker infers (default: the last column). n_attacks: queries / targets per
    attack (more: narrower intervals, slower).
    """
    if list(original.columns) != list(control.columns):
        raise ValueError("original and control must have the same columns, in the same order")
    if n_attacks < 10:
        raise ValueError(f"n_attacks must be at least 10, got {n_attacks}")
    if len(original) < 10 or len(control) < 10:
        raise ValueError(f"need at least 10 original and 10 control rows, got {len(original)} and {len(control)}")
    secret = secret if secret is not None else str(original.columns[-1])
    if secret_key is None:  # keyed operators (pseudonymize) need a key; this one lives in this evaluation only
        import hashlib

        secret_key = hashlib.sha256(f"privacy-audit anonymity {seed}".encode()).digest()
    if secret not in original.columns:
        raise ValueError(f"secret column {secret!r} is not in the table")
    released, ori, ctl = _spaces(original, control, plan, secret_key)
    cols = [c for c in released.columns if c in ori.columns]
    if secret not in cols:
        raise ValueError(f"the plan drops the secret column {secret!r}")
    released, ori, ctl = released[cols], ori[cols], ctl[cols]
    rng = np.random.default_rng([seed, 5, 14])
    numeric = {c: pd.api.types.is_numeric_dtype(released[c]) and pd.api.types.is_numeric_dtype(ori[c])
               and not pd.api.types.is_bool_dtype(released[c]) for c in cols}
    enc = _Encoded(released, ori, ctl, numeric)
    uni = _singling_out(enc, cols, n_attacks, rng, univariate=True)
    multi = _singling_out(enc, cols, n_attacks, rng, univariate=False)
    aux = [c for c in cols if c != secret]
    order = [aux[i] for i in rng.permutation(len(aux))]
    columns_a, columns_b = sorted(order[: len(order) // 2], key=cols.index), sorted(order[len(order) // 2:], key=cols.index)
    link = _linkability(enc, columns_a, columns_b, n_attacks, rng)
    infer = _inference(enc, aux, secret, n_attacks, rng)
    return AnonymityRisks(
        release=release or ("anonymized" if plan is not None else "raw"),
        singling_out=max(uni, multi, key=lambda r: r.risk), singling_out_univariate=uni,
        singling_out_multivariate=multi, linkability=link, inference=infer, secret=secret,
        columns_a=columns_a, columns_b=columns_b, n_released=len(released), n_original=len(ori), n_control=len(ctl),
        settings={"n_attacks": int(n_attacks), "confidence": CONFIDENCE, "multivariate_columns": MULTIVARIATE_COLUMNS,
                  "numeric_tolerance": NUMERIC_TOLERANCE, "seed": int(seed),
                  "method": "anonymeter's definitions (Giomi et al. 2023), implemented here"})


def _spaces(original, control, plan, secret_key: bytes):
    """(released, original, control) in one value space (see the module doc)."""
    if plan is None:
        return original.reset_index(drop=True), original.reset_index(drop=True), control.reset_index(drop=True)
    from analysis.anonymize import Plan, apply_plan

    released = apply_plan(original, plan, secret=secret_key).frame
    per_row = Plan(dict(plan.columns), None, plan.description)
    return (released.reset_index(drop=True), apply_plan(original, per_row, secret=secret_key).frame.reset_index(drop=True),
            apply_plan(control, per_row, secret=secret_key).frame.reset_index(drop=True))


class _Encoded:
    """Every column as codes shared by the three tables (categories) or floats (numbers)."""

    def __init__(self, released, ori, ctl, numeric):
        self.n = {"released": len(released), "ori": len(ori), "control": len(ctl)}
        self.numeric = numeric
        self.values: dict[str, dict[str, np.ndarray]] = {"released": {}, "ori": {}, "control": {}}
        self.ranges: dict[str, float] = {}
        for col, is_num in numeric.items():
            frames = {"released": released[col], "ori": ori[col], "control": ctl[col]}
            if is_num:
                for name, s in frames.items():
                    self.values[name][col] = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
                joined = np.concatenate([v[col] for v in self.values.values()])
                finite = joined[np.isfinite(joined)]
                self.ranges[col] = float(finite.max() - finite.min()) if finite.size else 1.0
            else:
                texts = {name: s.astype(object).where(s.notna(), _MISSING).astype(str).to_numpy()
                         for name, s in frames.items()}
                codes, _ = pd.factorize(np.concatenate(list(texts.values())))
                start = 0
                for name, t in texts.items():
                    self.values[name][col] = codes[start:start + len(t)]
                    start += len(t)

    def column(self, table: str, col: str) -> np.ndarray:
        return self.values[table][col]


def _matches(enc: _Encoded, table: str, query: list[tuple[str, str, float]]) -> int:
    mask = np.ones(enc.n[table], dtype=bool)
    for col, op, value in query:
        v = enc.column(table, col)
        mask &= (v == value) if op == "==" else (v <= value) if op == "<=" else (v >= value)
    return int(mask.sum())


def _singling_out(enc: _Encoded, cols: Sequence[str], n_attacks: int, rng, *, univariate: bool) -> Risk:
    queries: list[list[tuple[str, str, float]]] = []
    if univariate:
        candidates = []
        for col in cols:
            v = enc.column("released", col)
            if enc.numeric[col]:
                finite = v[np.isfinite(v)]
                if finite.size:
                    candidates += [[(col, "<=", float(finite.min()))], [(col, ">=", float(finite.max()))]]
                v = v[np.isfinite(v)]
            values, counts = np.unique(v, return_counts=True)
            candidates += [[(col, "==", val)] for val in values[counts == 1]]
        candidates = [q for q in candidates if _matches(enc, "released", q) == 1]
        if len(candidates) > n_attacks:
            candidates = [candidates[i] for i in rng.choice(len(candidates), size=n_attacks, replace=False)]
        queries = candidates
    else:
        width = min(MULTIVARIATE_COLUMNS, len(cols))
        medians = {c: float(np.nanmedian(enc.column("released", c))) for c in cols if enc.numeric[c]}
        seen = set()
        for _ in range(n_attacks * MAX_ATTEMPTS_PER_QUERY):
            if len(queries) >= n_attacks:
                break
            row = int(rng.integers(enc.n["released"]))
            chosen = [cols[i] for i in sorted(rng.choice(len(cols), size=width, replace=False))]
            query = []
            for col in chosen:
                value = enc.column("released", col)[row]
                if enc.numeric[col]:
                    if not np.isfinite(value):
                        break
                    # anonymeter: towards the extreme the value lies on, to single out more often
                    query.append((col, ">=" if value > medians[col] else "<=", float(value)))
                else:
                    query.append((col, "==", value))
            key = tuple(query)
            if len(query) == width and key not in seen and _matches(enc, "released", query) == 1:
                seen.add(key)
                queries.append(query)
    success = sum(_matches(enc, "ori", q) == 1 for q in queries)
    control = sum(_matches(enc, "control", q) == 1 for q in queries)
    baseline = sum(_matches(enc, "ori", q) == 1 for q in _random_queries(enc, cols, len(queries), rng, univariate))
    return residual_risk(n_attacks, success, control, baseline)


def _random_queries(enc: _Encoded, cols, count: int, rng, univariate: bool):
    """The naive attacker: random values of random columns, not chosen to be unique."""
    out = []
    width = 1 if univariate else min(MULTIVARIATE_COLUMNS, len(cols))
    for _ in range(count):
        query = []
        for col in [cols[i] for i in rng.choice(len(cols), size=width, replace=False)]:
            v = enc.column("released", col)
            value = v[int(rng.integers(len(v)))]
            if enc.numeric[col]:
                value = float(value) if np.isfinite(value) else 0.0
            query.append((col, "==", value))
        out.append(query)
    return out


def _nearest(enc: _Encoded, table: str, targets: np.ndarray, cols: Sequence[str]) -> np.ndarray:
    """Index of the nearest released row to each target row of `table` on `cols` (Gower distance)."""
    out = np.empty(len(targets), dtype=np.int64)
    chunk = max(1, 2_000_000 // max(1, enc.n["released"]))
    for start in range(0, len(targets), chunk):
        rows = targets[start:start + chunk]
        dist = np.zeros((len(rows), enc.n["released"]))
        for col in cols:
            rel = enc.column("released", col)
            tgt = enc.column(table, col)[rows]
            if enc.numeric[col]:
                d = np.abs(tgt[:, None] - rel[None, :]) / (enc.ranges[col] or 1.0)
                dist += np.where(np.isfinite(d), np.minimum(d, 1.0), 1.0)
            else:
                dist += tgt[:, None] != rel[None, :]
        out[start:start + chunk] = np.argmin(dist, axis=1)
    return out


def _targets(enc: _Encoded, table: str, n_attacks: int, rng) -> np.ndarray:
    n = enc.n[table]
    return rng.choice(n, size=min(n_attacks, n), replace=False)


def _linkability(enc: _Encoded, columns_a, columns_b, n_attacks: int, rng) -> Risk:
    counts = {}
    for table in ("ori", "control"):
        targets = _targets(enc, table, n_attacks, rng)
        counts[table] = int((_nearest(enc, table, targets, columns_a) == _nearest(enc, table, targets, columns_b)).sum())
    baseline = int((rng.integers(enc.n["released"], size=n_attacks) == rng.integers(enc.n["released"], size=n_attacks)).sum())
    return residual_risk(n_attacks, counts["ori"], counts["control"], baseline)


def _inference(enc: _Encoded, aux, secret: str, n_attacks: int, rng) -> Risk:
    released = enc.column("released", secret)

    def correct(guess: np.ndarray, truth: np.ndarray) -> int:
        if enc.numeric[secret]:
            return int((np.abs(guess - truth) <= NUMERIC_TOLERANCE * np.maximum(np.abs(truth), 1e-12)).sum())
        return int((guess == truth).sum())

    counts = {}
    for table in ("ori", "control"):
        targets = _targets(enc, table, n_attacks, rng)
        counts[table] = correct(released[_nearest(enc, table, targets, aux)], enc.column(table, secret)[targets])
    targets = _targets(enc, "ori", n_attacks, rng)
    baseline = correct(released[rng.integers(len(released), size=len(targets))], enc.column("ori", secret)[targets])
    return residual_risk(n_attacks, counts["ori"], counts["control"], baseline)


def release_anonymity(frame: pd.DataFrame, plan, *, secret: Optional[str] = None, n_attacks: int = DEFAULT_ATTACKS,
                      seed: int = 0, secret_key: Optional[bytes] = None, max_rows: int = 20_000
                      ) -> tuple[AnonymityRisks, AnonymityRisks]:
    """(raw, anonymized) risks of releasing a table, the Anonymize page's view: a seeded half of the rows
    (at most `max_rows`) plays the released people, the other half the control set (never released)."""
    rows = frame.reset_index(drop=True)
    if len(rows) > max_rows:
        rows = rows.sample(n=max_rows, random_state=seed).reset_index(drop=True)
    order = np.random.default_rng([seed, 2014]).permutation(len(rows))
    half = len(rows) // 2
    released, control = rows.iloc[np.sort(order[:half])], rows.iloc[np.sort(order[half:])]
    raw = table_anonymity(released, control, secret=secret, n_attacks=n_attacks, seed=seed, release="raw")
    anonymized = table_anonymity(released, control, plan=plan, secret=secret, n_attacks=n_attacks, seed=seed,
                                 release="anonymized", secret_key=secret_key)
    return raw, anonymized


def risk_rows(*tables: AnonymityRisks) -> list[dict]:
    """One row per table and criterion, for pages and reports."""
    out = []
    for risks in tables:
        for name in ("singling_out_univariate", "singling_out_multivariate", "linkability", "inference"):
            r = getattr(risks, name)
            out.append({"table": risks.release, "criterion": name.replace("_", " "), "risk": r.risk,
                        "95% low": r.ci_low, "95% high": r.ci_high, "attack rate": r.attack_rate,
                        "control rate": r.control_rate, "beats baseline": r.trustworthy})
    return out
