"""AppTest of the federated section on the Privacy-utility page, from a stored comparison (no Ray here;
the browser test runs a real simulation)."""

from __future__ import annotations

import dataclasses

import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture(scope="module")
def comparison(tiny_central):
    from analysis.privacy.federated import FederatedComparison, client_level_epsilon

    central = tiny_central
    acc = client_level_epsilon(noise_multiplier=1.5, clients_per_round=4, total_clients=4, rounds=2, clip_norm=1.0)
    fedavg = dataclasses.replace(central, mode="federated", strategy="fedavg", clients=4, partition="iid",
                                 protects=__import__("analysis.privacy.federated", fromlist=["x"])
                                 .protection_statement("fedavg"))
    dp = dataclasses.replace(fedavg, strategy="dp-fedavg", client_epsilon=acc.epsilon, client_privacy=acc)
    return FederatedComparison(runs=[central, fedavg, dp], label="label", seed=0)


def test_federated_section_shows_settings_then_results(comparison):
    at = AppTest.from_file("dashboard/app.py", default_timeout=120).run()
    at.switch_page("app_pages/privacy_utility.py").run()
    assert not at.exception
    assert at.number_input(key="fl_clients").value == 10 and at.number_input(key="fl_rounds").value == 5
    assert at.selectbox(key="fl_partition").value == "iid"
    assert any("Run federated comparison" in i.value for i in at.info)

    at.session_state["federated_result"] = comparison
    at.run()
    assert not at.exception, at.exception
    assert any("raw records" in i.value and "does not" in i.value for i in at.info)
    rows = at.dataframe[-1].value
    assert list(rows["model"]) == ["Centralized (2 rounds)", "FedAvg (4 clients, 2 rounds)",
                                   "DP-FedAvg (4 clients, 2 rounds)"]
    assert rows["client epsilon"].iloc[2] == pytest.approx(comparison.runs[2].client_epsilon)
    assert any("client-level ε" in c.value and "all clients take part" in c.value for c in at.caption)


def test_bad_partition_column_shows_an_error_not_a_traceback(monkeypatch):
    at = AppTest.from_file("dashboard/app.py", default_timeout=120).run()
    at.switch_page("app_pages/privacy_utility.py").run()
    at.number_input(key="fl_clients").set_value(100)
    at.number_input(key="fl_rows").set_value(50)
    at.button(key="FormSubmitter:federated_form-Run federated comparison").click().run()
    assert not at.exception
    assert at.error and "clients=100" in at.error[0].value


def test_a_request_for_another_table_is_dropped_not_run():
    at = AppTest.from_file("dashboard/app.py", default_timeout=120).run()
    at.session_state["federated_request"] = {"fingerprint": "another table", "label": "churned", "clients": 2}
    at.switch_page("app_pages/privacy_utility.py").run()
    assert not at.exception and not at.error
    assert at.session_state["federated_request"] is None
    assert any("Run federated comparison" in i.value for i in at.info)
