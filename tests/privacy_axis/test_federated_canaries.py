"""Federated canaries sit in one client: on a 3,000-row Adult sample (3 clients, 2 rounds), FedAvg and
DP-FedAvg carry a canary bound, the included canaries all join client 0's rows (its partition grows by
their count, the others do not move), the real rows' split, n_train and member / non-member attack set
are the run without canaries', no bound exceeds the accounted ε, and FedAvg + DP-SGD trains and accounts
the canary client over all of its rows."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.comparison_privacy import broken_bounds, canary_rows
from analysis.privacy.federated import partition_rows
from analysis.strategies import run_strategies
from analysis.tables import load_table
from analysis.tradeoff import split_for_seed

pytestmark = pytest.mark.slow

ROWS, CANARIES, CLIENTS = 3000, 150, 3
SETTINGS = dict(seeds=1, seed=0, clients=CLIENTS, rounds=2, local_epochs=1, max_rows=ROWS)


@pytest.fixture(scope="module")
def adult(adult_path):
    return load_table(adult_path).frame


@pytest.fixture(scope="module")
def with_canaries(adult):
    return run_strategies(adult, "class", ["federated", "dp-federated"], canaries=CANARIES, **SETTINGS)


@pytest.fixture(scope="module")
def without_canaries(adult):
    return run_strategies(adult, "class", ["federated"], **SETTINGS)


def _run(result, strategy):
    return next(r for r in result.runs if r.strategy == strategy)


def _real_partition(adult):
    members, _ = split_for_seed(adult, "class", seed=0, max_rows=ROWS)
    return [len(p) for p in partition_rows(members, clients=CLIENTS, seed=0)]


def test_every_federated_run_has_a_canary_bound_on_the_canaries_it_trained_on(with_canaries):
    assert not with_canaries.skipped
    assert [r.strategy for r in with_canaries.runs] == ["federated", "dp-federated"]
    for run in with_canaries.runs:
        audit = run.canary_audit
        assert isinstance(audit.epsilon_lower_bound, float) and audit.epsilon_lower_bound >= 0.0
        assert audit.canaries == CANARIES and 0 < audit.included < CANARIES
        assert audit.trained_on == audit.included == run.details["canaries_in_training"]
        assert audit.attack == "loss" and audit.reason == ""
        assert audit.delta == (run.delta if run.delta is not None else with_canaries.delta)  # the run's δ
    assert {r["strategy"]: r["ε lower bound"] is not None for r in canary_rows(with_canaries)} == {
        "federated": True, "dp-federated": True}


def test_the_page_chart_shows_both_federated_bounds(with_canaries):
    from analysis.figures.privacy_axis import canary_bound_figure

    markers = [t for t in canary_bound_figure(with_canaries).data if t.mode == "markers+text"]
    assert [list(t.text) for t in markers] == [["FedAvg (seed 0)", "DP-FedAvg ε = 8 per client (seed 0)"]]
    dp = _run(with_canaries, "dp-federated")
    assert list(markers[0].x)[1] == dp.epsilon  # DP-FedAvg at its client ε; FedAvg in the "no ε" column


def test_the_canaries_sit_in_one_client_and_the_others_are_unchanged(with_canaries, adult):
    real = _real_partition(adult)
    for run in with_canaries.runs:
        included = run.canary_audit.included
        assert run.details["canary_client"] == 0
        assert run.details["partition_sizes"] == [real[0] + included] + real[1:]


def test_real_rows_split_and_attack_set_are_the_run_without_canaries(with_canaries, without_canaries):
    fed, plain = _run(with_canaries, "federated"), _run(without_canaries, "federated")
    assert plain.canary_audit is None and "canaries_in_training" not in plain.details
    assert (fed.n_train, fed.n_members, fed.n_non_members, fed.split_hash) == (
        plain.n_train, plain.n_members, plain.n_non_members, plain.split_hash)
    assert fed.n_train == fed.n_members == ROWS // 2  # canaries are not counted as training rows
    assert [(a.name, a.n_members, a.n_non_members) for a in fed.attacks] == [
        (a.name, a.n_members, a.n_non_members) for a in plain.attacks]
    # about 80 canaries among client 0's 580 rows (and in the preprocessor's fit) barely move utility
    assert abs(fed.accuracy - plain.accuracy) < 0.03  # measured: 0.748 vs 0.745
    assert all(abs(a.auc - b.auc) < 0.03 for a, b in zip(fed.attacks, plain.attacks))


def test_no_bound_exceeds_the_accounted_epsilon(with_canaries):
    assert broken_bounds(with_canaries) == []
    dp = _run(with_canaries, "dp-federated")
    assert dp.unit == "client" and dp.canary_audit.epsilon_lower_bound <= dp.epsilon
    # the per-record ceiling for a record in a client that trains either way (twice the sensitivity)
    assert dp.details["canary_record_epsilon_ceiling"] > dp.epsilon


def test_dp_sgd_in_the_canary_client_trains_and_accounts_all_of_its_rows(adult, monkeypatch):
    """FedAvg + DP-SGD: the canary client's DP-SGD samples its canaries too, so its accounting counts
    its real rows plus the canaries (a lower sampling rate, more steps)."""
    import analysis.privacy.federated.run as fl_run

    accounted, written = [], {}
    resolve, savez = fl_run._resolve_sample_noise, np.savez

    def spy_resolve(settings, sizes):
        accounted.append(list(sizes))
        return resolve(settings, sizes)

    def spy_savez(path, **arrays):
        written[str(path).rsplit("/", 1)[-1]] = len(arrays["y"])
        return savez(path, **arrays)

    monkeypatch.setattr(fl_run, "_resolve_sample_noise", spy_resolve)
    monkeypatch.setattr(fl_run.np, "savez", spy_savez)
    result = run_strategies(adult, "class", ["federated+dp"], epsilons=[4], canaries=CANARIES,
                            **{**SETTINGS, "clients": 2, "rounds": 1})
    run = result.runs[0]
    members, _ = split_for_seed(adult, "class", seed=0, max_rows=ROWS)
    real = [len(p) for p in partition_rows(members, clients=2, seed=0)]
    expected = [real[0] + run.canary_audit.included, real[1]]
    assert accounted == [expected] and run.details["partition_sizes"] == expected
    assert written == {"client_0.npz": expected[0], "client_1.npz": expected[1]}
    assert run.unit == "record" and run.canary_audit.epsilon_lower_bound is not None
    assert run.canary_audit.epsilon_lower_bound <= run.epsilon <= 4 + 1e-6
    assert run.n_train == run.n_members == ROWS // 2


def test_fedavg_that_memorizes_shows_it_on_the_canaries_of_its_client(adult):
    """2 clients, 3 rounds of 10 local epochs: FedAvg memorizes client 0's canaries, so the loss attack
    on the global model finds them (the bound would be 0 if they never reached a client's training)."""
    result = run_strategies(adult, "class", ["federated"], canaries=CANARIES,
                            **{**SETTINGS, "clients": 2, "rounds": 3, "local_epochs": 10})
    audit = result.runs[0].canary_audit
    assert audit.epsilon_lower_bound > 0.1  # measured: 0.20 (24 of 30 guesses correct)
    assert audit.correct > audit.guesses / 2
