"""Sessions keep data to themselves: runs at the same time give exactly their serial results, and no
process-wide cache holds one table's identifier values for another."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest


def _table(seed: int) -> pd.DataFrame:
    """400 rows, 6 Gaussian features, a label that depends on two of them."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(400, 6)).round(4), columns=[f"f{i}" for i in range(6)])
    frame["label"] = np.where(frame["f0"] + frame["f1"] > 0, "yes", "no")
    return frame


# Two sessions' tables, the same settings and seed: the same model shape (the case a shared model got wrong).
RUNS = [(_table(1), 0), (_table(2), 0)]
SETTINGS = dict(rounds=2, local_epochs=2, batch_size=16, audit_rows=40, attacks=("threshold",))


def _outcome(result) -> tuple[list[np.ndarray], list[dict]]:
    return result.model.model.get_weights(), [r.to_dict() for r in result.history]


def _centralized(frame: pd.DataFrame, seed: int, progress=None):
    from analysis.privacy.federated import run_centralized

    return run_centralized(frame, "label", seed=seed, progress=progress, **SETTINGS)


@pytest.fixture(scope="module")
def serial():
    return [_outcome(_centralized(frame, seed)) for frame, seed in RUNS]


def test_two_runs_at_the_same_time_give_their_serial_results(serial):
    # The runs wait for each other after every round (a barrier in the progress callback), so their
    # training steps overlap: with one model per shape and process they trained each other's weights.
    barrier = threading.Barrier(len(RUNS), timeout=120)
    results: list = [None] * len(RUNS)
    errors: list[BaseException] = []

    def step(fraction: float, message: str) -> None:
        if message.startswith("round"):
            barrier.wait()

    def work(i: int) -> None:
        try:
            results[i] = _outcome(_centralized(*RUNS[i], progress=step))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(RUNS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors
    for (weights, history), (serial_weights, serial_history) in zip(results, serial):
        assert history == serial_history
        assert len(weights) == len(serial_weights)
        for w, s in zip(weights, serial_weights):
            np.testing.assert_array_equal(w, s)
    assert not np.array_equal(serial[0][0][0], serial[1][0][0])  # two different runs, not one twice


def test_identifier_guards_of_two_tables_share_no_values():
    from analysis.report.guard import IdentifierGuard

    first = pd.DataFrame({"email": ["ann.first@example.org", "bob.first@example.org"]})
    second = pd.DataFrame({"email": ["cyd.second@example.org", "dee.second@example.org"]})
    # The same fingerprint and columns: a process-wide cache keyed on them served the first table's values.
    a = IdentifierGuard({"frame": first, "fingerprint": "same"}, ["email"])
    b = IdentifierGuard({"frame": second, "fingerprint": "same"}, ["email"])
    assert set(a.values) == set(first["email"]) and set(b.values) == set(second["email"])
    assert b.clean("write to ann.first@example.org") == "write to ann.first@example.org"
    assert "cyd.second@example.org" not in b.clean("write to cyd.second@example.org")


def test_identifier_values_are_kept_only_in_the_callers_memo():
    from analysis.report.guard import IdentifierGuard

    table = {"frame": pd.DataFrame({"email": ["ann.first@example.org"]}), "fingerprint": "fp"}
    session_a, session_b = {}, {}
    IdentifierGuard(table, ["email"], memo=session_a)
    assert [values for values, _ in session_a.values()] == [["ann.first@example.org"]] and session_b == {}
    other = {"frame": pd.DataFrame({"email": ["cyd.second@example.org"]}), "fingerprint": "fp"}
    assert IdentifierGuard(other, ["email"], memo=session_b).values == ["cyd.second@example.org"]


def test_identifier_guard_masks_exactly_what_trying_every_value_masks():
    """The guard looks values up by their first 4 characters; the result is the same as trying every value,
    longest first, including values inside other values and values that overlap."""
    import random

    from analysis.report.guard import IdentifierGuard, mask_text

    rng = random.Random(7)
    names = ["anna", "annabel", "anna smith", "bellamy", "elle", "smith", "jo", "mith", "josephine", "ann"]
    frame = pd.DataFrame({"name": names + [f"user{n:04d}" for n in range(300)]})
    guard = IdentifierGuard({"frame": frame, "fingerprint": "f"}, ["name"])
    assert guard.values and all(len(v) >= 4 for v in guard.values)

    def every_value(text: str) -> str:
        out = text
        for v in guard.values:
            if v in out:
                out = out.replace(v, mask_text(v))
        return out

    pieces = names + ["user0042", "user0299", "xx", " ", "annabella smith", "user00"]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        assert guard.clean(text) == every_value(text), text
