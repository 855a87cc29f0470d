"""The most exposed people of a comparison: privacy is about the most exposed record, not the average.

From per-record attack scores of every run (one seed, one members / non-members split):
- per-record p-values: RMIA's score is the share of population records a record dominates, so under
  "not a member" it is about uniform and p = 1 - score (at least 1 / population); LiRA offline's score
  is a z-score against the record's OUT distribution, p = P[Z >= z]. For each run, the share of members
  whose p-value is below 1%, beside the same share among non-members (what chance gives, about 1%);
- the top members by exposure on the reference run (the non-private one when it ran; smallest p-value,
  ties by score) and, for each, its p-value under every protection (the same person in every run);
- each described only by its quasi-identifier group (numbers in decile bands, categories by value;
  when fewer than `MIN_SHOWN` members share the combination, its rarest values are withheld until the
  shown part describes at least `MIN_SHOWN` members), the size of the full group
  among the members, and the columns that make it stand out (a category shared by < 1% of the
  members, a number beyond the 1st / 99th percentile) - never a cell of an identifier column
  (`analysis.pii.masking.columns_to_mask`, the one masking rule) and never a raw number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.results import Result

TOP = 10
P_THRESHOLD = 0.01
MIN_SHOWN = 5          # a category is shown only when this many member rows share it
RARE_SHARE = 0.01
P_VALUE_ATTACKS = ("rmia_offline", "lira_offline")


@dataclass(frozen=True)
class RunExposure(Result):
    """One run's per-record p-value summary."""

    run: str
    strategy: str
    attack: str                            # the attack whose p-values are used (RMIA offline first)
    members_below: dict[str, float]        # attack -> share of members with p < 1%
    non_members_below: dict[str, float]    # attack -> the same among non-members (chance, ~1%)


@dataclass(frozen=True)
class ExposedPerson(Result):
    """One of the most exposed members, described without identifying values."""

    rank: int
    group: dict[str, str]                  # quasi-identifier -> band / value / "(rare value)"
    group_size: int                        # members sharing that group
    stands_out: list[str]                  # why it is unusual, column by column (no values)
    p_values: dict[str, float]             # run name -> p-value of this person under that run
    scores: dict[str, float]               # run name -> the attack score


@dataclass(frozen=True)
class ExposureReport(Result):
    """The comparison's most exposed records (first seed) and the p-value shares of every run."""

    reference_run: str
    attack: str
    quasi_identifiers: list[str]
    hidden_columns: list[str]              # identifier-like columns never described
    people: list[ExposedPerson]
    runs: list[RunExposure]
    seed: int
    note: str = ""

    def share_table(self) -> list[dict]:
        return [{"protection": r.run, "attack": r.attack,
                 "members with p < 1%": r.members_below.get(r.attack),
                 "non-members with p < 1% (chance)": r.non_members_below.get(r.attack)} for r in self.runs]


def p_values(name: str, scores: np.ndarray, settings: Optional[dict] = None) -> Optional[np.ndarray]:
    """Per-record p-values of a calibrated attack's scores (None for an uncalibrated one)."""
    scores = np.asarray(scores, dtype=float)
    if name.startswith("rmia"):
        population = max(1, int((settings or {}).get("population_size", 1)))
        return np.clip(1.0 - np.floor(scores * population) / population, 1.0 / population, 1.0)
    if name == "lira_offline":
        return norm.sf(scores)
    return None


def run_exposure(run_name: str, strategy: str, scored: dict, is_member: np.ndarray) -> Optional[RunExposure]:
    """scored: attack name -> (scores, settings) for the audited records (members first)."""
    members = np.asarray(is_member, dtype=bool)
    below, below_non = {}, {}
    for name in P_VALUE_ATTACKS:
        if name not in scored:
            continue
        p = p_values(name, *scored[name])
        below[name] = float(np.mean(p[members] < P_THRESHOLD))
        below_non[name] = float(np.mean(p[~members] < P_THRESHOLD))
    if not below:
        return None
    return RunExposure(run=run_name, strategy=strategy, attack=next(iter(below)), members_below=below,
                       non_members_below=below_non)


def most_exposed(members: pd.DataFrame, label: str, runs: Sequence[tuple[str, str, dict]], *,
                 quasi_identifiers: Optional[Sequence[str]] = None, top: int = TOP, seed: int = 0) -> Optional[ExposureReport]:
    """runs: (run name, strategy, {attack: (scores, settings)}) of ONE seed, scores over members then
    non-members. The reference run is the first non-private one ("none"), else the first."""
    from analysis.pii.masking import columns_to_mask

    usable = [r for r in runs if any(a in r[2] for a in P_VALUE_ATTACKS)]
    if not usable:
        return None
    reference = next((r for r in usable if r[1] == "none"), usable[0])
    attack = next(a for a in P_VALUE_ATTACKS if a in reference[2])
    n = len(members)
    is_member = np.zeros(len(next(iter(reference[2].values()))[0]), dtype=bool)
    is_member[:n] = True
    summaries = [s for s in (run_exposure(name, strategy, scored, is_member) for name, strategy, scored in runs) if s]
    ref_scores, ref_settings = reference[2][attack]
    ref_p = p_values(attack, ref_scores, ref_settings)[:n]
    order = np.lexsort((-np.asarray(ref_scores)[:n], ref_p))[:top]
    features = members.drop(columns=[label])
    hidden = columns_to_mask(features)
    qis = [c for c in (quasi_identifiers or _default_qis(features, hidden)) if c in features.columns and c not in hidden]
    people = []
    for rank, row in enumerate(order, start=1):
        p_by_run, s_by_run = {}, {}
        for name, _, scored in runs:
            a = attack if attack in scored else next((x for x in P_VALUE_ATTACKS if x in scored), None)
            if a is None:
                continue
            scores, settings = scored[a]
            p_by_run[name] = float(p_values(a, scores, settings)[row])
            s_by_run[name] = float(scores[row])
        group, size = _group(features, qis, int(row))
        people.append(ExposedPerson(rank=rank, group=group, group_size=size,
                                    stands_out=_stands_out(features, int(row), hidden), p_values=p_by_run,
                                    scores=s_by_run))
    return ExposureReport(reference_run=reference[0], attack=attack, quasi_identifiers=qis, hidden_columns=hidden,
                          people=people, runs=summaries, seed=int(seed),
                          note=f"p-values of {attack} (RMIA: 1 - score; LiRA offline: Gaussian tail); a share of "
                               "members with p < 1% near the non-members' share is chance.")


def _default_qis(features: pd.DataFrame, hidden: list[str]) -> list[str]:
    from analysis.risk.suggest import suggest_quasi_identifiers

    return [c for c in suggest_quasi_identifiers(features) if c not in hidden]


def _band_ids(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(band index per row, -1 when missing; the decile edges) of a numeric column."""
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.full(len(values), -1), np.array([0.0])
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, 11)))
    ids = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, max(len(edges) - 2, 0))
    return np.where(np.isfinite(values), ids, -1), edges


def _group(features: pd.DataFrame, qis: list[str], row: int) -> tuple[dict[str, str], int]:
    """The record's quasi-identifier group (bands and common values) and its size among the members. A
    combination shared by fewer than MIN_SHOWN members would single the person out, so its rarest values
    are withheld until what is shown describes at least MIN_SHOWN members."""
    shown, masks = {}, {}
    for col in qis:
        series = features[col]
        value = series.iloc[row]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            ids, edges = _band_ids(series)
            masks[col] = ids == ids[row]
            i = int(ids[row])
            shown[col] = "(missing)" if i < 0 else f"{edges[i]:g}–{edges[min(i + 1, len(edges) - 1)]:g} (decile band)"
        else:
            masks[col] = (series.astype(str) == str(value)).to_numpy() if pd.notna(value) else series.isna().to_numpy()
            shown[col] = str(value) if pd.notna(value) else "(missing)"
    size = int(np.all(np.vstack(list(masks.values())), axis=0).sum()) if masks else len(features)
    kept = list(qis)
    while kept and int(np.all(np.vstack([masks[c] for c in kept]), axis=0).sum()) < MIN_SHOWN:
        rarest = min(kept, key=lambda c: int(masks[c].sum()))
        shown[rarest] = "(withheld: rare combination)"
        kept.remove(rarest)
    return {c: shown[c] for c in qis}, size


def _stands_out(features: pd.DataFrame, row: int, hidden: list[str]) -> list[str]:
    out = []
    for col in features.columns:
        if col in hidden:
            continue
        series = features[col]
        value = series.iloc[row]
        if pd.isna(value):
            share = float(series.isna().mean())
            if share < RARE_SHARE:
                out.append(f"{col}: missing, like {share:.1%} of members")
            continue
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            low, high = np.nanquantile(series.astype(float), [0.01, 0.99])
            if value > high and high < series.max():
                out.append(f"{col}: above the 99th percentile")
            elif value < low and low > series.min():
                out.append(f"{col}: below the 1st percentile")
        else:
            share = float((series.astype(str) == str(value)).mean())
            if share < RARE_SHARE:
                out.append(f"{col}: a value shared by {share:.2%} of members")
    return out
