"""The contract every model in the project meets, whatever trained it.

A model takes the *raw* feature columns of a DataFrame (its preprocessing lives inside it: a
scikit-learn Pipeline, or the Keras tabular wrapper) and returns class probabilities. A recipe knows
how to train a fresh model of the same kind, which is what LiRA/RMIA reference models, DP twins and
federated clients need.
"""

from __future__ import annotations

from typing import Any, Optional, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from analysis.progress import ProgressCallback


@runtime_checkable
class FittedModel(Protocol):
    """A trained classifier over raw feature columns."""

    classes_: np.ndarray  # label values, in the column order of predict_proba

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Shape (n_rows, n_classes), rows sum to 1."""
        ...


@runtime_checkable
class ModelRecipe(Protocol):
    """How to train a model of one kind; `fit` with the same seed and data gives the same model."""

    name: str

    def fit(self, features: pd.DataFrame, labels: np.ndarray, *, seed: int,
            progress: Optional[ProgressCallback] = None) -> FittedModel:
        ...

    def describe(self) -> dict[str, Any]:
        """JSON-able settings of the recipe (for reports and cache keys)."""
        ...


def label_indices(model: FittedModel, labels: np.ndarray) -> np.ndarray:
    """Map label values to column indices of predict_proba; ValueError names unknown labels."""
    lookup = {value: i for i, value in enumerate(model.classes_.tolist())}
    try:
        return np.fromiter((lookup[v] for v in np.asarray(labels).tolist()), dtype=int, count=len(labels))
    except KeyError as exc:
        raise ValueError(f"the label column holds a class the model does not know (it knows "
                         f"{len(model.classes_)}); the values are not shown") from None
