"""Retrieval logic over a real index of the report, with a fake (model-free) embedder.

The fake embedder's vectors are hashed character n-grams, so dense ranking here is only
a stand-in; these tests check the wiring (modes, fusion, hit records, normalization),
not retrieval quality, which tests/test_retrieval_quality.py checks with the real model.
"""

from __future__ import annotations

import numpy as np
import pytest
from fakes import FakeEmbedder

from qa.config import SearchMode, Settings
from qa.fusion import rrf, top
from qa.index import build_index, load_index
from qa.retrieve import HybridRetriever

ZH_QUERY = "重庆和成都的互联网直联带宽有多大?"
EN_QUERY = "What is the direct-link bandwidth between Chongqing and Chengdu?"


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    settings = Settings(index_dir=tmp_path_factory.mktemp("retrieve") / "index", _env_file=None)
    embedder = FakeEmbedder()
    build_index(settings, embedder, progress=False)
    return HybridRetriever(load_index(settings.index_dir), embedder, settings)


def ids(retrieval):
    return [h.chunk_id for h in retrieval.hits]


@pytest.mark.parametrize("mode", list(SearchMode))
def test_hits_are_well_formed(retriever, mode):
    result = retriever.retrieve(ZH_QUERY, 5, mode)
    assert result.mode is mode
    assert len(result.hits) == 5
    assert len(set(ids(result))) == 5
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    index = retriever.index
    for hit in result.hits:
        doc = index.documents[hit.doc_id]
        assert doc.text[hit.start : hit.end] == hit.text
        assert hit.title == doc.title
        assert hit.section == doc.section_at(hit.start).title
        assert hit.chunk_id in index.chunk_pos


def test_mode_given_as_string(retriever):
    as_text = retriever.retrieve(ZH_QUERY, 3, "bm25")
    assert ids(as_text) == ids(retriever.retrieve(ZH_QUERY, 3, SearchMode.BM25))


def test_default_mode_from_settings(retriever):
    assert retriever.retrieve(ZH_QUERY, 3).mode is retriever.settings.search_mode


@pytest.mark.parametrize("k", [1, 3, 10])
def test_top_k(retriever, k):
    assert len(retriever.retrieve(ZH_QUERY, k, "hybrid").hits) == k


def test_top_k_above_candidate_k(retriever):
    settings = retriever.settings.model_copy(update={"candidate_k": 3})
    narrow = HybridRetriever(retriever.index, retriever.embedder, settings)
    assert len(narrow.retrieve(ZH_QUERY, 8, "dense").hits) == 8


def test_bm25_finds_the_bandwidth_chunk(retriever):
    result = retriever.retrieve(ZH_QUERY, 3, "bm25")
    assert "9540GB" in result.hits[0].text
    assert {"重庆", "成都", "直联", "带宽"} <= set(result.query_tokens)


def test_traditional_query_matches_like_simplified(retriever):
    traditional = retriever.retrieve("重慶和成都的互聯網直聯帶寬有多大?", 5, "bm25")
    simplified = retriever.retrieve(ZH_QUERY, 5, "bm25")
    assert ids(traditional) == ids(simplified)
    assert traditional.query_tokens == simplified.query_tokens


def test_fullwidth_query_matches_halfwidth(retriever):
    wide = retriever.retrieve("１０Ｇ－ＰＯＮ端口", 5, "bm25")
    assert ids(wide) == ids(retriever.retrieve("10G-PON端口", 5, "bm25"))


def test_chinese_keyword_query_gives_bm25_full_weight(retriever):
    result = retriever.retrieve(ZH_QUERY, 5, "hybrid")
    assert result.bm25_weight == pytest.approx(1.0)


def test_english_query_gives_bm25_no_weight_and_hybrid_equals_dense(retriever):
    hybrid = retriever.retrieve(EN_QUERY, 10, "hybrid")
    dense = retriever.retrieve(EN_QUERY, 10, "dense")
    assert hybrid.bm25_weight == 0.0
    assert ids(hybrid) == ids(dense)


@pytest.mark.parametrize(
    ("query", "weight"),
    [("5G基站数和千兆城市", 1.0), ("5G基站千兆火星", 0.5), ("5G火星木星土星", 0.0)],
)
def test_hybrid_is_weighted_rrf_of_dense_and_bm25(retriever, query, weight):
    n = retriever.settings.candidate_k
    dense_rank = ids(retriever.retrieve(query, n, "dense"))
    bm25_rank = ids(retriever.retrieve(query, n, "bm25"))
    hybrid = retriever.retrieve(query, 5, "hybrid")
    assert hybrid.bm25_weight == pytest.approx(weight)
    fused = rrf([dense_rank, bm25_rank], [1.0, hybrid.bm25_weight], k=retriever.settings.rrf_k)
    expected = top(fused, 5)
    assert ids(hybrid) == [key for key, _ in expected]
    assert [h.score for h in hybrid.hits] == pytest.approx([score for _, score in expected], abs=1e-6)


def test_stopword_only_query(retriever):
    assert retriever.retrieve("是什么?", 5, "bm25").hits == []
    result = retriever.retrieve("是什么?", 5, "hybrid")
    assert result.query_tokens == []
    assert result.bm25_weight == 0.0
    assert len(result.hits) == 5  # dense still answers


def test_unknown_words_only_query(retriever):
    result = retriever.retrieve("zzzqqq xyzzy", 5, "bm25")
    assert result.hits == []


def test_query_vector_is_reused(retriever):
    embedder = retriever.embedder
    vector = embedder.encode_queries([ZH_QUERY])
    before = embedder.calls["queries"]
    with_vector = retriever.retrieve(ZH_QUERY, 5, "dense", query_vector=vector)
    assert embedder.calls["queries"] == before
    assert ids(with_vector) == ids(retriever.retrieve(ZH_QUERY, 5, "dense"))


def test_bm25_mode_ranks_by_bm25_alone(retriever):
    result = retriever.retrieve(ZH_QUERY, 5, "bm25")
    known = [t for t in result.query_tokens if t in retriever.index.vocabulary]
    scores = retriever.index.bm25.get_scores(known)
    expected = sorted(range(len(scores)), key=lambda i: (-scores[i], retriever.index.chunks[i].chunk_id))[:5]
    assert ids(result) == [retriever.index.chunks[i].chunk_id for i in expected]
    assert [h.score for h in result.hits] == pytest.approx([float(scores[i]) for i in expected], abs=1e-5)


def test_dense_score_is_at_least_the_chunk_similarity(retriever):
    index = retriever.index
    vector = retriever.embedder.encode_queries([ZH_QUERY])
    result = retriever.retrieve(ZH_QUERY, 5, "dense", query_vector=vector)
    for hit in result.hits:
        own = float(np.dot(index.chunk_vectors.reconstruct(index.chunk_pos[hit.chunk_id]), vector[0]))
        assert hit.score >= own - 1e-5


def test_sentence_scores_point_at_sentences(retriever):
    result = retriever.retrieve(ZH_QUERY, 5, "hybrid")
    assert result.sentence_scores
    n = len(retriever.index.sentences)
    assert all(0 <= i < n for i in result.sentence_scores)
    assert all(-1.0001 <= s <= 1.0001 for s in result.sentence_scores.values())


def test_timings_reported(retriever):
    result = retriever.retrieve(ZH_QUERY, 5, "hybrid")
    assert {"embed", "dense", "bm25"} <= set(result.timings_ms)
    assert all(v >= 0 for v in result.timings_ms.values())


def test_retrieval_is_deterministic(retriever):
    first = retriever.retrieve(ZH_QUERY, 10, "hybrid")
    second = retriever.retrieve(ZH_QUERY, 10, "hybrid")
    assert [h.model_dump() for h in first.hits] == [h.model_dump() for h in second.hits]
