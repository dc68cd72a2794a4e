"""The same answers from Milvus Lite as from FAISS: every gold question, the real model.

The Milvus build reuses the FAISS build's embedding cache (the same model, prompt and
encoder), so it embeds nothing; each question is embedded once and answered over both.
"""

from __future__ import annotations

import json

import pytest

from qa.config import ROOT

GOLD = ROOT / "corpus" / "gold" / "gold.jsonl"


def _gold_questions() -> list[str]:
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


@pytest.mark.slow
def test_gold_answers_are_the_same_with_milvus_lite(engine, tmp_path):
    pytest.importorskip("pymilvus", reason="Milvus tests need the milvus extra: pip install -e '.[milvus]'")
    from qa.answer.pipeline import build_pipeline
    from qa.engine import open_engine
    from qa.index import build_index

    settings = engine.settings.model_copy(
        update={
            "index_dir": tmp_path / "index",
            "vector_store": f"milvus://{tmp_path}/vectors.db",
            "embed_cache_dir": engine.settings.index_dir / ".embed-cache",
        }
    )
    manifest = build_index(settings, engine.embedder, progress=False)
    assert manifest.embedding["embedded"] == 0  # every vector came from the FAISS build's cache
    milvus = open_engine(settings, rebuild=False, embedder=engine.embedder)
    assert milvus.index.manifest.vector_store == settings.vector_store
    over_faiss, over_milvus = build_pipeline(engine), build_pipeline(milvus)
    questions = _gold_questions()
    assert len(questions) >= 200
    found = 0
    for question in questions:
        plan = over_faiss.analyse(question)  # one embedding of the question for both
        answers = []
        for pipeline in (over_faiss, over_milvus):
            retrieval = pipeline.retrieve(plan, 5)
            answers.append(pipeline.compose(plan, pipeline.evidence(plan, retrieval, 5)))
        want, got = answers
        expected = (want.found, want.answer, want.short_answer)
        assert (got.found, got.answer, got.short_answer) == expected, question
        same = [c.model_dump(exclude={"score"}) for c in want.citations]
        assert [c.model_dump(exclude={"score"}) for c in got.citations] == same, question
        assert [c.score for c in got.citations] == pytest.approx([c.score for c in want.citations], abs=1e-5)
        found += want.found
    assert found > len(questions) // 2  # the comparison covers real answers, not refusals only
