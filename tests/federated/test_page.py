"""AppTest of the federated part of the Privacy-utility page: its settings sit in the comparison form, a
stored comparison's federated rows say what they protect, and too many clients for the rows is a skipped
strategy with its reason (no Ray here; the browser test runs a real simulation)."""

from __future__ import annotations

import dataclasses

import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture(scope="module")
def comparison(random_label_frame):
    from analysis.privacy.federated import client_level_epsilon, protection_statement
    from analysis.strategies import StrategyComparison, run_strategies

    plain = run_strategies(random_label_frame, "label", ["none"], seeds=1, epochs=1)
    acc = client_level_epsilon(noise_multiplier=1.5, clients_per_round=4, total_clients=4, rounds=2, clip_norm=1.0)
    none = plain.runs[0]
    dp_fed = dataclasses.replace(
        none, strategy="dp-federated", name="DP-FedAvg ε = 8 per client", epsilon=acc.epsilon, delta=acc.delta,
        unit="client", epsilon_target=8.0, pld_epsilon=acc.pld_epsilon, noise_multiplier=acc.noise_multiplier,
        protects=protection_statement("dp-fedavg"),
        details={"clients": 4, "rounds": 2, "clip_norm": 1.0, "sampling_assumption": acc.sampling_assumption})
    from analysis.tradeoff import summarize

    runs = [none, dp_fed]
    return dataclasses.replace(plain, runs=runs, summary=summarize(runs))


def _page() -> AppTest:
    at = AppTest.from_file("dashboard/app.py", default_timeout=120).run()
    at.switch_page("app_pages/privacy_utility.py").run()
    assert not at.exception
    return at


def test_federated_rows_say_what_they_protect_and_their_unit(comparison):
    at = _page()
    assert at.number_input(key="fl_clients").value == 10 and at.number_input(key="fl_rounds").value == 5
    assert at.selectbox(key="fl_partition").value == "iid"
    at.session_state["tradeoff_result"] = comparison
    at.run()
    assert not at.exception, at.exception
    assert any("DP-FedAvg" in i.value and "client-level epsilon" in i.value for i in at.info)
    table = at.dataframe[0].value
    assert list(table["strategy"]) == ["non-private", "DP-FedAvg ε = 8 per client"]
    assert table["guarantee"].iloc[1].endswith("per client (preprocessing outside ε)")
    assert any("per client" in c.value and "all clients take part" in c.value for c in at.caption)


def test_too_many_clients_for_the_rows_is_skipped_with_a_reason():
    at = _page()
    at.multiselect(key="tradeoff_strategies").set_value(["none", "federated"])
    at.number_input(key="tradeoff_epochs").set_value(1)
    at.number_input(key="tradeoff_rows").set_value(100)
    at.number_input(key="fl_clients").set_value(100)
    at.button(key="FormSubmitter:tradeoff_form-Run comparison").click().run()
    assert not at.exception and not at.error
    assert any("FedAvg skipped: 100 clients need at least 200 training rows" in w.value for w in at.warning)
    assert [r.strategy for r in at.session_state["tradeoff_result"].runs] == ["none"]
