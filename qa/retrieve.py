"""Retrieval: dense (FAISS), keyword (BM25 over jieba tokens) and their fusion.

Dense scores a chunk by the better of its own vector and its best sentence's vector:
a chunk mixes several facts, and a question about one of them matches that sentence
far better than the whole chunk. The sentence similarities are kept for the answerer,
so a question is embedded once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from qa.config import SearchMode, Settings
from qa.embed import Embedder
from qa.fusion import bm25_weight, keyword_coverage, rrf, top
from qa.index.store import Index
from qa.schemas import Hit
from qa.text import normalize_query, tokenize

MAX_EMBED_CHARS = 512


@dataclass(frozen=True)
class Query:
    """A question as retrieval uses it: folded text, BM25 tokens and its vector, computed once."""

    text: str
    normalized: str
    tokens: list[str]
    vector: np.ndarray


@dataclass
class Retrieval:
    """Hits best first, plus what the answerer reuses: sentence similarities and tokens."""

    query: str
    mode: SearchMode
    hits: list[Hit]
    sentence_scores: dict[int, float] = field(default_factory=dict)
    query_tokens: list[str] = field(default_factory=list)
    bm25_weight: float = 0.0
    query_vector: np.ndarray | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


class Retriever(Protocol):
    def retrieve(self, query: str | Query, top_k: int, mode: SearchMode | None = None) -> Retrieval: ...


class HybridRetriever:
    """Dense + BM25 over one loaded index; read-only, so safe to share across requests."""

    def __init__(self, index: Index, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def query(self, text: str, vector: np.ndarray | None = None) -> Query:
        """Fold, tokenize and embed a question once; every mode embeds it, because the answerer
        scores sentences densely even when chunks were ranked by BM25 alone."""
        normalized = normalize_query(text)
        if vector is None:
            # A question of thousands of characters would cost seconds to embed and hold a
            # worker; its first few hundred characters carry what retrieval can use.
            vector = self.embedder.encode_queries([normalized[:MAX_EMBED_CHARS]])
        return Query(text, normalized, tokenize(normalized), vector)

    def retrieve(
        self,
        query: str | Query,
        top_k: int,
        mode: SearchMode | None = None,
        query_vector: np.ndarray | None = None,
    ) -> Retrieval:
        mode = SearchMode(mode or self.settings.search_mode)
        timings: dict[str, float] = {}
        began = time.perf_counter()
        if isinstance(query, str):
            query = self.query(query, query_vector)
            timings["embed"] = (time.perf_counter() - began) * 1000
        tokens = query.tokens
        result = Retrieval(query=query.text, mode=mode, hits=[], query_tokens=tokens)
        n_candidates = max(self.settings.candidate_k, top_k)
        query_vector = query.vector
        result.query_vector = query_vector
        began = time.perf_counter()
        dense_scores, result.sentence_scores = self._dense(query_vector, n_candidates)
        dense_rank = [k for k, _ in top(dense_scores, n_candidates)]
        timings["dense"] = (time.perf_counter() - began) * 1000

        bm25_rank: list[str] = []
        bm25_scores: dict[str, float] = {}
        if mode in (SearchMode.BM25, SearchMode.HYBRID):
            began = time.perf_counter()
            bm25_scores = self._bm25(tokens, n_candidates)
            bm25_rank = [k for k, _ in top(bm25_scores, n_candidates)]
            timings["bm25"] = (time.perf_counter() - began) * 1000

        if mode is SearchMode.DENSE:
            ranked = top(dense_scores, top_k)
        elif mode is SearchMode.BM25:
            ranked = top(bm25_scores, top_k)
        else:
            result.bm25_weight = bm25_weight(keyword_coverage(tokens, self.index.vocabulary))
            fused = rrf([dense_rank, bm25_rank], [1.0, result.bm25_weight], k=self.settings.rrf_k)
            ranked = top(fused, top_k)
        result.hits = [self._hit(chunk_id, score) for chunk_id, score in ranked]
        result.timings_ms = {k: round(v, 3) for k, v in timings.items()}
        return result

    def _dense(self, query_vector: np.ndarray, n: int) -> tuple[dict[str, float], dict[int, float]]:
        index = self.index
        chunk_scores: dict[str, float] = {}
        sims, ids = index.chunk_vectors.search(query_vector, min(n, index.chunk_vectors.ntotal))
        for sim, i in zip(sims[0], ids[0], strict=True):
            if i >= 0:
                chunk_scores[index.chunks[i].chunk_id] = float(sim)
        n_sent = min(max(n * 4, 50), index.sentence_vectors.ntotal)
        sims, ids = index.sentence_vectors.search(query_vector, n_sent)
        sentence_scores = {int(i): float(s) for s, i in zip(sims[0], ids[0], strict=True) if i >= 0}
        for i, sim in sentence_scores.items():
            for chunk_id in _chunks_of_sentence(index, i):
                if sim > chunk_scores.get(chunk_id, -1.0):
                    chunk_scores[chunk_id] = sim
        return chunk_scores, sentence_scores

    def _bm25(self, tokens: list[str], n: int) -> dict[str, float]:
        known = [t for t in tokens if t in self.index.vocabulary]
        if not known:
            return {}
        scores = self.index.bm25.get_scores(known)
        order = np.argsort(-scores)[:n]
        return {self.index.chunks[i].chunk_id: float(scores[i]) for i in order if scores[i] > 0}

    def _hit(self, chunk_id: str, score: float) -> Hit:
        chunk = self.index.chunks[self.index.chunk_pos[chunk_id]]
        return Hit(
            chunk_id=chunk.chunk_id,
            doc_id=chunk.doc_id,
            title=self.index.documents[chunk.doc_id].title,
            section=chunk.section,
            text=chunk.text,
            start=chunk.start,
            end=chunk.end,
            score=round(score, 6),
        )


def _chunks_of_sentence(index: Index, sentence_pos: int) -> list[str]:
    return index.chunk_ids_of_sentence.get(sentence_pos, [])
