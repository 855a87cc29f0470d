"""The withdrawal check: is a model still trained on the records whose consent was withdrawn?

When someone withdraws consent, a model trained on their record should be retrained without it (or
unlearned). The verdict comes from a test calibrated per record when the model's recipe is known
(`attacks.retrained`): K models retrained on the members alone (never seeing a withdrawn record) score
each withdrawn record, and the model's mean confidence on the withdrawn records is compared with theirs
(a one-sided t prediction test, p below alpha = 0.01 gives "still in training", otherwise "no evidence at
this test's power"). People who withdraw are not a random sample, and this test does not need them to
be: each record is judged against models that never saw that record. Its assumption (the members are
the model's training set apart from the withdrawn rows, and the recipe is the model's) is in the result.

Without a recipe (an uploaded model file) the verdict falls back to the group test, which assumes the
withdrawn records look like the non-members: the attack that best separates members from non-members
(`attacks.metrics.strongest`, preferring the calibrated variants) scores all three groups, and a
one-sided Mann-Whitney U test (scipy) asks whether withdrawn records score higher than non-members.

Either way the result also reports, from that attack:
- the share of withdrawn records above the non-members' 1%-FPR threshold (members: the attack's TPR);
- power: the smallest AUC (the common-language effect size, P(withdrawn outscores a non-member)) the
  group test detects with 80% power at these sample sizes, from the normal approximation of U under the
  null (variance n1 n2 (n1 + n2 + 1) / 12). If the members themselves do not reach it, the model barely
  tells its members apart and no membership test can say much.

The attack is chosen on members vs non-members and the withdrawn records play no part in that choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.attacks.audit import expand_attacks, score_records
from analysis.attacks.metrics import membership_metrics, strongest
from analysis.attacks.retrained import ASSUMPTION as RETRAINED_ASSUMPTION
from analysis.attacks.retrained import compare_with_retrained
from analysis.attacks.scores import AuditData
from analysis.models.base import FittedModel, ModelRecipe
from analysis.progress import ProgressCallback, report, scaled
from analysis.results import Result, package_versions

ALPHA = 0.01
POWER = 0.8
THRESHOLD_FPR = 0.01
CALIBRATED = ("loss_per_class", "confidence_per_class", "lira_offline", "lira_online", "rmia_offline",
              "rmia_online")
STILL_IN_TRAINING = "still in training"
NO_EVIDENCE = "no evidence at this test's power"
RETRAINED_TEST = "withdrawn records vs models retrained on the members without them (one-sided t, per record)"
GROUP_TEST = "Mann-Whitney U, one-sided (withdrawn > non-members)"
GROUP_ASSUMPTION = ("No recipe for the model, so the withdrawn records are compared with the non-members as a "
                    "group: the test's level holds only if people who withdraw look like the non-members to the "
                    "attack (a different group, e.g. long-standing customers, can be flagged without being in "
                    "training).")


@dataclass(frozen=True)
class WithdrawalCheck(Result):
    """The withdrawal check's numbers and verdict (no record values)."""

    rows: int
    n_members: int
    n_non_members: int
    attack: str
    test: str                  # which test gave the verdict (RETRAINED_TEST, or GROUP_TEST without a recipe)
    p_value: float             # the verdict's p-value
    assumptions: tuple
    retrained_models: int      # reference models retrained on the members (0: group test)
    confidence_gap: Optional[float]          # target's mean phi on the withdrawn minus the retrained models'
    records_above_all_retrained: Optional[float]
    group_p_value: float       # Mann-Whitney, withdrawn vs non-members on the attack's scores
    auc: float
    share_above_threshold: float
    members_share_above_threshold: float
    members_auc: float
    members_p_value: float
    minimum_detectable_auc: float
    alpha: float
    still_in_training: bool
    test_can_tell: bool
    verdict: str
    power_note: str
    settings: dict
    seed: int
    versions: dict = field(default_factory=package_versions)


def minimum_detectable_auc(n_withdrawn: int, n_non_members: int, *, alpha: float = ALPHA,
                           power: float = POWER) -> float:
    """The AUC a one-sided Mann-Whitney test at `alpha` detects with probability `power` (normal
    approximation, null variance of U / (n1 n2))."""
    sd = np.sqrt((n_withdrawn + n_non_members + 1) / (12.0 * n_withdrawn * n_non_members))
    return float(min(1.0, 0.5 + (stats.norm.ppf(1 - alpha) + stats.norm.ppf(power)) * sd))


def _one_sided(higher: np.ndarray, lower: np.ndarray) -> tuple[float, float]:
    """(p-value, AUC) of 'higher scores above lower' (Mann-Whitney U, ties count one half)."""
    test = stats.mannwhitneyu(higher, lower, alternative="greater")
    return float(test.pvalue), float(test.statistic / (len(higher) * len(lower)))


def _power_note(check: dict) -> str:
    mde, auc_m = check["mde"], check["members_auc"]
    base = (f"With {check['rows']} withdrawn and {check['n_non']} non-member records, the group test on the attack's "
            f"scores detects an AUC of {mde:.3f} or more with {POWER:.0%} power at alpha {ALPHA:g}.")
    if not check["can_tell"]:
        return (base + f" The model's own members reach only AUC {auc_m:.3f} against non-members, so a "
                "membership test cannot tell whether the withdrawn records are still in training.")
    return base + f" Members reach AUC {auc_m:.3f}, so records that are still in training would likely be found."


def check_withdrawal(model: FittedModel, members: pd.DataFrame, non_members: pd.DataFrame,
                     withdrawn: pd.DataFrame, label: str, *, recipe: Optional[ModelRecipe] = None,
                     population: Optional[pd.DataFrame] = None, attacks: Sequence[str] = ("threshold",),
                     reference_models: int = 8, seed: int = 0, backend: str = "auto",
                     n_jobs: Optional[int] = None, alpha: float = ALPHA,
                     progress: Optional[ProgressCallback] = None) -> WithdrawalCheck:
    """Test whether `withdrawn` rows score like members of `model` rather than like `non_members`.

    All frames hold raw rows with the `label` column and the same columns; rows with a missing label
    are left out. `recipe` (how `model` was trained) enables the per-record test; without it the group
    test decides. Raises ValueError on mismatched columns or an empty set.
    """
    frames = {"members": members, "non-members": non_members, "withdrawn": withdrawn}
    for name, frame in frames.items():
        if label not in frame.columns:
            raise ValueError(f"label column {label} is not in the {name} rows")
        if list(frame.columns) != list(members.columns):
            raise ValueError(f"the {name} rows must have the same columns as the members, in the same order")
    members, non_members, withdrawn = (f[f[label].notna()].reset_index(drop=True) for f in frames.values())
    # A withdrawn record cannot be its own control: identical rows leave the non-members.
    withdrawn_hashes = set(pd.util.hash_pandas_object(withdrawn, index=False))
    non_members = non_members[~pd.util.hash_pandas_object(non_members, index=False).isin(withdrawn_hashes)
                              .to_numpy()].reset_index(drop=True)
    for name, frame in zip(frames, (members, non_members, withdrawn)):
        if len(frame) < 2:
            raise ValueError(f"the withdrawal check needs at least 2 labelled {name} rows, got {len(frame)}")
    variants = expand_attacks(attacks)
    if population is not None:
        population = population[population[label].notna()].reset_index(drop=True)
    m, n, w = len(members), len(non_members), len(withdrawn)
    both = pd.concat([members, non_members, withdrawn], ignore_index=True)
    # The withdrawn rows are scored as non-members would be: attacks never read is_member.
    data = AuditData(features=both.drop(columns=[label]), labels=both[label].to_numpy(),
                     is_member=np.concatenate([np.ones(m, bool), np.zeros(n + w, bool)]))
    report(progress, 0.0, "scoring members, non-members and withdrawn records")
    _, scored = score_records(model, data, label, variants, recipe=recipe, population=population,
                              reference_models=reference_models, seed=seed, backend=backend, n_jobs=n_jobs,
                              progress=scaled(progress, 0.0, 0.9))
    audited = slice(0, m + n)
    results = [membership_metrics(s.scores[audited], s.is_member[audited], name=s.name)
               for s in scored]
    calibrated = [r for r in results if r.name in CALIBRATED]
    best = strongest(calibrated or results)
    scores = scored[[r.name for r in results].index(best.name)].scores
    member_scores, non_scores, withdrawn_scores = scores[:m], scores[m:m + n], scores[m + n:]

    group_p, auc = _one_sided(withdrawn_scores, non_scores)
    members_p, members_auc = _one_sided(member_scores, non_scores)
    threshold = float(np.quantile(non_scores, 1 - THRESHOLD_FPR, method="higher"))
    mde = minimum_detectable_auc(w, n, alpha=alpha)
    can_tell = members_auc >= mde
    if recipe is not None:
        report(progress, 0.9, "retraining on the members without the withdrawn rows")
        # H0: trained on the members without the withdrawn rows (a members file may still hold them)
        kept = ~pd.util.hash_pandas_object(members, index=False).isin(withdrawn_hashes).to_numpy()
        retrained = compare_with_retrained(model, recipe, members[kept].reset_index(drop=True), withdrawn, label,
                                           n_models=max(3, reference_models), seed=seed, backend=backend,
                                           n_jobs=n_jobs, progress=scaled(progress, 0.9, 1.0))
        p_value, test, assumptions = retrained.p_value, RETRAINED_TEST, (RETRAINED_ASSUMPTION,)
    else:
        retrained, p_value, test, assumptions = None, group_p, GROUP_TEST, (GROUP_ASSUMPTION,)
    flagged = p_value < alpha
    note = _power_note({"rows": w, "n_non": n, "mde": mde, "members_auc": members_auc, "can_tell": can_tell})
    report(progress, 1.0, "withdrawal check done")
    return WithdrawalCheck(
        rows=w, n_members=m, n_non_members=n, attack=best.name, test=test, p_value=p_value,
        assumptions=assumptions, retrained_models=retrained.reference_models if retrained else 0,
        confidence_gap=retrained.statistic if retrained else None,
        records_above_all_retrained=retrained.records_above_all_references if retrained else None,
        group_p_value=group_p, auc=auc,
        share_above_threshold=float(np.mean(withdrawn_scores > threshold)),
        members_share_above_threshold=float(np.mean(member_scores > threshold)), members_auc=members_auc,
        members_p_value=members_p, minimum_detectable_auc=mde, alpha=float(alpha), still_in_training=bool(flagged),
        test_can_tell=bool(can_tell), verdict=STILL_IN_TRAINING if flagged else NO_EVIDENCE, power_note=note,
        settings={"attacks": variants, "label": label, "threshold_fpr": THRESHOLD_FPR, "power": POWER,
                  "test": test,
                  "reference_models": reference_models if any(v.startswith(("lira", "rmia")) for v in variants)
                  else 0},
        seed=seed)
