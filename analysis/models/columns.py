"""The numeric feature columns a model without column names is fed, shared by every model kind."""

from __future__ import annotations

import numpy as np
import pandas as pd


def numeric_columns(features: pd.DataFrame) -> list[str]:
    return [str(c) for c in features.columns
            if pd.api.types.is_numeric_dtype(features[c]) or pd.api.types.is_bool_dtype(features[c])]


def numeric_matrix(features: pd.DataFrame, columns: list[str]) -> np.ndarray:
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise ValueError(f"numeric column(s) {missing} missing from the input")
    return features[columns].astype("float64").fillna(0.0).to_numpy(dtype=np.float32)
