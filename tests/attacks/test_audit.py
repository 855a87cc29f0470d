"""run_audit: the result a user reads (accuracies, slices, masked most-exposed records, settings),
input validation, and the same answer on every compute backend."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.attacks.audit import detect_identifier_columns, run_audit
from analysis.models.recipes import get_recipe, train_model
from analysis.tables import load_sample


@pytest.fixture(scope="module")
def customers_small():
    return load_sample("customers.csv").frame.sample(600, random_state=0).reset_index(drop=True)


def test_audit_on_customers_masks_identifiers_and_reports_slices(customers_small):
    trained = train_model(customers_small, "churned", recipe="random_forest", seed=0)
    result = run_audit(trained.model, trained.members, trained.non_members, "churned",
                       attacks=("threshold",), slice_column="plan", seed=3)
    assert result.train_accuracy == pytest.approx(trained.train_accuracy)
    assert result.test_accuracy == pytest.approx(trained.test_accuracy)
    assert {"customer_name", "email", "phone", "ssn", "card_number", "address", "ip_address"} <= set(
        result.masked_columns)
    assert len(result.most_exposed) == 10
    top = result.most_exposed[0]
    raw_names = set(trained.members["customer_name"])
    assert top.values["email"] not in set(trained.members["email"])
    assert top.values["customer_name"] not in raw_names and "*" in top.values["customer_name"]
    assert top.values["plan"] in set(trained.members["plan"])  # quasi-identifiers stay readable
    scores = [r.score for r in result.most_exposed]
    assert scores == sorted(scores, reverse=True)
    columns = {s.column for s in result.slices}
    assert columns == {"churned", "plan"}
    plan_values = {s.value for s in result.slices if s.column == "plan"}
    assert plan_values == set(customers_small["plan"].astype(str))
    assert result.seed == 3 and result.settings["slice_column"] == "plan"
    data = json.loads(result.to_json())
    assert data["attacks"][0]["name"] == "loss" and "versions" in data


def test_reference_attacks_need_a_recipe(customers_small):
    trained = train_model(customers_small, "churned", recipe="logistic_regression", seed=0)
    with pytest.raises(ValueError, match="need its recipe"):
        run_audit(trained.model, trained.members, trained.non_members, "churned", attacks=("lira",))
    with pytest.raises(ValueError, match="label column 'nope'"):
        run_audit(trained.model, trained.members, trained.non_members, "nope", attacks=("loss",))
    with pytest.raises(ValueError, match="slice_column 'zzz'"):
        run_audit(trained.model, trained.members, trained.non_members, "churned", attacks=("loss",),
                  slice_column="zzz")


def test_population_is_used_for_reference_models(customers_small):
    frame = customers_small
    population = frame.iloc[400:].reset_index(drop=True)
    trained = train_model(frame.iloc[:400], "churned", recipe="logistic_regression", seed=0)
    result = run_audit(trained.model, trained.members, trained.non_members, "churned",
                       recipe=get_recipe("logistic_regression"), population=population,
                       attacks=("loss_per_class", "rmia"), reference_models=2, backend="serial")
    assert result.settings["n_population"] == 200
    assert result.attack("rmia_offline").settings["population_size"] == 200
    progress = []
    run_audit(trained.model, trained.members, trained.non_members, "churned", attacks=("loss",),
              progress=lambda f, m: progress.append(f))
    assert progress[-1] == 1.0 and progress == sorted(progress)


def test_detect_identifier_columns_by_name_and_uniqueness(customers_small):
    found = detect_identifier_columns(customers_small.drop(columns=["churned"]))
    assert "email" in found and "order_id" in found and "notes" in found
    assert "plan" not in found and "age" not in found and "sex" not in found


@pytest.mark.slow
def test_joblib_and_ray_give_identical_reference_models():
    from analysis.compute import local_ray

    rng = np.random.default_rng(0)
    import pandas as pd

    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.choice(["x", "y"], 300),
                          "y": rng.integers(0, 2, 300)})
    trained = train_model(frame, "y", recipe="logistic_regression", seed=0)
    recipe = get_recipe("logistic_regression")
    kwargs = dict(recipe=recipe, attacks=("lira",), reference_models=4, seed=1)
    serial = run_audit(trained.model, trained.members, trained.non_members, "y", backend="serial", **kwargs)
    local = run_audit(trained.model, trained.members, trained.non_members, "y", backend="joblib", n_jobs=2,
                      **kwargs)
    with local_ray(num_cpus=2):
        on_ray = run_audit(trained.model, trained.members, trained.non_members, "y", backend="ray", n_jobs=2,
                           **kwargs)
    for other in (local, on_ray):
        for a, b in zip(serial.attacks, other.attacks):
            assert a.auc == b.auc and a.tpr_at_fpr == b.tpr_at_fpr and a.roc_tpr == b.roc_tpr
