"""Canary generation and insertion: seeded, distinct, in the declared format and counts."""

from __future__ import annotations

import pytest

from analysis.memorization.canaries import (SecretSpace, format_example, insert_canaries, make_canaries,
                                            validate_repeats)


def test_secret_space_digits_bits_and_format():
    space = SecretSpace(10**4)
    assert space.digits == 4 and space.bits == pytest.approx(13.2877, abs=1e-3)
    assert space.format(7) == "0007"
    assert space.parse("0042") == 42 and space.parse("42") is None and space.parse("12a4") is None
    odd = SecretSpace(500)
    assert odd.digits == 3 and odd.parse("499") == 499 and odd.parse("500") is None


@pytest.mark.parametrize("size", [5, 10**10, 1000.5, "1000"])
def test_secret_space_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="secret_space_size"):
        SecretSpace(size)


def test_canaries_are_seeded_distinct_and_cover_each_repeat():
    space = SecretSpace(1000)
    first = make_canaries(space, (1, 4, 16), per_repeat=2, controls=3, seed=7)
    again = make_canaries(space, (16, 4, 1), per_repeat=2, controls=3, seed=7)
    other = make_canaries(space, (1, 4, 16), per_repeat=2, controls=3, seed=8)
    assert first == again and first != other
    assert [c.repeats for c in first] == [0, 0, 0, 1, 1, 4, 4, 16, 16]
    assert len({c.tag for c in first}) == len(first)
    assert all(0 <= c.secret < 1000 for c in first)
    assert format_example(space) == "my pin for xxxx is ###."


def test_insertion_puts_each_canary_in_exactly_repeats_times():
    space = SecretSpace(1000)
    canaries = make_canaries(space, (1, 4), per_repeat=1, controls=1, seed=0)
    texts = [f"note {i}" for i in range(50)]
    lines = insert_canaries(texts, canaries, space, seed=0)
    assert len(lines) == 55 and sorted(t for t in lines if t.startswith("note")) == sorted(texts)
    for canary in canaries:
        assert lines.count(canary.text(space)) == canary.repeats


@pytest.mark.parametrize("repeats", [(), (0, 4), (4, 4), (1.5,), ("x",)])
def test_repeats_must_be_distinct_positive_integers(repeats):
    with pytest.raises(ValueError, match="repeats"):
        validate_repeats(repeats)
