"""Vector stores: QA_VECTOR_STORE is checked at start, and a build in Milvus Lite (a real
Milvus, in a file) retrieves exactly what the same build in FAISS retrieves."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from fakes import FakeEmbedder
from pydantic import ValidationError

from qa.config import ROOT, Settings, get_settings
from qa.errors import ConfigError
from qa.index import build_index, current_build_dir, load_index
from qa.index.build import expected_state, vector_store
from qa.retrieve import HybridRetriever

REPORT = ROOT / "corpus" / "cq-ict-14th-five-year-review.txt"
QUESTIONS = ["5G基站有多少个?", "重庆和成都两地直联带宽达到多少?", "千兆光网覆盖", "What is the bandwidth?"]


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("faiss", "faiss"),
        ("", "faiss"),
        ("milvus:///srv/qa/vectors.db", "milvus:///srv/qa/vectors.db"),
        ("http://milvus:19530/", "http://milvus:19530"),
    ],
)
def test_store_urls_accepted(value, stored):
    assert Settings(vector_store=value, _env_file=None).vector_store == stored


@pytest.mark.parametrize("value", ["redis://x:6379", "milvus:///srv/qa/vectors", "milvus://", "http://"])
def test_bad_store_urls_are_refused_naming_the_variable(value, monkeypatch):
    monkeypatch.setenv("QA_VECTOR_STORE", value)
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="QA_VECTOR_STORE"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_milvus_lite_is_one_process_so_one_worker():
    with pytest.raises(ValidationError, match="QA_WORKERS"):
        Settings(vector_store="milvus:///tmp/v.db", workers=2, _env_file=None)
    assert Settings(vector_store="http://milvus:19530", workers=2, _env_file=None).workers == 2


@pytest.fixture
def two_builds(tmp_path):
    """The report built once into FAISS and once into Milvus Lite, with the same fake model."""
    pytest.importorskip("pymilvus", reason="Milvus tests need the milvus extra: pip install -e '.[milvus]'")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPORT, corpus / REPORT.name)
    faiss_settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "faiss", _env_file=None)
    milvus_settings = faiss_settings.model_copy(
        update={"index_dir": tmp_path / "milvus", "vector_store": f"milvus://{tmp_path}/vectors.db"}
    )
    embedder = FakeEmbedder()
    for settings in (faiss_settings, milvus_settings):
        build_index(settings, embedder, progress=False)
    return faiss_settings, milvus_settings, embedder


def test_milvus_lite_retrieves_what_faiss_retrieves(two_builds):
    faiss_settings, milvus_settings, embedder = two_builds
    store = vector_store(milvus_settings)
    expected = expected_state(milvus_settings, embedder)
    via_faiss = load_index(faiss_settings.index_dir)
    via_milvus = load_index(milvus_settings.index_dir, expected, store=store)
    build = current_build_dir(milvus_settings.index_dir)
    assert not list(build.glob("*.faiss"))
    record = json.loads((build / "vectors.json").read_text(encoding="utf-8"))
    assert record["collections"]["sentences"]["rows"] == len(via_milvus.sentences)
    assert "vectors.json" in via_milvus.manifest.files  # covered by the manifest's checksums
    assert via_milvus.sentence_vectors.ntotal == via_faiss.sentence_vectors.ntotal
    rows = [0, 7, 3, len(via_faiss.sentences) - 1]
    np.testing.assert_allclose(via_milvus.sentence_matrix[rows], via_faiss.sentence_matrix[rows], atol=1e-6)
    for question in QUESTIONS:
        got = HybridRetriever(via_milvus, embedder, milvus_settings).retrieve(question, 5)
        want = HybridRetriever(via_faiss, embedder, faiss_settings).retrieve(question, 5)
        assert [h.chunk_id for h in got.hits] == [h.chunk_id for h in want.hits], question
        assert got.sentence_scores.keys() == want.sentence_scores.keys()
        for pos, score in want.sentence_scores.items():
            assert got.sentence_scores[pos] == pytest.approx(score, abs=1e-5)


def test_switching_store_makes_the_index_stale(two_builds):
    from qa.errors import IndexStaleError

    faiss_settings, milvus_settings, embedder = two_builds
    moved = faiss_settings.model_copy(update={"vector_store": milvus_settings.vector_store})
    with pytest.raises(IndexStaleError, match="vector_store"):
        load_index(faiss_settings.index_dir, expected_state(moved, embedder))


def test_old_builds_collections_are_dropped_with_their_folders(two_builds):
    _, milvus_settings, embedder = two_builds
    store = vector_store(milvus_settings)
    failed = milvus_settings.index_dir / ".tmp-failed"  # a build that died after writing vectors
    failed.mkdir()
    store.write(failed, "20000101T000000000000Z", "chunks", embedder.encode_documents(["x", "y"]))
    for _ in range(2):  # three builds in all; two are kept on disk (KEEP_BUILDS)
        build_index(milvus_settings, embedder, progress=False)
    kept = {p.name for p in milvus_settings.index_dir.iterdir() if (p / "manifest.json").is_file()}
    assert len(kept) == 2
    owners = {name.split("_")[1] for name in store.client.list_collections()}  # type: ignore[attr-defined]
    assert owners == kept
