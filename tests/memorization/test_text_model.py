"""The character model's scores and decoding, and exposure of canaries in a small trained model.

One small non-private model (a few hundred notes, |R| = 1000, a few epochs) is trained once for the
module; every exposure claim of the issue is checked on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.memorization.canaries import SecretSpace, insert_canaries, make_canaries
from analysis.memorization.exposure import EXACT, SKEW_NORMAL, random_rank_exposure
from analysis.memorization.run import measure_text_canary
from analysis.memorization.text_model import END, PAD, build_vocabulary, make_windows, train_char_lm

SPACE = SecretSpace(1000)


def test_windows_hold_the_previous_characters_and_the_next_one():
    vocab = build_vocabulary(["abc"])
    x, y = make_windows(["abc", "b"], vocab, context=4)
    a, b, c = vocab.encode("abc")
    assert x.shape == (6, 4) and y.tolist() == [a, b, c, END, b, END]
    assert x[0].tolist() == [PAD] * 4 and x[3].tolist() == [PAD, a, b, c]
    assert set("0123456789") <= set(vocab.chars)


@pytest.fixture(scope="module")
def trained(customers_path):
    notes = pd.read_csv(customers_path)["notes"].dropna().astype(str).sample(n=250, random_state=0).tolist()
    canaries = make_canaries(SPACE, (1, 64), per_repeat=2, controls=10, seed=0)
    lines = insert_canaries(notes, canaries, SPACE, seed=0)
    lm, result = train_char_lm(lines, context=24, embedding_dim=16, hidden_units=128, epochs=5,
                               batch_size=128, learning_rate=3e-3, dp=None, seed=0)
    return lm, canaries, result


def test_scoring_the_whole_space_matches_scoring_each_candidate(trained):
    lm, canaries, _ = trained
    prefix = canaries[0].prefix
    every = lm.score_all(prefix, SPACE)
    some = np.array([0, 7, 123, 999])
    assert every.shape == (1000,)
    np.testing.assert_allclose(every[some], lm.score_values(prefix, some, SPACE), rtol=1e-5)


def test_exhaustive_beam_finds_the_most_likely_candidate(trained):
    lm, canaries, _ = trained
    prefix = canaries[3].prefix
    best = int(np.argmin(lm.score_all(prefix, SPACE)))
    assert lm.beam_decode(prefix, SPACE, width=100) == SPACE.format(best)


def test_never_inserted_canaries_score_like_a_random_rank(trained):
    lm, canaries, _ = trained
    controls = [measure_text_canary(lm, c, SPACE, method=EXACT) for c in canaries if c.repeats == 0]
    mean = float(np.mean([c.exposure for c in controls]))
    assert 0.5 <= mean <= 2.5, mean  # random rank: 1.44 bits
    assert not any(c.extracted for c in controls)
    assert random_rank_exposure(SPACE.size) == pytest.approx(1.44, abs=0.02)


def test_canaries_inserted_64_times_reach_nearly_full_exposure_and_are_extracted(trained):
    lm, canaries, _ = trained
    heavy = [measure_text_canary(lm, c, SPACE, method=EXACT) for c in canaries if c.repeats == 64]
    for canary in heavy:
        assert canary.exposure >= SPACE.bits - 1.0
        assert canary.extracted and canary.greedy_extracted


def test_skew_normal_estimate_agrees_with_exact_rank_on_the_model(trained):
    lm, canaries, _ = trained
    for canary in canaries:
        exact = measure_text_canary(lm, canary, SPACE, method=EXACT)
        estimate = measure_text_canary(lm, canary, SPACE, method=SKEW_NORMAL, sample_size=400, seed=1)
        assert estimate.method == SKEW_NORMAL and exact.method == EXACT
        if exact.rank > 10:  # the bulk of the distribution, where the fit is reliable
            assert estimate.exposure == pytest.approx(exact.exposure, abs=0.5)
        else:  # the far tail lies beyond the sample: the fit still says "near the top", within 2 bits
            assert estimate.exposure == pytest.approx(exact.exposure, abs=2.0)
