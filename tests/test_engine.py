"""open_engine: load a fresh index, rebuild a missing/stale/broken one only when allowed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from qa.config import ROOT, Settings
from qa.engine import open_engine
from qa.errors import IndexCorruptError, IndexMissingError, IndexStaleError
from qa.index import current_build_dir

REPORT = ROOT / "corpus" / "cq-ict-14th-five-year-review.txt"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPORT, corpus / REPORT.name)
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", _env_file=None)


def test_missing_index_without_rebuild(settings):
    with pytest.raises(IndexMissingError, match="build-index"):
        open_engine(settings, rebuild=False, embedder=FakeEmbedder())


def test_rebuild_follows_settings_when_not_given(settings):
    with pytest.raises(IndexMissingError):
        open_engine(settings.model_copy(update={"rebuild_on_start": False}), embedder=FakeEmbedder())
    engine = open_engine(settings.model_copy(update={"rebuild_on_start": True}), embedder=FakeEmbedder())
    assert engine.index.chunks


def test_missing_index_is_built_then_reused(settings):
    embedder = FakeEmbedder()
    first = open_engine(settings, rebuild=True, embedder=embedder)
    assert embedder.calls["documents"] > 0
    calls = embedder.calls["documents"]
    second = open_engine(settings, rebuild=True, embedder=embedder)
    assert embedder.calls["documents"] == calls, "a fresh index must not be rebuilt"
    assert second.index.manifest.build_id == first.index.manifest.build_id
    assert second.retriever.index is second.index
    assert second.settings is settings and second.embedder is embedder


def test_stale_index(settings):
    open_engine(settings, rebuild=True, embedder=FakeEmbedder())
    changed = settings.model_copy(update={"chunk_size": 200, "chunk_overlap": 20})
    with pytest.raises(IndexStaleError, match="params"):
        open_engine(changed, rebuild=False, embedder=FakeEmbedder())
    engine = open_engine(changed, rebuild=True, embedder=FakeEmbedder())
    assert engine.index.manifest.params == changed.index_params()
    assert max(len(c.text) for c in engine.index.chunks) <= 200


def test_model_change_rebuilds(settings):
    first = open_engine(settings, rebuild=True, embedder=FakeEmbedder())
    other = open_engine(settings, rebuild=True, embedder=FakeEmbedder(model_id="fake/other", dim=32))
    assert other.index.manifest.build_id != first.index.manifest.build_id
    assert other.index.manifest.model["id"] == "fake/other"
    assert other.index.chunk_vectors.d == 32


def test_corrupt_index(settings):
    open_engine(settings, rebuild=True, embedder=FakeEmbedder())
    path = current_build_dir(settings.index_dir) / "chunks.jsonl"
    path.write_text(path.read_text(encoding="utf-8")[:100], encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        open_engine(settings, rebuild=False, embedder=FakeEmbedder())
    engine = open_engine(settings, rebuild=True, embedder=FakeEmbedder())
    assert len(engine.index.chunks) == engine.index.manifest.counts["chunks"]


def test_engine_retrieves(settings):
    engine = open_engine(settings, rebuild=True, embedder=FakeEmbedder())
    hits = engine.retriever.retrieve("重庆和成都的互联网直联带宽有多大?", 3, "bm25").hits
    assert "9540GB" in hits[0].text
