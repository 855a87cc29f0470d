"""The public runs end to end on small settings: non-private and DP-SGD twins, result shape, verdict."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.memorization import MemorizationResult, run_tabular_memorization, run_text_memorization


@pytest.fixture(scope="module")
def customers(customers_path):
    return pd.read_csv(customers_path)


@pytest.fixture(scope="module")
def text_result(customers):
    updates = []
    result = run_text_memorization(customers["notes"], repeats=(1, 4, 64), canaries_per_repeat=2, controls=6,
                                   secret_space_size=1000, epsilon=3.0, epochs=5, batch_size=128,
                                   max_rows=250, seed=0, progress=lambda f, m: updates.append((f, m)))
    return result, updates


def test_text_result_holds_both_models_and_every_canary(text_result):
    result, updates = text_result
    assert isinstance(result, MemorizationResult) and result.kind == "text" and result.seed == 0
    assert result.secret_space_size == 1000 and result.secret_space_bits == pytest.approx(np.log2(1000))
    assert result.method == "exact"
    assert [m.name for m in result.models] == ["non-private", "DP-SGD (epsilon 3)"]
    assert [m.epsilon for m in result.models] == [None, 3.0]
    for model in result.models:
        assert sorted(c.repeats for c in model.canaries) == [0] * 6 + [1, 1, 4, 4, 64, 64]
        assert [s.repeats for s in model.by_repeats] == [0, 1, 4, 64]
        assert all(0.0 <= c.exposure <= result.secret_space_bits + 1e-9 for c in model.canaries)
    dp = result.models[1]
    assert dp.privacy["rdp_epsilon"] == pytest.approx(3.0, abs=0.05)
    assert result.settings["max_rows"] == 250
    assert result.settings["canary_format"] == "my pin for xxxx is ###."
    fractions = [f for f, _ in updates]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("DP-SGD" in m and "epoch" in m for _, m in updates)


def test_non_private_model_memorizes_repeated_secrets_and_dp_flattens_the_curve(text_result):
    result, _ = text_result
    plain, dp = result.models
    bits = result.secret_space_bits
    heavy = [c for c in plain.canaries if c.repeats == 64]
    assert all(c.exposure >= bits - 1.0 and c.extracted for c in heavy)
    controls = [c.exposure for m in result.models for c in m.canaries if c.repeats == 0]
    assert 0.5 <= float(np.mean(controls)) <= 2.5
    inserted = lambda m: float(np.mean([c.exposure for c in m.canaries if c.repeats > 0]))  # noqa: E731
    assert inserted(dp) < inserted(plain) - 2.0


def test_verdict_states_the_measured_numbers(text_result):
    result, _ = text_result
    plain = result.models[0]
    assert "recoverable from the non-private model" in result.verdict
    assert "epsilon 3" in result.verdict
    expected = f"{plain.by_repeats[-1].mean_exposure:.1f} of {result.secret_space_bits:.1f} bits"
    assert expected in result.verdict
    assert "never inserted" in result.verdict


def test_text_result_serializes_without_secrets(text_result):
    result, _ = text_result
    payload = json.loads(result.to_json())
    assert payload["secret_space_bits"] == pytest.approx(result.secret_space_bits)
    model = payload["models"][0]
    assert {"name", "epsilon", "canaries"} <= set(model)
    assert {"repeats", "exposure", "extracted", "rank", "method"} <= set(model["canaries"][0])
    assert "my pin for" not in json.dumps(payload["models"])  # no canary text (prefix or secret) in results
    summary = result.summary_json()
    assert [m["epsilon"] for m in summary["models"]] == [None, 3.0]


@pytest.mark.parametrize("kwargs, message", [
    (dict(repeats=(0, 4)), "repeats"),
    (dict(secret_space_size=3), "secret_space_size"),
    (dict(epsilon=-1.0), "epsilon"),
    (dict(epochs=0), "epochs"),
    (dict(method="guess"), "method"),
    (dict(max_rows=5), "max_rows"),
])
def test_text_run_rejects_bad_settings(customers, kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_text_memorization(customers["notes"], **kwargs)


def test_text_run_needs_enough_text():
    with pytest.raises(ValueError, match="non-empty rows"):
        run_text_memorization(pd.Series(["a note", None, " "]))
    with pytest.raises(ValueError, match="Series"):
        run_text_memorization(["a list"])


def test_tabular_canary_records_are_memorized_without_dp(customers):
    frame = customers[["age", "sex", "state", "plan", "tenure_months", "amount", "items", "rating",
                       "health_condition"]].sample(n=800, random_state=0)
    result = run_tabular_memorization(frame, "health_condition", repeats=(1, 64), canaries_per_repeat=3,
                                      controls=6, epsilon=3.0, epochs=8, seed=0)
    assert result.kind == "tabular" and result.secret_space_size == 8
    assert result.secret_space_bits == pytest.approx(3.0)
    plain, dp = result.models
    assert dp.privacy["rdp_epsilon"] == pytest.approx(3.0, abs=0.05)
    heavy = [c for c in plain.canaries if c.repeats == 64]
    assert all(c.exposure == pytest.approx(3.0) and c.extracted for c in heavy)
    assert "8 possible values" in result.verdict
    with pytest.raises(ValueError, match="label column 'nope'"):
        run_tabular_memorization(frame, "nope")
    with pytest.raises(ValueError, match="distinct values"):
        run_tabular_memorization(frame.assign(one="x"), "one")
