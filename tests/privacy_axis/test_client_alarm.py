"""The canary alarm of a DP-FedAvg run: its canaries change the data of a client that trains either way, so
a sound run can put the bound above the client ε (two clipped updates can be 2C apart); the alarm is the
per-record ceiling (the same mechanism at half the noise), and a bound between the two gets a note."""

from __future__ import annotations

from analysis.comparison_privacy import broken_bounds, canary_rows


def _result(bound: float, *, unit: str = "client", epsilon: float = 8.0, ceiling: float = 18.8) -> dict:
    details = {"canary_record_epsilon_ceiling": ceiling} if unit == "client" else {}
    return {"runs": [{"name": "DP-FedAvg ε = 8 per client", "strategy": "dp-federated", "seed": 0, "unit": unit,
                      "epsilon": epsilon, "details": details,
                      "canary_audit": {"epsilon_lower_bound": bound, "canaries": 1000, "guesses": 10,
                                       "correct": 9, "attack": "loss", "reason": ""}}]}


def test_a_client_run_between_its_client_epsilon_and_the_ceiling_is_noted_not_called_broken():
    row = canary_rows(_result(10.0))[0]
    assert not row["exceeds accounted ε"]
    assert row["ε limit"] == 18.8
    assert "per-record ceiling" in row["note"]
    assert broken_bounds(_result(10.0)) == []


def test_a_client_run_above_the_ceiling_is_called_broken():
    rows = canary_rows(_result(19.5))
    assert rows[0]["exceeds accounted ε"]
    [sentence] = broken_bounds(_result(19.5))
    assert "ceiling ε = 18.80" in sentence and "broken" in sentence


def test_a_record_level_run_is_held_against_its_own_epsilon():
    assert canary_rows(_result(1.5, unit="record", epsilon=1.0))[0]["exceeds accounted ε"]
    assert not canary_rows(_result(0.5, unit="record", epsilon=1.0))[0]["exceeds accounted ε"]
