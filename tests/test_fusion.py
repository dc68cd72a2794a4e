"""Ranking math: weighted RRF, keyword coverage, BM25 weight, stable top-n."""

from __future__ import annotations

from itertools import pairwise

import pytest

from qa.fusion import bm25_weight, keyword_coverage, rrf, top


def test_rrf_single_ranking():
    scores = rrf([["a", "b", "c"]], k=60)
    assert scores == pytest.approx({"a": 1 / 61, "b": 1 / 62, "c": 1 / 63})


def test_rrf_two_rankings_hand_computed():
    scores = rrf([["a", "b", "c"], ["c", "a", "d"]], k=1)
    # a: 1/(1+1) + 1/(1+2); b: 1/(1+2); c: 1/(1+3) + 1/(1+1); d: 1/(1+3)
    assert scores == pytest.approx({"a": 0.5 + 1 / 3, "b": 1 / 3, "c": 0.25 + 0.5, "d": 0.25})
    assert [key for key, _ in top(scores, 4)] == ["a", "c", "b", "d"]


def test_rrf_default_k_and_weights():
    scores = rrf([["x"], ["x"]])
    assert scores["x"] == pytest.approx(2 / 61)


def test_rrf_weights():
    scores = rrf([["a", "b"], ["b", "a"]], weights=[2.0, 0.5], k=10)
    assert scores["a"] == pytest.approx(2 / 11 + 0.5 / 12)
    assert scores["b"] == pytest.approx(2 / 12 + 0.5 / 11)
    assert scores["a"] > scores["b"]


def test_rrf_equal_weights_tie_on_mirrored_rankings():
    scores = rrf([["a", "b"], ["b", "a"]], weights=[1.0, 1.0], k=60)
    assert scores["a"] == pytest.approx(scores["b"])
    assert top(scores, 2)[0][0] == "a"  # tie broken by key


@pytest.mark.parametrize("weight", [0.0, -1.0])
def test_rrf_zero_or_negative_weight_ignores_ranking(weight):
    scores = rrf([["a", "b"], ["z", "b", "y"]], weights=[1.0, weight], k=60)
    assert scores == pytest.approx({"a": 1 / 61, "b": 1 / 62})
    assert "z" not in scores and "y" not in scores
    assert scores == rrf([["a", "b"]], k=60)


def test_rrf_weight_count_must_match():
    with pytest.raises(ValueError):
        rrf([["a"], ["b"]], weights=[1.0])


def test_rrf_empty():
    assert rrf([]) == {}
    assert rrf([[], []], weights=[1.0, 1.0]) == {}


def test_rrf_order_preserving_for_one_ranking():
    ranking = [f"c{i:02d}" for i in range(30)]
    assert [k for k, _ in top(rrf([ranking]), 30)] == ranking


def test_rrf_scaled_weight_scales_scores():
    once = rrf([["a", "b"]], weights=[1.0], k=5)
    twice = rrf([["a", "b"]], weights=[3.0], k=5)
    for key in once:
        assert twice[key] == pytest.approx(3 * once[key])


# --- keyword coverage ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "vocab", "expected"),
    [
        ([], {"a"}, 0.0),
        (["a"], set(), 0.0),
        (["a", "b"], {"a", "b", "c"}, 1.0),
        (["a", "b", "c", "d"], {"a"}, 0.25),
        (["a", "a", "a", "b"], {"a"}, 0.5),  # distinct tokens count once
        (["x", "y", "z"], frozenset({"y", "z"}), 2 / 3),
    ],
)
def test_keyword_coverage(tokens, vocab, expected):
    assert keyword_coverage(tokens, vocab) == pytest.approx(expected)


def test_keyword_coverage_accepts_iterators():
    assert keyword_coverage(iter(["a", "b"]), {"a"}) == pytest.approx(0.5)


# --- bm25 weight --------------------------------------------------------------------------


def test_bm25_weight_endpoints():
    assert bm25_weight(0.0) == 0.0
    assert bm25_weight(1.0) == pytest.approx(1.0)
    assert bm25_weight(0.5) == pytest.approx(0.0)
    assert bm25_weight(0.49) == 0.0
    assert bm25_weight(0.75) == pytest.approx(0.5)


def test_bm25_weight_custom_floor():
    assert bm25_weight(0.2, floor=0.0) == pytest.approx(0.2)
    assert bm25_weight(0.6, floor=0.2) == pytest.approx(0.5)
    assert bm25_weight(0.99, floor=1.0) == 0.0
    assert bm25_weight(1.0, floor=1.0) == 1.0


@pytest.mark.parametrize("floor", [0.0, 0.3, 0.5, 0.8])
def test_bm25_weight_monotonic_and_bounded(floor):
    grid = [i / 100 for i in range(101)]
    values = [bm25_weight(c, floor) for c in grid]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(a <= b for a, b in pairwise(values))
    assert values[-1] == pytest.approx(1.0)


# --- top ----------------------------------------------------------------------------------


def test_top_orders_by_score_then_key():
    scores = {"b": 1.0, "a": 1.0, "c": 2.0, "d": 0.5}
    assert top(scores, 10) == [("c", 2.0), ("a", 1.0), ("b", 1.0), ("d", 0.5)]


def test_top_is_stable_regardless_of_insertion_order():
    first = {"x": 0.1, "y": 0.1, "z": 0.1, "w": 0.3}
    second = dict(reversed(list(first.items())))
    assert top(first, 3) == top(second, 3) == [("w", 0.3), ("x", 0.1), ("y", 0.1)]


def test_top_n_bounds():
    scores = {"a": 3.0, "b": 2.0, "c": 1.0}
    assert top(scores, 0) == []
    assert top(scores, 2) == [("a", 3.0), ("b", 2.0)]
    assert len(top(scores, 100)) == 3
    assert top({}, 5) == []
