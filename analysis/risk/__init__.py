"""Re-identification risk of a table for a chosen set of quasi-identifiers.

`assess_risk(frame, quasi_identifiers, ...)` returns a `RiskReport`: equivalence classes (k, class-size
histogram, records below k, sample uniques), prosecutor / journalist / marketer risk as ARX reports
them, l-diversity and t-closeness per sensitive attribute, a population-uniqueness estimate when a
population size is given, and the riskiest quasi-identifier subsets. Definitions: `metrics.py`.
"""

from __future__ import annotations

import functools

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analysis.progress import ProgressCallback, report, scaled
from analysis.results import Result, package_versions

_versions = functools.lru_cache(maxsize=1)(package_versions)  # reading package metadata is slow
from analysis.risk import metrics
from analysis.risk.classes import class_ids, combine, encode_column, encode_columns
from analysis.risk.combinations import riskiest_combinations
from analysis.risk.loglinear import LOGLINEAR, fitted_log_counts
from analysis.risk.population import class_size_model, dankar_population_uniques
from analysis.risk.suggest import columns_of_kind, suggest_quasi_identifiers, suggest_sensitive

__all__ = ["assess_risk", "RiskReport", "AttackerRisk", "LDiversity", "TCloseness",
           "PopulationUniqueness", "record_class_sizes", "suggest_quasi_identifiers", "suggest_sensitive",
           "columns_of_kind"]


@dataclass(frozen=True)
class AttackerRisk(Result):
    """One attacker model. Shares and probabilities in [0, 1]; lower is better.

    records_at_risk_share: share of records whose re-identification probability exceeds the threshold.
    highest_risk: the largest re-identification probability of any record.
    average_risk: the success rate, i.e. the expected share of records re-identified.
    For the marketer model ARX reports only the success rate; the other two are None.
    """

    model: str
    records_at_risk_share: Optional[float]
    highest_risk: Optional[float]
    average_risk: float
    threshold: float
    population: str  # "sample (F = f)", "population size N=... (...)" or "population table (...)"
    assumptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class LDiversity(Result):
    attribute: str
    distinct_l: int            # fewest distinct sensitive values in any class
    entropy_l: float           # exp(smallest class entropy); >= l means entropy l-diversity holds
    homogeneous_classes: int   # classes with a single sensitive value (attribute disclosure)
    records_in_homogeneous_classes_share: float


@dataclass(frozen=True)
class TCloseness(Result):
    attribute: str
    t: float                   # largest EMD between a class's distribution and the table's
    average_distance: float    # record-weighted mean EMD
    ground_distance: str


@dataclass(frozen=True)
class PopulationUniqueness(Result):
    """Population uniqueness by the model Dankar et al.'s rule picks (see `population.py`)."""

    estimator: str                      # the model used, with its citation
    population_size: int
    sampling_fraction: float
    population_uniques_share: float     # estimated share of the sample's records unique in the population
    population_uniques: float           # estimated count of population uniques
    sample_unique_is_population_unique: float
    assumptions: tuple[str, ...]
    model: str = ""                     # "Pitman" | "Zayatz" | "SNB" | "none (no sample uniques)"
    decision: str = ""                  # why the rule picked it
    estimates: dict = field(default_factory=dict)  # every model run -> population uniques (None: failed)


@dataclass(frozen=True)
class RiskReport(Result):
    quasi_identifiers: list[str]
    sensitive: list[str]
    target_k: int
    risk_threshold: float
    population_size: Optional[int]
    rows: int
    classes: int
    k: int                              # smallest equivalence class
    records_below_k: int                # records in classes smaller than target_k
    share_below_k: float
    sample_uniques: int                 # records alone in their class
    sample_uniques_share: float
    average_class_size: float
    class_size_histogram: list[dict]
    risk_distribution: list[dict]
    prosecutor: AttackerRisk
    journalist: AttackerRisk
    marketer: AttackerRisk
    l_diversity: dict[str, LDiversity]
    t_closeness: dict[str, TCloseness]
    population_uniqueness: Optional[PopulationUniqueness]
    riskiest_combinations: list[dict]
    combinations_evaluated: int
    versions: dict = field(default_factory=lambda: dict(_versions()))

    @property
    def k_anonymous(self) -> bool:
        return self.k >= self.target_k


def _check(frame: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: Sequence[str], k: int,
           risk_threshold: float, population_size: Optional[int]) -> tuple[list[str], list[str]]:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) == 0:
        raise ValueError("frame has no rows; risk needs at least one record")
    if isinstance(quasi_identifiers, str):
        quasi_identifiers = [quasi_identifiers]
    if isinstance(sensitive, str):
        sensitive = [sensitive]
    qis, sens = [str(c) for c in quasi_identifiers], [str(c) for c in sensitive]
    if not qis:
        raise ValueError("quasi_identifiers is empty; choose at least one column")
    missing = [c for c in qis + sens if c not in frame.columns]
    if missing:
        raise ValueError(f"column(s) not in the table: {', '.join(missing)}")
    dup = [c for c in sens if c in qis]
    if dup:
        raise ValueError(f"column(s) {', '.join(dup)} cannot be both quasi-identifier and sensitive")
    if len(set(qis)) != len(qis):
        raise ValueError(f"quasi_identifiers has duplicates: {qis}")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if not 0.0 < float(risk_threshold) <= 1.0:
        raise ValueError(f"risk_threshold must be in (0, 1], got {risk_threshold!r}")
    if population_size is not None and population_size < len(frame):
        raise ValueError(f"population_size {population_size} is smaller than the table ({len(frame)} rows)")
    return qis, sens


def record_class_sizes(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> np.ndarray:
    """Size of each record's equivalence class (one integer per row, in row order)."""
    ids, sizes = class_ids(frame, list(quasi_identifiers))
    return sizes[ids]


def assess_risk(frame: pd.DataFrame, quasi_identifiers: list[str], *, sensitive: Sequence[str] = (),
                k: int = 5, risk_threshold: float = 0.2, population_size: Optional[int] = None,
                population: Optional[pd.DataFrame] = None, population_contains_sample: bool = True,
                max_combination_size: int = 3, max_combinations: int = 100,
                progress: Optional[ProgressCallback] = None) -> RiskReport:
    """Every risk metric for `frame` with these quasi-identifiers (see the module docstring).

    population_size: N of the population the table was sampled from. Population uniqueness is
    estimated (Pitman / Zayatz / SNB by Dankar et al.'s rule); journalist / marketer risk take each
    class's population size from its posterior given the sample size (`metrics.estimated_population_risk`)
    under a log-linear model of the quasi-identifiers (Skinner & Holmes 1998; Pitman / SNB with one).
    population: optionally the population table itself (journalist/marketer use its class sizes).
    population_contains_sample: whether `population` includes the sample's records (F = its count, as
    ARX assumes) or not (F = its count + the sample's).
    """
    qis, sens = _check(frame, quasi_identifiers, sensitive, k, risk_threshold, population_size)
    threshold = float(risk_threshold)
    report(progress, 0.0, "building equivalence classes")
    encoded = encode_columns(frame, qis)
    ids, sizes = combine([encoded[c] for c in qis])
    n = int(len(frame))
    report(progress, 0.3, "attacker-model risks")

    if population is not None:
        missing = [c for c in qis if c not in population.columns]
        if missing:
            raise ValueError(f"population table lacks quasi-identifier(s) {', '.join(missing)}")
        both = pd.concat([frame[qis], population[qis]], ignore_index=True)
        all_ids, _ = class_ids(both, qis)
        sample_class = np.zeros(len(sizes), dtype=np.int64)
        sample_class[ids] = all_ids[:n]
        pop_counts = np.bincount(all_ids[n:], minlength=int(all_ids.max()) + 1)[sample_class]
        if population_contains_sample:
            pop_sizes = np.maximum(pop_counts, sizes).astype(np.float64)
            source = "population table containing the sample (F = its count)"
        else:
            pop_sizes = (pop_counts + sizes).astype(np.float64)
            source = "population table without the sample (F = its count + the sample's)"
    else:
        pop_sizes = sizes.astype(np.float64)
        source = "sample (F = f)"

    pop_unique = None
    if population_size is not None:
        choice = dankar_population_uniques(sizes, int(population_size))
        pop_unique = _population_uniqueness(choice, sizes, int(population_size))
    if population_size is not None and population is None:
        # a log-linear model needs a cross-classification: with one quasi-identifier it is saturated
        log_expected, interactions, leverage = (fitted_log_counts([encoded[c] for c in qis], ids, sizes)
                                                if len(qis) >= 2 else (None, [], None))
        size_model = class_size_model(sizes, int(population_size), choice.population_uniques, log_expected,
                                      interactions, leverage)
        derived = metrics.estimated_population_risk(sizes, int(population_size), size_model, threshold,
                                                    log_expected)
        source = (f"population size N={population_size} (population uniques: {choice.model}, Dankar et al. rule; "
                  f"each class's F given f: {size_model.source})")
        assumptions = (metrics.LOGLINEAR_RISK_ASSUMPTIONS if size_model.kind == LOGLINEAR
                       else metrics.ESTIMATED_RISK_ASSUMPTIONS
                       + ((size_model.log_linear_rejected,) if size_model.log_linear_rejected else ()))
        journalist_figures, marketer_rate = derived["journalist"], derived["marketer"]
    else:
        assumptions = ((metrics.TABLE_CONTAINS_SAMPLE if population_contains_sample else metrics.TABLE_WITHOUT_SAMPLE),)\
            if population is not None else (metrics.SAMPLE_IS_POPULATION,)
        journalist_figures = metrics.attacker_summary(sizes, pop_sizes, threshold)
        marketer_rate = metrics.marketer_rate(sizes, pop_sizes)

    prosecutor = AttackerRisk(model="prosecutor", threshold=threshold, population="sample",
                              assumptions=(metrics.PROSECUTOR_ASSUMPTION,),
                              **metrics.attacker_summary(sizes, sizes, threshold))
    journalist = AttackerRisk(model="journalist", threshold=threshold, population=source, assumptions=assumptions,
                              **journalist_figures)
    marketer = AttackerRisk(model="marketer", threshold=threshold, population=source, assumptions=assumptions,
                            records_at_risk_share=None, highest_risk=None, average_risk=marketer_rate)

    report(progress, 0.45, "l-diversity and t-closeness")
    l_div, t_close = {}, {}
    for attr in sens:
        numeric = _is_numeric(frame[attr])
        codes = encode_column(frame[attr], sort=numeric)
        l_div[attr] = LDiversity(attribute=attr, **metrics.l_diversity(ids, sizes, codes))
        t_close[attr] = TCloseness(attribute=attr, **metrics.t_closeness(ids, sizes, codes, ordered=numeric))

    report(progress, 0.6, "riskiest quasi-identifier combinations")
    combos, evaluated = riskiest_combinations(encoded, max_size=min(max_combination_size, max(1, len(qis) - 1)),
                                              max_evaluations=max_combinations,
                                              progress=scaled(progress, 0.6, 0.99))
    below = sizes < k
    uniques = int((sizes == 1).sum())
    result = RiskReport(
        quasi_identifiers=qis, sensitive=sens, target_k=int(k), risk_threshold=threshold,
        population_size=None if population_size is None else int(population_size),
        rows=n, classes=int(len(sizes)), k=int(sizes.min()),
        records_below_k=int(sizes[below].sum()), share_below_k=float(sizes[below].sum() / n),
        sample_uniques=uniques, sample_uniques_share=uniques / n, average_class_size=n / len(sizes),
        class_size_histogram=metrics.class_size_histogram(sizes),
        risk_distribution=metrics.record_risk_distribution(sizes),
        prosecutor=prosecutor, journalist=journalist, marketer=marketer,
        l_diversity=l_div, t_closeness=t_close, population_uniqueness=pop_unique,
        riskiest_combinations=combos, combinations_evaluated=evaluated)
    report(progress, 1.0, "done")
    return result


_CITATIONS = {"Pitman": "Pitman model (Hoshino 2001)", "Zayatz": "Zayatz (1991)",
              "SNB": "slide negative binomial (Chen & McNulty 1998)"}


def _population_uniqueness(choice, sizes: np.ndarray, population_size: int) -> PopulationUniqueness:
    n = float(sizes.sum())
    fraction = n / population_size
    uniques = int((sizes == 1).sum())
    in_sample = min(choice.population_uniques * fraction, uniques)  # population uniques that were sampled
    name = _CITATIONS.get(choice.model, choice.model)
    return PopulationUniqueness(
        estimator=f"{name}, chosen by Dankar et al. (2012)", population_size=population_size,
        sampling_fraction=fraction, population_uniques_share=in_sample / n,
        population_uniques=float(choice.population_uniques),
        sample_unique_is_population_unique=in_sample / uniques if uniques else 0.0,
        assumptions=metrics.POPULATION_MODEL_ASSUMPTIONS, model=choice.model, decision=choice.reason,
        estimates=dict(choice.estimates))


def _is_numeric(series: pd.Series) -> bool:
    """Numeric attributes use the ordered ground distance in t-closeness."""
    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))
