"""Retrieval quality with the real model over the real report (slow).

Reads tests/data/retrieval_questions.jsonl (id, question, language, answers, evidence):
for every question the evidence must lie inside one of the top-3 hybrid hits, and for
English questions fusing BM25 in must not push the evidence down below its dense rank.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from qa.text import normalize_query

pytestmark = pytest.mark.slow

QUESTIONS_FILE = Path(__file__).resolve().parent / "data" / "retrieval_questions.jsonl"
TOP_N = 3
RANK_DEPTH = 10

# Questions the current product misses, as strict xfails: the miss shows in the summary,
# and a fix turns it into an XPASS failure that asks for the entry to be removed.
KNOWN_MISSES: dict[str, str] = {
    "zh-305": (
        "evidence at hybrid rank 5 = dense rank 5 although BM25 alone ranks it first: only 3 of "
        "the 7 query tokens (按 人口 算 重庆 5g 基站 密度) are in the corpus vocabulary, so "
        "keyword coverage 0.43 < 0.5 gives bm25_weight 0 and BM25 gets no vote"
    ),
}


def _load() -> list[dict]:
    if not QUESTIONS_FILE.is_file():
        return []
    lines = QUESTIONS_FILE.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [r for r in rows if r.get("evidence")]


QUESTIONS = _load()


def _params(rows: list[dict]) -> list:
    params = []
    for row in rows:
        marks = []
        if row["id"] in KNOWN_MISSES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[row["id"]]))
        params.append(pytest.param(row, id=row["id"], marks=marks))
    return params


ALL = _params(QUESTIONS)
ENGLISH = [pytest.param(r, id=r["id"]) for r in QUESTIONS if r["language"] == "en"]


def test_questions_file_present():
    assert QUESTIONS_FILE.is_file(), f"{QUESTIONS_FILE} is missing"
    assert len(QUESTIONS) >= 10
    assert {r["language"] for r in QUESTIONS} == {"zh", "en"}


@cache
def _ranked(engine_id: int, question: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Texts of the top hybrid and dense hits; the question is embedded once for both."""
    engine = _ENGINES[engine_id]
    vector = engine.embedder.encode_queries([normalize_query(question)])
    retriever = engine.retriever
    hybrid = retriever.retrieve(question, RANK_DEPTH, "hybrid", query_vector=vector).hits
    dense = retriever.retrieve(question, RANK_DEPTH, "dense", query_vector=vector).hits
    return tuple(h.text for h in hybrid), tuple(h.text for h in dense)


_ENGINES: dict[int, object] = {}


def ranked(engine, question: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    _ENGINES[id(engine)] = engine
    return _ranked(id(engine), question)


def rank_of(texts: tuple[str, ...], evidence: str) -> int | None:
    for rank, text in enumerate(texts, start=1):
        if evidence in text:
            return rank
    return None


@pytest.mark.parametrize("row", [pytest.param(r, id=r["id"]) for r in QUESTIONS])
def test_evidence_is_inside_one_chunk(engine, row):
    """A data/chunking check, so that a ranking failure below is a ranking failure."""
    assert any(row["evidence"] in c.text for c in engine.index.chunks), (
        f"{row['id']}: evidence is in no single chunk: {row['evidence']!r}"
    )


@pytest.mark.parametrize("row", ALL)
def test_evidence_in_top_hybrid_hits(engine, row):
    hybrid, dense = ranked(engine, row["question"])
    rank = rank_of(hybrid, row["evidence"])
    assert rank is not None and rank <= TOP_N, (
        f"{row['id']} {row['question']!r}: evidence {row['evidence']!r} at hybrid rank {rank}, "
        f"dense rank {rank_of(dense, row['evidence'])} (need <= {TOP_N})"
    )


@pytest.mark.parametrize("row", ENGLISH)
def test_english_hybrid_not_worse_than_dense(engine, row):
    hybrid, dense = ranked(engine, row["question"])
    h = rank_of(hybrid, row["evidence"]) or RANK_DEPTH + 1
    d = rank_of(dense, row["evidence"]) or RANK_DEPTH + 1
    assert h <= d, f"{row['id']}: hybrid rank {h} is worse than dense rank {d}"


# --- the acceptance, in-process ------------------------------------------------------


def test_acceptance_chinese_first_hit(engine):
    hits = engine.retriever.retrieve("重庆和成都的互联网直联带宽有多大?", 5, "hybrid").hits
    assert "9540GB" in hits[0].text


def test_acceptance_english_top3(engine):
    hits = engine.retriever.retrieve(
        "What is the direct-link bandwidth between Chongqing and Chengdu?", 5, "hybrid"
    ).hits
    assert any("9540GB" in h.text for h in hits[:3])
