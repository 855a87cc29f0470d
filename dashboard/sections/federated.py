"""The federated part of the Privacy-utility page: its settings inside the comparison form, and what the
federated rows of a comparison protect. Widgets and layout only; the runs are analysis.strategies'."""

from __future__ import annotations

import streamlit as st

from analysis.text_safety import markdown_text

FEDERATED_STRATEGIES = ("federated", "dp-federated", "federated+dp")


def federated_settings(columns: list[str]) -> dict:
    """Clients, rounds, partition, DP-FedAvg's client-level epsilon and client training, inside a form.
    Returns run_strategies keyword arguments."""
    for widget in ("fl_partition",):  # a choice from a previously loaded table
        if st.session_state.get(widget) not in (None, "iid", *columns):
            del st.session_state[widget]
    with st.expander("Federated settings (FedAvg, DP-FedAvg, FedAvg + DP-SGD)"):
        st.caption("K simulated clients (Flower on a small local Ray) hold the training rows and share only "
                   "model updates. DP-FedAvg clips each client's update and adds noise to their average: its "
                   "epsilon is per client (one client's participation), not per record like DP-SGD's.")
        c1, c2, c3, c4 = st.columns(4)
        clients = int(c1.number_input("Clients", 1, 100, 10, key="fl_clients"))
        rounds = int(c2.number_input("Rounds", 1, 50, 5, key="fl_rounds"))
        partition = c3.selectbox("Partition", ["iid"] + columns, key="fl_partition",
                                 format_func=lambda c: "IID (random)" if c == "iid" else f"by {c} (non-IID)")
        client_eps = float(c4.number_input("DP-FedAvg: ε per client", 0.1, 1000.0, 8.0, key="fl_client_eps"))
        e1, e2 = st.columns(2)
        local_epochs = int(e1.number_input("Local epochs per round", 1, 50, 2, key="fl_local_epochs"))
        batch = int(e2.number_input("Client batch size", 8, 4096, 64, key="fl_batch"))
    return dict(clients=clients, rounds=rounds, partition=partition, client_epsilons=[client_eps],
                local_epochs=local_epochs, fl_batch_size=batch)


def federated_notes(result) -> None:
    """What each federated strategy of the comparison protects, and DP-FedAvg's accounting."""
    seen = set()
    for run in result.runs:
        if run.strategy not in FEDERATED_STRATEGIES or run.strategy in seen:
            continue
        seen.add(run.strategy)
        name = markdown_text(run.name)  # escaped like every text from a result
        st.info(f"**{name}:** {markdown_text(run.protects)}")
        details = run.details
        if run.unit == "client":
            st.caption(f"{name}: ε = {run.epsilon:.2f} per client (PLD {run.pld_epsilon:.2f}) at δ = "
                       f"{run.delta:.2g}, noise multiplier {run.noise_multiplier:.2f}, update clip "
                       f"{details.get('clip_norm')}, {details.get('rounds')} rounds · "
                       f"{details.get('sampling_assumption', '')}.")
