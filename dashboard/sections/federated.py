"""The federated section of the Privacy-utility page: widgets and layout only.

Kept out of dashboard/app_pages/privacy_utility.py so the page stays short; every number comes from
analysis.privacy.federated (run through dashboard.cache) and every chart from analysis.figures.federated.
"""

from __future__ import annotations

import streamlit as st

from dashboard import cache, state

FL_REQUEST = "federated_request"  # the federated settings the user asked for (survives reruns)
FL_STRATEGIES = {"fedavg": "FedAvg", "dp-fedavg": "DP-FedAvg (server-side clipping)"}


def render_federated_section(table, label: str | None) -> None:
    """Centralized vs FedAvg vs DP-FedAvg (Flower simulation): settings, per-round progress, results.

    table: the loaded table (dashboard.state.table()); label: the label column to preselect (the
    page's choice), the user can pick another one for the federated runs.
    """
    from analysis.figures import federated as fl_figures
    from analysis.privacy.federated import FederatedCancelled, compare_federated, tradeoff_rows

    st.divider()
    st.header("Federated learning: FedAvg and DP-FedAvg")
    st.caption("The same MLP trained by K simulated clients (Flower on a small local Ray) that share only "
               "model updates, beside centralized training on the pooled rows. DP-FedAvg clips each client's "
               "update and adds noise to their average: its epsilon is client-level (one client's "
               "participation), not sample-level (one record) like DP-SGD's above.")
    cols = table.columns
    for widget in ("fl_label", "fl_partition"):  # a choice from a previously loaded table
        if st.session_state.get(widget) not in (None, "iid", *cols):
            del st.session_state[widget]
    with st.form("federated_form"):
        c1, c2, c3, c4 = st.columns(4)
        fl_label = c1.selectbox("Federated label column", cols, key="fl_label",
                                index=cols.index(label) if label in cols else 0)
        clients = int(c2.number_input("Clients", 1, 100, 10, key="fl_clients"))
        rounds = int(c3.number_input("Rounds", 1, 50, 5, key="fl_rounds"))
        partition = c4.selectbox("Partition", ["iid"] + cols, key="fl_partition",
                                 format_func=lambda c: "IID (random)" if c == "iid" else f"by {c} (non-IID)")
        strategies = st.multiselect("Strategies", list(FL_STRATEGIES), default=list(FL_STRATEGIES),
                                    format_func=FL_STRATEGIES.get, key="fl_strategies")
        d1, d2, d3 = st.columns(3)
        clip = float(d1.number_input("Update clipping norm (DP-FedAvg)", 0.001, 100.0, 1.0, key="fl_clip"))
        noise_from = d2.radio("DP-FedAvg noise from", ["target client ε", "noise multiplier"], horizontal=True,
                              key="fl_noise_from")
        noise = float(d3.number_input("Target client ε / noise multiplier", 0.01, 1000.0, 8.0, key="fl_noise"))
        with st.expander("Client training"):
            e1, e2, e3, e4 = st.columns(4)
            local_epochs = int(e1.number_input("Local epochs per round", 1, 50, 2, key="fl_local_epochs"))
            batch = int(e2.number_input("Client batch size", 8, 4096, 64, key="fl_batch"))
            sample_eps = float(e3.number_input("DP-SGD in clients: sample ε (0 = off)", 0.0, 100.0, 0.0,
                                               key="fl_sample_eps"))
            max_rows = int(e4.number_input("Federated: use at most N rows (0: all)", 0, 10_000_000, 0, step=1000,
                                           key="fl_rows"))
        if st.form_submit_button("Run federated comparison"):
            if not strategies:
                st.error("Choose at least one strategy.")
                st.stop()
            from analysis.privacy.dp import DPConfig

            state.put(FL_REQUEST, dict(
                fingerprint=table.fingerprint, label=fl_label, clients=clients, rounds=rounds, partition=partition, strategies=tuple(strategies),
                clip_norm=clip, local_epochs=local_epochs, batch_size=batch, max_rows=max_rows or None,
                client_dp=DPConfig(target_epsilon=sample_eps) if sample_eps > 0 else None,
                **({"target_epsilon": noise} if noise_from == "target client ε" else {"noise_multiplier": noise})))
    request = state.get(FL_REQUEST)
    if request is not None and request["fingerprint"] != table.fingerprint:  # asked for another table
        state.put(FL_REQUEST, None)
        request = None
    if request is not None:
        request = {k: v for k, v in request.items() if k != "fingerprint"}
        result = cache.run_once(
            "federated", cache.content_key(table.fingerprint, request, state.consent_key()),
            lambda bar: compare_federated(state.training_frame(table.frame)[0], progress=bar, **request),
            label="Federated simulation", request_key=FL_REQUEST, cancel_key="fl_cancel",
            errors=(ValueError, RuntimeError, FederatedCancelled))
        state.put(state.FEDERATED, result)
    result = state.get(state.FEDERATED)
    if result is None:
        st.info("Choose the federated settings and press **Run federated comparison**. Ten clients and five "
                "rounds on 30,000 rows take a few minutes.")
        return
    for run in result.runs:
        if run.mode == "federated":
            st.info(f"**{run.name}:** {run.protects}")
    st.dataframe(tradeoff_rows(result.runs), hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.plotly_chart(fl_figures.rounds_figure(result), width="stretch")
    right.plotly_chart(fl_figures.attack_figure(result), width="stretch")
    for run in result.runs:
        if run.client_privacy is not None:
            acc = run.client_privacy
            clip = "" if acc.clip_norm is None else f", update clip {acc.clip_norm:g}"
            st.caption(f"{run.name}: client-level ε = {acc.epsilon:.2f} (PLD {acc.pld_epsilon:.2f}) at δ = "
                       f"{acc.delta:.2g}, noise multiplier {acc.noise_multiplier:.2f}{clip}, {acc.rounds} rounds · "
                       f"{acc.sampling_assumption}.")
        for warning in run.warnings:
            st.warning(f"{run.name}: {warning}")
    st.download_button("Download federated JSON", result.to_json(), file_name="federated.json",
                       mime="application/json")
