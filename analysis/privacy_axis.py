"""The privacy axis of a comparison run, beside its utility: the hook `analysis.strategies` calls.

For one trained run it adds (each optional, from the comparison's settings):
- the same-strategy reference models (`analysis.attacks.same_strategy`) that give RMIA to the run's
  attack set (offline and online) and calibrate the canary audit;
- the canary audit (`analysis.canary_audit`): Steinke et al.'s one-run ε lower bound on the run's
  coin-flip canaries (a federated run's canaries sit in one client: `federated_canary_audit`);
- the per-record attack scores, kept on the run object (never serialized) for the most exposed
  records (`analysis.attacks.exposed`);
- the GDPR anonymity risks of the table the strategy trained on (`analysis.anonymity`): the raw
  training rows for `none`, the plan's output for the anonymized strategies.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np
import pandas as pd

from analysis.canary_audit import CanaryAudit, CanarySet, audit_canaries


def with_canaries(members: pd.DataFrame, canaries: Optional[CanarySet]) -> pd.DataFrame:
    """The training rows: the members, then the canaries the coins included (index after the members)."""
    if canaries is None:
        return members
    return pd.concat([members, canaries.training_rows()], ignore_index=True)


def same_strategy_reference(strategy, eps, members, non_members, canaries: Optional[CanarySet], training, n_models,
                            plan, delta, seed, progress=None):
    """Reference outputs on the pool members, non-members, canaries; None for a strategy without a
    same-strategy recipe (federated ones, the baseline) or without reference models."""
    from analysis.attacks.same_strategy import strategy_recipe, train_same_strategy

    recipe = strategy_recipe(strategy, eps, training, plan, delta) if n_models else None
    if recipe is None:
        return None
    return train_same_strategy(recipe, members, non_members, canaries.rows if canaries is not None else None,
                               n_models=n_models, seed=seed, progress=progress)


def audited_reference(pool_reference, n_audited: int):
    """The pool reference restricted to the audited records (members then non-members)."""
    from analysis.attacks.same_strategy import columns

    return None if pool_reference is None else columns(pool_reference, np.arange(n_audited))


def canary_audit(model, canaries: CanarySet, label: str, *, pool_reference, audited_log_p: Optional[np.ndarray],
                 n_members: int, n_non_members: int, delta: float, trained_on: int, seed: int) -> CanaryAudit:
    """The run's canary audit; with a pool reference, RMIA offline uses the non-members as population.
    audited_log_p: the target's log p_y on the audited records (members then non-members)."""
    from analysis.attacks.same_strategy import columns

    reference = population_log_p = None
    if pool_reference is not None and audited_log_p is not None:
        n_audited = n_members + n_non_members
        non_member_cols = np.arange(n_members, n_audited)
        index = np.concatenate([np.arange(n_audited, n_audited + canaries.count), non_member_cols])
        reference = columns(pool_reference, index)
        population_log_p = np.asarray(audited_log_p)[non_member_cols]
    return audit_canaries(model, canaries, label, delta=delta, reference=reference,
                          population_log_p=population_log_p, trained_on=trained_on, seed=seed)


def federated_canary_audit(model, canaries: CanarySet, label: str, *, delta: float, trained_on: int,
                           seed: int) -> CanaryAudit:
    """The canary audit of a federated run, whose included canaries all sat in one client
    (`analysis.privacy.federated.run_federated(canaries=...)`): the loss attack on the final global model
    (federated runs have no same-strategy reference models, so no RMIA), at the run's δ.

    Which ε the bound is held against (`canary_rows`, `bound_exceeds`): the run's accounted ε in its unit.
    - FedAvg + DP-SGD: ε per record (the worst client's DP-SGD); the canary client's DP-SGD samples its
      canaries like its other rows and is accounted over all of them, so it is the canaries' ε.
    - DP-FedAvg: ε per client, accounted for adding or removing a whole client. A canary's client trains
      either way, so a canary changes that client's data (replace-one, not add-or-remove): its clipped
      update can move by up to 2C, twice the sensitivity the client ε is accounted for. The ε that holds per
      canary is the same mechanism's at half the noise multiplier (`client_record_ceiling`, stored in the
      run's details). The alarm (`comparison_privacy.canary_rows`) uses that ceiling: a bound between the
      client ε and the ceiling gets a note, and only a bound above the ceiling says the clipping, the noise
      or the accounting is broken.
    - FedAvg: no accounted ε; the bound is the measured leakage alone.
    """
    return audit_canaries(model, canaries, label, delta=delta, trained_on=trained_on, seed=seed)


def client_record_ceiling(accounting) -> float:
    """DP-FedAvg's ε for a record whose client trains either way (one client's data replaced, not added or
    removed): the same rounds and sampling rate at twice the sensitivity, i.e. half the noise multiplier."""
    from analysis.privacy.federated_accounting import client_level_epsilon

    return client_level_epsilon(noise_multiplier=accounting.noise_multiplier / 2.0,
                                clients_per_round=accounting.clients_per_round,
                                total_clients=accounting.total_clients, rounds=accounting.rounds,
                                delta=accounting.delta, include_pld=False).rdp_epsilon


def attach(row, model, *, canary: Optional[CanaryAudit] = None, scores: Optional[dict] = None, anonymity=None):
    """The run row with its privacy-axis fields (the model and the per-record scores kept off the JSON)."""
    row = dataclasses.replace(row, canary_audit=canary, anonymity=anonymity).with_model(model)
    if scores is not None:
        object.__setattr__(row, "_record_scores", scores)
    return row


def released_anonymity(strategy: str, members: pd.DataFrame, non_members: pd.DataFrame, plan, label: str, seed: int,
                       memo: dict, n_attacks: int):
    """GDPR risks of the table this strategy trained on (memoized per seed and table)."""
    from analysis.anonymity import table_anonymity

    if strategy == "none":
        key, chosen = ("raw", seed), None
    elif strategy.startswith("anonymized") and plan is not None:
        key, chosen = ("anonymized", seed), plan
    else:
        return None
    if key not in memo:
        memo[key] = table_anonymity(members, non_members, plan=chosen, secret=label, n_attacks=n_attacks, seed=seed,
                                    release=key[0])
    return memo[key]
