"""Index persistence: build layout, manifest, round trip, staleness, corruption, pruning.

A fake embedder stands in for the model: these are tests of the storage logic only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from qa.chunk import chunk_document, split_sentences
from qa.config import ROOT, Settings
from qa.errors import IndexCorruptError, IndexMissingError, IndexStaleError
from qa.index import build_index, corpus_fingerprint, current_build_dir, load_index
from qa.index.build import expected_state
from qa.index.store import CURRENT, FORMAT_VERSION, KEEP_BUILDS, MANIFEST
from qa.ingest import load_corpus

REPORT = ROOT / "corpus" / "cq-ict-14th-five-year-review.txt"
BUILD_FILES = {"documents.json", "chunks.jsonl", "sentences.jsonl", "chunks.faiss", "sentences.faiss"}


def make_settings(root: Path, **overrides) -> Settings:
    corpus = root / "corpus"
    if not corpus.exists():
        corpus.mkdir(parents=True)
        shutil.copy(REPORT, corpus / REPORT.name)
    return Settings(corpus_dir=corpus, index_dir=root / "index", _env_file=None, **overrides)


def builds(index_dir: Path) -> list[Path]:
    return sorted(p for p in index_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build shared by the read-only tests."""
    root = tmp_path_factory.mktemp("store")
    settings = make_settings(root)
    embedder = FakeEmbedder()
    manifest = build_index(settings, embedder, progress=False)
    return settings, embedder, manifest


@pytest.fixture
def fresh(tmp_path):
    """A private build that a test may damage."""
    settings = make_settings(tmp_path)
    embedder = FakeEmbedder()
    manifest = build_index(settings, embedder, progress=False)
    return settings, embedder, manifest


# --- layout and manifest --------------------------------------------------------------------


def test_current_points_at_the_build(built):
    settings, _, manifest = built
    pointer = settings.index_dir / CURRENT
    assert pointer.read_text().strip() == manifest.build_id
    build = current_build_dir(settings.index_dir)
    assert build == settings.index_dir / manifest.build_id
    assert {p.name for p in build.iterdir()} >= BUILD_FILES
    assert (build / "bm25").is_dir()
    assert (build / MANIFEST).is_file()


def test_no_staging_left_behind(built):
    settings, _, _ = built
    leftovers = [p.name for p in settings.index_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == [".embed-cache"]  # the embedding cache (qa.index.embed_cache), no staging
    assert not list((settings.index_dir / ".embed-cache").rglob(".tmp-*"))


def test_manifest_contents(built):
    settings, embedder, manifest = built
    build = current_build_dir(settings.index_dir)
    on_disk = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    assert on_disk["build_id"] == manifest.build_id
    assert manifest.format_version == FORMAT_VERSION
    datetime.fromisoformat(manifest.built_at)
    assert manifest.build_seconds >= 0

    assert manifest.model == {"id": embedder.model_id, "weights_hash": "fake-w0", "dim": 64}
    assert manifest.corpus["hash"] == corpus_fingerprint(settings.corpus_dir)
    assert manifest.corpus["documents"] == [
        {
            "doc_id": "cq-ict-14th-five-year-review",
            "source": REPORT.name,
            "title": "数字筑基,智绘民生,赋能经济新图景——重庆市信息通信业“十四五”高质量发展综述",
        }
    ]
    assert manifest.params == settings.index_params()
    for package in ("qa", "faiss-cpu", "bm25s", "jieba", "sentence-transformers"):
        assert manifest.versions.get(package), package


def test_manifest_counts_match_records(built):
    settings, _, manifest = built
    index = load_index(settings.index_dir)
    assert manifest.counts == {
        "documents": 1,
        "chunks": len(index.chunks),
        "sentences": len(index.sentences),
        "clauses": len(index.clauses),
    }


def test_manifest_checksums_cover_every_file(built):
    settings, _, manifest = built
    build = current_build_dir(settings.index_dir)
    files = {str(p.relative_to(build)) for p in build.rglob("*") if p.is_file() and p.name != MANIFEST}
    assert set(manifest.files) == files
    assert files >= BUILD_FILES
    assert any(name.startswith("bm25") for name in files)
    for name, digest in manifest.files.items():
        assert hashlib.sha256((build / name).read_bytes()).hexdigest() == digest


# --- round trip -----------------------------------------------------------------------------


def test_load_round_trip(built):
    settings, embedder, manifest = built
    index = load_index(settings.index_dir, expected_state(settings, embedder))
    assert index.manifest == manifest
    assert index.path == current_build_dir(settings.index_dir)

    docs = load_corpus(settings.corpus_dir, settings.heading_max_chars)
    assert list(index.documents.values()) == docs
    chunks = chunk_document(docs[0], settings.chunk_size, settings.chunk_overlap)
    assert index.chunks == chunks
    assert index.sentences == split_sentences(docs[0], chunks)

    assert index.chunk_vectors.ntotal == len(index.chunks)
    assert index.sentence_vectors.ntotal == len(index.sentences)
    assert index.chunk_vectors.d == 64
    expected = embedder.encode_documents([index.chunks[3].text])[0]
    np.testing.assert_allclose(index.chunk_vectors.reconstruct(3), expected, rtol=1e-6)


def test_loaded_records_point_into_documents(built):
    settings, _, _ = built
    index = load_index(settings.index_dir)
    for span in [*index.chunks, *index.sentences]:
        assert index.documents[span.doc_id].text[span.start : span.end] == span.text


def test_loaded_lookups(built):
    settings, _, _ = built
    index = load_index(settings.index_dir)
    assert index.chunk_pos == {c.chunk_id: i for i, c in enumerate(index.chunks)}
    # every sentence belongs to at least one chunk and the maps agree
    assert set(index.chunk_ids_of_sentence) == set(range(len(index.sentences)))
    for i, chunk_ids in index.chunk_ids_of_sentence.items():
        for chunk_id in chunk_ids:
            assert i in index.sentences_by_chunk[chunk_id]
    assert {"重庆", "带宽", "直联"} <= index.vocabulary


def test_fresh_index_passes_check(built):
    settings, embedder, _ = built
    load_index(settings.index_dir, expected_state(settings, embedder))


# --- staleness -------------------------------------------------------------------------------


def test_stale_when_corpus_file_edited(fresh):
    settings, embedder, _ = fresh
    path = settings.corpus_dir / REPORT.name
    path.write_text(path.read_text(encoding="utf-8").replace("9540GB", "9999GB"), encoding="utf-8")
    with pytest.raises(IndexStaleError, match="corpus") as info:
        load_index(settings.index_dir, expected_state(settings, embedder))
    assert "params" not in info.value.detail and "model" not in info.value.detail
    assert "build-index" in info.value.detail


def test_stale_when_document_added(fresh):
    settings, embedder, _ = fresh
    (settings.corpus_dir / "extra.md").write_text("# 新文档\n\n正文。", encoding="utf-8")
    with pytest.raises(IndexStaleError, match="corpus"):
        load_index(settings.index_dir, expected_state(settings, embedder))


def test_stale_when_document_removed_or_renamed(fresh):
    settings, embedder, _ = fresh
    path = settings.corpus_dir / REPORT.name
    path.rename(settings.corpus_dir / "renamed.txt")
    with pytest.raises(IndexStaleError, match="corpus"):
        load_index(settings.index_dir, expected_state(settings, embedder))


def test_not_stale_for_ignored_files(fresh):
    settings, embedder, _ = fresh
    (settings.corpus_dir / "sheet.xlsx").write_bytes(b"PK\x03\x04")  # unsupported: listed as skipped
    (settings.corpus_dir / ".notes.txt").write_text("隐藏笔记。", encoding="utf-8")
    load_index(settings.index_dir, expected_state(settings, embedder))


def test_stale_when_chunk_size_changes(fresh):
    settings, embedder, _ = fresh
    changed = settings.model_copy(update={"chunk_size": 400})
    with pytest.raises(IndexStaleError, match="params") as info:
        load_index(settings.index_dir, expected_state(changed, embedder))
    assert "corpus" not in info.value.detail


def test_stale_when_model_changes(fresh):
    settings, _, _ = fresh
    other = FakeEmbedder(model_id="fake/another-model")
    with pytest.raises(IndexStaleError, match="model"):
        load_index(settings.index_dir, expected_state(settings, other))


def test_stale_when_weights_change(fresh):
    settings, _, _ = fresh
    retrained = FakeEmbedder(weights="w1")
    with pytest.raises(IndexStaleError, match="weights"):
        load_index(settings.index_dir, expected_state(settings, retrained))


def test_stale_names_every_change(fresh):
    settings, _, _ = fresh
    changed = settings.model_copy(update={"chunk_overlap": 10})
    (settings.corpus_dir / "extra.txt").write_text("新增。", encoding="utf-8")
    with pytest.raises(IndexStaleError) as info:
        load_index(settings.index_dir, expected_state(changed, FakeEmbedder(model_id="m2")))
    for what in ("corpus", "model", "params"):
        assert what in info.value.detail


def test_rebuild_makes_it_fresh_again(fresh):
    settings, embedder, first = fresh
    changed = settings.model_copy(update={"chunk_size": 200, "chunk_overlap": 40})
    second = build_index(changed, embedder, progress=False)
    assert second.build_id != first.build_id
    index = load_index(settings.index_dir, expected_state(changed, embedder))
    assert max(len(c.text) for c in index.chunks) <= 200
    assert second.counts["chunks"] > first.counts["chunks"]


# --- damage ----------------------------------------------------------------------------------


def test_missing_index_dir(tmp_path):
    with pytest.raises(IndexMissingError):
        load_index(tmp_path / "never-built")


def test_missing_current(fresh):
    settings, _, _ = fresh
    (settings.index_dir / CURRENT).unlink()
    with pytest.raises(IndexMissingError, match="build-index"):
        load_index(settings.index_dir)


def test_current_names_missing_build(fresh):
    settings, _, manifest = fresh
    shutil.rmtree(settings.index_dir / manifest.build_id)
    with pytest.raises(IndexCorruptError):
        load_index(settings.index_dir)


@pytest.mark.parametrize("name", sorted(BUILD_FILES))
def test_truncated_file(fresh, name):
    settings, _, _ = fresh
    path = current_build_dir(settings.index_dir) / name
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorruptError, match="checksum"):
        load_index(settings.index_dir)


def test_flipped_byte_same_size(fresh):
    settings, _, _ = fresh
    path = current_build_dir(settings.index_dir) / "chunks.faiss"
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError):
        load_index(settings.index_dir)


def test_deleted_file(fresh):
    settings, _, _ = fresh
    (current_build_dir(settings.index_dir) / "sentences.jsonl").unlink()
    with pytest.raises(IndexCorruptError, match="missing"):
        load_index(settings.index_dir)


def test_bm25_file_damaged(fresh):
    settings, _, _ = fresh
    bm25_files = sorted(p for p in (current_build_dir(settings.index_dir) / "bm25").iterdir() if p.is_file())
    assert bm25_files
    bm25_files[0].write_bytes(b"")
    with pytest.raises(IndexCorruptError):
        load_index(settings.index_dir)


@pytest.mark.parametrize("content", ["", "{not json", '{"format_version": 1}'])
def test_bad_manifest(fresh, content):
    settings, _, _ = fresh
    (current_build_dir(settings.index_dir) / MANIFEST).write_text(content)
    with pytest.raises(IndexCorruptError):
        load_index(settings.index_dir)


def test_missing_manifest(fresh):
    settings, _, _ = fresh
    (current_build_dir(settings.index_dir) / MANIFEST).unlink()
    with pytest.raises(IndexCorruptError):
        load_index(settings.index_dir)


# --- several builds ------------------------------------------------------------------------


def test_builds_are_pruned_to_keep_two(fresh):
    settings, embedder, first = fresh
    second = build_index(settings, embedder, progress=False)
    names = [p.name for p in builds(settings.index_dir)]
    assert names == sorted([first.build_id, second.build_id])
    third = build_index(settings, embedder, progress=False)
    names = [p.name for p in builds(settings.index_dir)]
    assert len(names) <= KEEP_BUILDS == 2
    assert names == [second.build_id, third.build_id]
    assert (settings.index_dir / CURRENT).read_text().strip() == third.build_id
    assert load_index(settings.index_dir).manifest.build_id == third.build_id


def test_build_ids_sort_in_build_order(fresh):
    settings, embedder, first = fresh
    second = build_index(settings, embedder, progress=False)
    assert first.build_id < second.build_id


def test_leftover_tmp_folder_is_never_loaded(fresh):
    settings, _, manifest = fresh
    build = current_build_dir(settings.index_dir)
    # a complete-looking staging folder that sorts after the real build
    leftover = settings.index_dir / ".tmp-99991231T235959999999Z"
    shutil.copytree(build, leftover)
    (leftover / "chunks.jsonl").write_text("garbage\n")
    index = load_index(settings.index_dir)
    assert index.path == build
    assert index.manifest.build_id == manifest.build_id


def test_failed_build_keeps_the_old_index(fresh, monkeypatch):
    settings, embedder, manifest = fresh
    import qa.index.build as build_module

    def boom(folder):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_module, "checksums", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(settings, embedder, progress=False)
    monkeypatch.undo()

    assert (settings.index_dir / CURRENT).read_text().strip() == manifest.build_id
    # whether or not the failed build's staging folder was cleaned up, it is not what loads
    index = load_index(settings.index_dir, expected_state(settings, embedder))
    assert index.manifest.build_id == manifest.build_id

    # and a later successful build still works next to the leftover
    later = build_index(settings, embedder, progress=False)
    assert load_index(settings.index_dir).manifest.build_id == later.build_id


def test_corpus_fingerprint_is_stable_and_content_based(tmp_path):
    a = make_settings(tmp_path / "a").corpus_dir
    b = make_settings(tmp_path / "b").corpus_dir
    assert corpus_fingerprint(a) == corpus_fingerprint(b)
    (b / REPORT.name).write_bytes((b / REPORT.name).read_bytes() + b"\n")
    assert corpus_fingerprint(a) != corpus_fingerprint(b)
