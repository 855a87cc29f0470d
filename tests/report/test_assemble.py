"""The report model: a summary rated by its thresholds, sections with a sentence, provenance."""

from __future__ import annotations

import math

from analysis.report import ReportInputs, assemble_report, default_thresholds
from analysis.report.assemble import report_from_dict
from analysis.tables import load_table


def test_summary_answers_how_exposed_data_and_model_are(full_report, risk_report, audit_result):
    items = {i.metric: i for i in full_report.summary}
    assert items["direct_identifiers"].value >= 5 and items["direct_identifiers"].rating == "red"
    assert "email" in items["direct_identifiers"].display
    assert items["free_text_leaks"].value >= 1 and "notes" in items["free_text_leaks"].display
    assert items["k_anonymity"].value == risk_report.k == 1 and items["k_anonymity"].rating == "red"
    assert math.isclose(items["records_at_risk"].value, risk_report.records_below_k / risk_report.rows)
    best = max(a.tpr_at_fpr["0.001"] for a in audit_result.attacks)
    assert items["attack_tpr_at_0.001_fpr"].value == best
    assert items["memorization_exposure"].rating == "grey" and items["memorization_exposure"].display == "not run"
    assert full_report.overall_rating == "red"


def test_sections_have_a_plain_sentence_with_this_datas_numbers(full_report):
    assert [s.key for s in full_report.sections] == ["scan", "risk", "attack"]
    risk = full_report.section("risk")
    assert "zip, age, sex" in risk.sentence and "single them out" in risk.sentence
    attack = full_report.section("attack")
    assert "0.1% false-positive rate" in attack.sentence and "AUC" in attack.sentence
    assert "direct" in full_report.section("scan").sentence


def test_provenance_records_what_was_run(full_report, customers):
    p = full_report.provenance
    assert p.dataset == {"name": "customers.csv", "sha256": customers.fingerprint, "rows": 5000, "columns": 26,
                         "format": "csv"}
    assert p.model["name"] == "logistic_regression"
    assert p.seeds["attack"] == 0 and p.seeds["split"] == 0
    assert {"python", "numpy", "pandas", "scikit-learn", "plotly"} <= set(p.package_versions)
    assert p.seconds["scan"] > 0 and p.seconds["total"] >= p.seconds["scan"]
    assert "history_url" not in p.settings["global"]  # may hold a database password
    assert p.steps == ["scan", "risk", "attack"]


def test_thresholds_set_by_the_user_change_the_lights(full_inputs):
    lenient = default_thresholds().with_overrides({"k_anonymity": {"green": 1, "amber": 1},
                                                   "direct_identifiers": {"green": 10, "amber": 10}})
    report = assemble_report(full_inputs, thresholds=lenient)
    assert report.item("k_anonymity").rating == "green"
    assert report.item("direct_identifiers").rating == "green"
    assert "green ≥ 1" in report.item("k_anonymity").rule


def test_report_works_with_whatever_results_exist():
    table = load_table(b"a,b\n1,2\n3,4\n", name="tiny.csv")
    report = assemble_report(ReportInputs(table=table))
    assert report.sections == [] and report.overall_rating == "grey"
    assert {i.rating for i in report.summary} == {"grey"}
    assert report.provenance.dataset["rows"] == 2


def test_tradeoff_section_uses_the_recommended_budget():
    from analysis.tradeoff import BudgetSummary, recommend

    def budget(eps, acc, tpr):
        return BudgetSummary(model="keras_mlp", epsilon_target=eps, label=str(eps), runs=2, epsilon=eps,
                             pld_epsilon=eps, noise_multiplier=1.0, accuracy=acc, accuracy_std=0.01, roc_auc=0.8,
                             f1=0.7, tpr_at_0_1pct=tpr, tpr_at_1pct=tpr * 2, attack_auc=0.55, train_seconds=1.0)

    summary = [budget(1.0, 0.70, 0.002), budget(4.0, 0.78, 0.003), budget(math.inf, 0.80, 0.04)]
    tradeoff = {"summary": summary, "recommendation": recommend(summary), "warnings": []}
    report = assemble_report(ReportInputs(tradeoff=tradeoff))
    item = report.item("dp_accuracy_kept")
    assert math.isclose(item.value, 0.78 / 0.80) and item.rating == "green"
    assert "ε = 4" in item.display
    assert report.section("tradeoff").sentence.startswith("epsilon 4 keeps 98%")


def test_report_round_trips_through_its_dict(full_report):
    again = report_from_dict(full_report.to_dict())
    assert again.to_dict() == full_report.to_dict()


def test_memorization_section_rates_the_non_private_model_and_keeps_the_verdict():
    from analysis.memorization import CanaryExposure, MemorizationResult, ModelMemorization
    from analysis.memorization.result import make_verdict, summarize

    def model(name, epsilon, exposures):
        canaries = [CanaryExposure(repeats=r, exposure=e, rank=2 ** (10 - e), method="exact",
                                   extracted=e > 9.5) for r, e in exposures]
        return ModelMemorization(name=name, epsilon=epsilon, canaries=canaries, by_repeats=summarize(canaries))

    models = [model("non-private", None, [(0, 1.0), (1, 3.0), (16, 9.97)]),
              model("dp", 3.0, [(0, 1.2), (1, 1.1), (16, 1.6)])]
    bits = 9.97
    result = MemorizationResult(kind="text", secret_space_size=1000, secret_space_bits=bits,
                                random_rank_exposure=1.44, method="exact", models=models,
                                verdict=make_verdict(models, bits, 1.44), settings={}, seed=0)
    report = assemble_report(ReportInputs(memorization=result))
    item = report.item("memorization_exposure")
    assert math.isclose(item.value, 1.0) and item.rating == "red"
    section = report.section("memorization")
    assert section.sentence == result.verdict
    assert section.metrics["non-private.extracted"] == 1 and section.metrics["dp.extracted"] == 0
    assert report.provenance.seeds["memorization"] == 0


def test_model_bundle_description_has_a_content_fingerprint_and_no_rows(trained):
    from analysis.report import describe_model

    bundle = {"name": "Logistic regression", "key": "abc", "model": trained.model, "recipe": None,
              "members": trained.members, "non_members": trained.non_members, "label": "churned"}
    info = describe_model(bundle)
    assert info["fingerprint"].startswith("sha256:") and info["label"] == "churned"
    assert "members" not in info and "model" not in info
    assert describe_model(bundle)["fingerprint"] == info["fingerprint"]  # stable for the same model
    assert describe_model(trained)["fingerprint"] == info["fingerprint"]


def test_federated_section_reads_runs_in_their_json_form():
    runs = [{"mode": "centralized", "strategy": "centralized", "clients": 1, "rounds": 3, "accuracy_score": 0.81,
             "client_epsilon": None, "sample_epsilon": None, "attacks": [], "protects": "Centralized ..."},
            {"mode": "federated", "strategy": "dp-fedavg", "clients": 10, "rounds": 3, "accuracy_score": 0.78,
             "client_epsilon": 2.5, "sample_epsilon": None, "protects": "DP-FedAvg clips each client's update.",
             "attacks": [{"name": "loss", "auc": 0.51, "tpr_at_fpr": {"0.001": 0.002, "0.01": 0.011}}]}]
    report = assemble_report(ReportInputs(federated={"runs": runs}))
    section = report.section("federated")
    assert section.sentence == "DP-FedAvg clips each client's update."
    assert section.metrics["dp-fedavg.client_epsilon"] == 2.5
    assert section.metrics["dp-fedavg.tpr_at_0.001_fpr"] == 0.002
    assert [r[0] for r in section.tables[0].rows] == ["Centralized", "DP-FedAvg"]


def test_tradeoff_section_reads_every_protection_from_the_unified_rows():
    """A strategy comparison in its JSON form (what `compare --json` writes and the history keeps)."""
    import json

    from analysis.report.export import report_json, validate_report
    from analysis.tradeoff import BudgetSummary, recommend

    def row(strategy, label, eps, acc, tpr, unit, k=None):
        return BudgetSummary(model="keras_mlp", epsilon_target=eps, label=label, runs=1, epsilon=eps,
                             pld_epsilon=eps, noise_multiplier=1.0, accuracy=acc, accuracy_std=0.0, roc_auc=0.8,
                             f1=0.7, tpr_at_0_1pct=tpr, tpr_at_1pct=tpr * 2, attack_auc=0.55, train_seconds=1.0,
                             strategy=strategy, unit=unit, k=k)

    summary = [row("none", "non-private", math.inf, 0.85, 0.01, "none"),
               row("anonymized", "anonymized", math.inf, 0.84, 0.009, "none", k=5),
               row("anonymized+dp", "anonymized + DP-SGD ε = 2", 2.0, 0.82, 0.001, "record", k=5),
               row("dp-federated", "DP-FedAvg ε = 8 per client", 8.0, 0.80, 0.002, "client")]
    comparison = json.loads(json.dumps({
        "summary": [s.to_dict() for s in summary], "recommendation": recommend(summary),
        "recommended": "anonymized + DP-SGD ε = 2", "recommended_strategy": "anonymized+dp",
        "recommended_epsilon": 2.0, "recommended_accuracy_kept": 0.82 / 0.85,
        "skipped": [{"strategy": "federated", "reason": "10 clients need at least 20 training rows"}]}))
    report = assemble_report(ReportInputs(tradeoff=comparison))
    section = report.section("tradeoff")
    assert [r[:2] for r in section.tables[0].rows] == [
        ["non-private", "none"], ["anonymized", "k = 5"], ["anonymized + DP-SGD ε = 2",
                                                  "ε = 2 per anonymized row, not per person (preprocessing outside ε), k = 5"],
        ["DP-FedAvg ε = 8 per client", "ε = 8 per client (preprocessing outside ε)"]]
    assert section.metrics["anonymized.k"] == 5 and section.metrics["anonymized+dp.eps_2.accuracy"] == 0.82
    assert section.metrics["non_private.accuracy"] == 0.85 and section.metrics["dp-federated.eps_8.accuracy"] == 0.8
    assert section.metrics["recommended_option"] == "anonymized + DP-SGD ε = 2"
    assert section.sentence.startswith("anonymized + DP-SGD ε = 2 keeps 96%")
    assert any("federated skipped: 10 clients" in n for n in section.notes)
    assert math.isclose(report.item("dp_accuracy_kept").value, 0.82 / 0.85)
    validate_report(json.loads(report_json(report)))
