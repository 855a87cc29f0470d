"""The Keras MLP recipe (analysis.models.keras_tabular) as an audit target: trained here, retrained
for LiRA reference models through the same recipe."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.attacks.audit import run_audit
from analysis.models.recipes import available_recipes, get_recipe, train_model


@pytest.mark.slow
def test_keras_mlp_target_is_audited_with_lira(noisy_table):
    assert available_recipes()["keras_mlp"] == "Keras MLP"
    recipe = get_recipe("keras_mlp", hidden=(16,), epochs=3, batch_size=64)
    frame = noisy_table.head(400)
    trained = train_model(frame, "y", recipe=recipe, seed=0)
    assert 0 <= trained.test_accuracy <= 1
    result = run_audit(trained.model, trained.members, trained.non_members, "y", recipe=recipe,
                       attacks=("loss", "lira_online"), reference_models=2, backend="serial")
    assert [a.name for a in result.attacks] == ["loss", "lira_online"]
    assert all(np.isfinite(a.auc) for a in result.attacks)
    assert result.settings["recipe"]["name"] == "keras_mlp"
