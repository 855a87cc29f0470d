"""The blind baseline: how well the text alone, without the model, separates members from non-members.

A TF-IDF (words and word pairs) + logistic regression classifier, scored out of fold (stratified
5-fold cross-validation). When members and non-members were drawn at random from one pool its AUC is
near 0.5; a higher AUC means the split itself differs (dates, sources, templates), and an attack on the
model must beat this baseline before its figure means leakage.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from analysis.attacks.metrics import AttackResult, membership_metrics

NAME = "blind baseline (text only)"


def blind_baseline(members: Sequence[str], non_members: Sequence[str], *, seed: int = 0) -> AttackResult:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    texts = [str(t) for t in members] + [str(t) for t in non_members]
    truth = np.concatenate([np.ones(len(members), int), np.zeros(len(non_members), int)])
    folds = min(5, int(min(len(members), len(non_members))))
    if folds < 2:
        raise ValueError("the blind baseline needs at least 2 members and 2 non-members")
    pipeline = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                             LogisticRegression(C=1.0, solver="liblinear"))
    scores = cross_val_predict(pipeline, texts, truth, method="predict_proba",
                               cv=StratifiedKFold(folds, shuffle=True, random_state=seed))[:, 1]
    return membership_metrics(scores, truth, name=NAME,
                              description="TF-IDF of words and word pairs + logistic regression on the text alone, "
                                          f"{folds}-fold cross-validated; no model involved")
