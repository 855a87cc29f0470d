"""Model errors as messages that name the column and the kind of problem, never a cell value.

Libraries put the offending value in their messages ("could not convert string to float:
'ann.secret@example.com'"); those messages reach the page, the CLI and CI logs. `value_free` keeps
the exception type and the wording before the first quoted value, list, colon or bracket.
`scoring_error` also finds the column: it replaces one text column at a time with zeros and
scores again; the column whose replacement makes scoring work is the one the model cannot read.
"""

from __future__ import annotations

import re
from typing import Callable

import pandas as pd

_CUT = re.compile(r"[:'\"\[\]{}()<>=]")


def value_free(exc: BaseException) -> str:
    """`Type: wording` with everything from the first quote, bracket or colon on removed."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = _CUT.split(text, maxsplit=1)[0].strip(" ,.;")[:120]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def problem_kind(exc: BaseException) -> str:
    text = str(exc).lower()
    if "convert" in text or "invalid literal" in text or "could not" in text and "float" in text:
        return "holds text where the model expects numbers"
    if "unknown categor" in text:
        return "holds categories the model never saw"
    if "nan" in text or "missing" in text or "infinity" in text:
        return "holds missing or infinite values the model cannot take"
    return "holds values the model cannot read"


def scoring_error(exc: BaseException, model_name: str, features: pd.DataFrame,
                  score: Callable[[pd.DataFrame], object]):
    """A ModelLoadError for a model that failed to score `features`, naming the column when one is found."""
    from analysis.models.gate import ModelLoadError

    for column in features.columns:
        series = features[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        try:
            score(features.assign(**{str(column): 0.0}))
        except Exception:
            continue
        return ModelLoadError(f"the model '{model_name}' could not score the data: column {str(column)!r} "
                              f"{problem_kind(exc)} ({value_free(exc)}).")
    return ModelLoadError(f"the model '{model_name}' could not score the data's rows ({value_free(exc)}); "
                          "check that each column has the type the model was trained on.")
