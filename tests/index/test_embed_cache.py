"""Incremental builds: a rebuild embeds only text no earlier build embedded, and the cache
survives a crash mid-write and stays bounded to the last build's texts."""

from __future__ import annotations

import json
import os
import shutil
import time

import numpy as np
from fakes import FakeEmbedder

from qa.config import ROOT, Settings
from qa.index import build_index, current_build_dir, load_index
from qa.index.build import embed_cache_dir
from qa.index.embed_cache import EmbedCache, namespace, text_key

REPORT = ROOT / "corpus" / "cq-ict-14th-five-year-review.txt"
# A second document, written for this test: two sections, figures, Chinese and English.
SECOND = """成都市算力基础设施发展报告

一、总体情况
截至2025年底,成都市数据中心机架总数达到12.6万架,算力规模突破8000 PFlops。
全市建成5G基站8.1万个,千兆光网覆盖家庭超过900万户。

二、下一步
到2027年,成都市将新增智能算力3000 PFlops,数据中心平均PUE降至1.25以下。
The city plans 40 new computing centres by 2027.
"""


class CountingEmbedder(FakeEmbedder):
    """The fake model, remembering every text it was asked to embed."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.embedded: list[str] = []

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.embedded.extend(texts)
        return super().encode_documents(texts, progress)


def _settings(tmp_path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPORT, corpus / REPORT.name)
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", _env_file=None)


def _bare(text: str) -> str:
    """Without whitespace: the loader puts a blank line between paragraphs."""
    return "".join(text.split())


def _texts(settings: Settings) -> set[str]:
    build = current_build_dir(settings.index_dir)
    found = set()
    for name in ("chunks.jsonl", "sentences.jsonl", "clauses.jsonl"):
        for line in (build / name).read_text(encoding="utf-8").splitlines():
            found.add(json.loads(line)["text"])
    return found


def test_rebuilds_embed_only_new_text(tmp_path):
    settings = _settings(tmp_path)
    embedder = CountingEmbedder()
    first = build_index(settings, embedder, progress=False)
    report_texts = _texts(settings)
    assert len(embedder.embedded) == len(report_texts)  # each distinct text once, even when repeated
    assert first.embedding["embedded"] == len(report_texts)

    embedder.embedded.clear()
    again = build_index(settings, embedder, progress=False)
    assert embedder.embedded == [] and again.embedding["embedded"] == 0
    assert again.build_id != first.build_id

    (settings.corpus_dir / "chengdu.txt").write_text(SECOND, encoding="utf-8")
    grown = build_index(settings, embedder, progress=False)
    both = _texts(settings)
    assert set(embedder.embedded) == both - report_texts
    assert len(embedder.embedded) == len(set(embedder.embedded))
    assert all(_bare(t) in _bare(SECOND) for t in embedder.embedded)  # only the new document's text
    assert any("12.6万架" in t for t in embedder.embedded)
    assert grown.counts["documents"] == 2  # the manifest still describes the whole build

    embedder.embedded.clear()
    (settings.corpus_dir / "chengdu.txt").unlink()
    shrunk = build_index(settings, embedder, progress=False)
    assert embedder.embedded == [] and shrunk.embedding["embedded"] == 0
    assert shrunk.counts["documents"] == 1 and _texts(settings) == report_texts


def test_cached_vectors_are_the_vectors_a_fresh_build_computes(tmp_path):
    settings = _settings(tmp_path)
    build_index(settings, FakeEmbedder(), progress=False)
    build_index(settings, FakeEmbedder(), progress=False)  # every vector from the cache
    cached = load_index(settings.index_dir)
    fresh = FakeEmbedder().encode_documents([s.text for s in cached.sentences])
    np.testing.assert_array_equal(cached.sentence_matrix, fresh)


def test_other_weights_or_dims_do_not_share_vectors(tmp_path):
    settings = _settings(tmp_path)
    build_index(settings, CountingEmbedder(), progress=False)
    for other in (CountingEmbedder(weights="w1"), CountingEmbedder(dim=32)):
        assert namespace(other) != namespace(CountingEmbedder())
        build_index(settings, other, progress=False)
        assert other.embedded  # embedded afresh, not taken from the w0/64-dim vectors
    spaces = [p.name for p in embed_cache_dir(settings).iterdir()]
    assert spaces == [namespace(CountingEmbedder(dim=32))]  # the last build's only: bounded


def test_the_cache_holds_only_the_last_builds_texts(tmp_path):
    settings = _settings(tmp_path)
    (settings.corpus_dir / "chengdu.txt").write_text(SECOND, encoding="utf-8")
    build_index(settings, FakeEmbedder(), progress=False)
    (settings.corpus_dir / "chengdu.txt").unlink()
    build_index(settings, FakeEmbedder(), progress=False)
    cache = EmbedCache.for_embedder(embed_cache_dir(settings), FakeEmbedder())
    assert len(cache) == len(_texts(settings))
    assert len(list(cache.folder.glob("seg-*.npz"))) == 1


def test_a_crash_mid_write_costs_only_a_re_embed(tmp_path):
    settings = _settings(tmp_path)
    build_index(settings, CountingEmbedder(), progress=False)
    folder = EmbedCache.for_embedder(embed_cache_dir(settings), CountingEmbedder()).folder
    (segment,) = folder.glob("seg-*.npz")
    half = folder / ".tmp-seg-half-written.npz"
    half.write_bytes(segment.read_bytes()[:100])  # a build killed mid-write, two hours ago
    os.utime(half, (time.time() - 7200, time.time() - 7200))
    segment.write_bytes(segment.read_bytes()[:200])  # a segment damaged on disk
    embedder = CountingEmbedder()
    build_index(settings, embedder, progress=False)
    assert set(embedder.embedded) == _texts(settings)  # the damaged segment was ignored, not trusted
    cache = EmbedCache.for_embedder(embed_cache_dir(settings), CountingEmbedder())
    assert len(cache) == len(_texts(settings))
    assert [p.name for p in folder.iterdir()] == [p.name for p in cache.folder.glob("seg-*.npz")]
    assert len(list(folder.iterdir())) == 1  # the damaged segment and the temporary file are gone


def test_a_cache_that_cannot_be_written_does_not_fail_the_build(tmp_path):
    settings = _settings(tmp_path)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    settings = settings.model_copy(update={"embed_cache_dir": blocked})
    manifest = build_index(settings, FakeEmbedder(), progress=False)
    assert manifest.counts["documents"] == 1 and manifest.embedding["embedded"] > 0


def test_text_keys_tell_texts_apart():
    assert text_key("5G基站") != text_key("5G 基站") and len(text_key("x")) == 32


def test_wrappers_share_the_wrapped_encoders_namespace():
    from qa.batching import MicroBatchingEmbedder

    inner = FakeEmbedder()
    wrapped = MicroBatchingEmbedder(inner)
    try:
        assert namespace(wrapped) == namespace(inner)
        assert namespace(wrapped) != namespace(MicroBatchingEmbedder(FakeEmbedder(dim=32)))
    finally:
        wrapped.close()
