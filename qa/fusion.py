"""Ranking math: pure functions, so they can be tested without a model or an index.

Hybrid retrieval fuses the dense and BM25 rankings by weighted reciprocal-rank fusion.
The BM25 weight is the share of the query's keywords that occur anywhere in the corpus
vocabulary: an English question over Chinese text matches almost nothing, so BM25 gets
(almost) no say and cannot drag the dense ranking down; a Chinese keyword query matches
fully and gets an equal vote.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def rrf(
    rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None, k: int = 60
) -> dict[str, float]:
    """Weighted reciprocal-rank fusion: sum of w / (k + rank) over rankings (rank from 1)."""
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if weight <= 0:
            continue
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return scores


def keyword_coverage(query_tokens: Iterable[str], vocabulary: set[str] | frozenset[str]) -> float:
    """Share of distinct query tokens the corpus knows; 0 for a query with no tokens."""
    distinct = set(query_tokens)
    if not distinct:
        return 0.0
    return sum(1 for t in distinct if t in vocabulary) / len(distinct)


def bm25_weight(coverage: float, floor: float = 0.5) -> float:
    """BM25's vote in the fusion: nothing below ``floor`` coverage, then rising to 1.

    Below half coverage the matched words are incidental (a "5G" in an English question),
    and letting them vote is what made equal-weight fusion hurt English questions.
    """
    if coverage < floor:
        return 0.0
    return (coverage - floor) / (1 - floor) if floor < 1 else 1.0


def top(scores: dict[str, float], n: int) -> list[tuple[str, float]]:
    """The n best keys, ties broken by key so results are stable."""
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
