import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.engine.certainty import THRESHOLD, combine, combine_all, satisfies

cf = st.floats(min_value=-1, max_value=1, allow_nan=False)


def test_both_positive():
    assert combine(0.6, 0.5) == pytest.approx(0.8)


def test_both_negative():
    assert combine(-0.6, -0.5) == pytest.approx(-0.8)


def test_mixed_signs():
    assert combine(0.8, -0.5) == pytest.approx(0.6)
    assert combine(-0.8, 0.5) == pytest.approx(-0.6)


def test_certain_for_and_against_cancel():
    assert combine(1.0, -1.0) == 0.0
    assert combine_all([1.0, -1.0, 0.5]) == 0.0


def test_minus_one_rules_out_against_any_lesser_evidence():
    assert combine(-1.0, 0.99) == -1.0
    assert combine_all([0.9, 0.9, 0.9, -1.0]) == -1.0


def test_zero_and_empty():
    assert combine(0.0, 0.4) == pytest.approx(0.4)
    assert combine_all([]) == 0.0
    assert combine_all([0.7]) == 0.7


def test_threshold():
    assert THRESHOLD == 0.2
    assert not satisfies(0.2)
    assert satisfies(0.21)
    assert not satisfies(-0.9)


@given(cf, cf)
def test_commutative_and_bounded(a, b):
    assert combine(a, b) == pytest.approx(combine(b, a))
    assert -1.0 <= combine(a, b) <= 1.0


@given(st.lists(cf, max_size=5))
def test_pooling_ignores_order(values):
    results = {round(combine_all(p), 9) for p in itertools.permutations(values)}
    assert len(results) == 1
