"""The end of every run (centralized or federated): attack the final model, assemble the result."""

from __future__ import annotations

import time
from typing import Optional

from analysis.privacy.federated.model import _fitted_model
from analysis.privacy.federated.partition import _Prepared
from analysis.privacy.federated.results import FederatedResult, protection_statement
from analysis.privacy.federated.settings import FederatedSettings
from analysis.progress import report, scaled


def _audit(model, data: _Prepared, label: str, settings: FederatedSettings, progress) -> tuple[list, list[str]]:
    from analysis.attacks.audit import run_audit

    n = min(settings.audit_rows, len(data.train), len(data.test))
    members = data.train.sample(n=n, random_state=settings.seed).reset_index(drop=True)
    non_members = data.test.sample(n=n, random_state=settings.seed).reset_index(drop=True)
    audit = run_audit(model, members, non_members, label, attacks=settings.attacks, seed=settings.seed,
                      progress=progress)
    return list(audit.attacks), list(audit.warnings)


def _finish(settings, label, data, spec, final, history, sizes, client_noise, client_privacy, sample_privacy,
            log_tail, start, progress, *, mode: str, canary_client: Optional[int] = None) -> FederatedResult:
    report(progress, 0.87, "running the membership attacks on the final model")
    model = _fitted_model(data.preprocessor, data.classes, spec, final["weights"])
    attack_results, attack_warnings = _audit(model, data, label, settings, scaled(progress, 0.87, 0.99))
    metrics = final["metrics"]
    warns = list(attack_warnings)
    if client_privacy is not None:
        warns += client_privacy.warnings
    if sample_privacy is not None:
        warns += list(getattr(sample_privacy, "warnings", []))
    if mode == "federated" and settings.partition != "iid":
        warns.append(f"non-IID partition by {settings.partition!r}: client sizes {sizes}")
    report(progress, 1.0, "done")
    return FederatedResult(
        mode=mode, strategy=settings.strategy, label=label,
        clients=settings.clients if mode == "federated" else 1, rounds=settings.rounds,
        partition=settings.partition if mode == "federated" else "pooled", history=history,
        accuracy_score=metrics["accuracy_score"], balanced_accuracy_score=metrics["balanced_accuracy_score"],
        roc_auc_score=metrics["roc_auc_score"], f1_score=metrics["f1_score"],
        log_loss=metrics["log_loss"], train_accuracy_score=metrics["train_accuracy_score"],
        attacks=attack_results, client_epsilon=client_privacy.epsilon if client_privacy else None,
        client_privacy=client_privacy, sample_epsilon=sample_privacy.epsilon if sample_privacy else None,
        sample_privacy=sample_privacy, partition_sizes=sizes, n_train=int(len(data.train)),
        n_test=int(len(data.test)),
        protects=protection_statement(settings.strategy, client_dp_sgd=settings.client_dp is not None),
        settings=settings, seed=settings.seed, seconds=time.perf_counter() - start,
        preprocessing={**data.preprocessor.describe(),
                       "fitted_on": "the union of the clients' training rows (simulation shortcut)"
                                    + (", canaries included" if data.n_canaries else "")},
        warnings=sorted(set(warns)), log_tail=log_tail, canaries=data.n_canaries,
        canary_client=canary_client if data.n_canaries else None).with_model(model)
