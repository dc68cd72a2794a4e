"""Index faults: every way an index on disk can be broken is detected, named, and never served.

Each test damages a private copy of the session's real build (real FAISS files, real
manifest with sha256 checksums). Loading must fail with the matching error whose message
says to run ``qa build-index``; a running service asked to reload such an index keeps
serving the build it had (409), and a half-written build folder is never picked up.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from apihelpers import copy_index

from qa.config import Settings
from qa.errors import IndexCorruptError, IndexError_, IndexMissingError, IndexStaleError
from qa.index import current_build_dir, load_index
from qa.index.build import expected_state
from qa.index.store import CURRENT, MANIFEST

pytestmark = pytest.mark.slow
KEY = "faults-admin-key"
QUESTION = "重庆和成都两地直联带宽达到多少?"


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _edit_manifest(build: Path, change: Callable[[dict], None]) -> None:
    manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    change(manifest)
    (build / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _bump_chunk_size(m: dict) -> None:
    m["params"]["chunk_size"] += 1


def _other_corpus(m: dict) -> None:
    m["corpus"]["hash"] = "0" * 64


def _unlist_file(m: dict) -> None:
    m["files"]["extra.bin"] = "0" * 64


# (name, damage(index_dir, build), expected error, words the message must contain)
FAULTS: list[tuple[str, Callable[[Path, Path], None], type[IndexError_], str]] = [
    ("missing file", lambda d, b: (b / "chunks.faiss").unlink(), IndexCorruptError, "missing"),
    ("truncated file", lambda d, b: _truncate(b / "sentences.jsonl"), IndexCorruptError, "checksum"),
    ("corrupted file", lambda d, b: _flip_byte(b / "chunks.faiss"), IndexCorruptError, "checksum"),
    ("corrupted bm25", lambda d, b: _flip_byte(next((b / "bm25").iterdir())), IndexCorruptError, "checksum"),
    ("manifest missing", lambda d, b: (b / MANIFEST).unlink(), IndexCorruptError, "manifest"),
    (
        "manifest garbage",
        lambda d, b: (b / MANIFEST).write_text("{not json"),
        IndexCorruptError,
        "unreadable",
    ),
    (
        "manifest lists a missing file",
        lambda d, b: _edit_manifest(b, _unlist_file),
        IndexCorruptError,
        "missing",
    ),
    ("stale params", lambda d, b: _edit_manifest(b, _bump_chunk_size), IndexStaleError, "params"),
    ("stale corpus", lambda d, b: _edit_manifest(b, _other_corpus), IndexStaleError, "corpus"),
    (
        "CURRENT names no build",
        lambda d, b: (d / CURRENT).write_text("20990101T000000Z\n"),
        IndexCorruptError,
        "CURRENT",
    ),
    ("CURRENT missing", lambda d, b: (d / CURRENT).unlink(), IndexMissingError, "no index"),
    ("build folder gone", lambda d, b: shutil.rmtree(b), IndexCorruptError, "does not exist"),
]
IDS = [name for name, *_ in FAULTS]


@pytest.fixture
def damaged_copy(engine, tmp_path):
    def make(damage: Callable[[Path, Path], None]) -> tuple[Settings, Path]:
        index_dir = copy_index(engine, tmp_path / "index")
        damage(index_dir, current_build_dir(index_dir))
        return Settings(index_dir=index_dir, _env_file=None), index_dir

    return make


def test_an_undamaged_copy_loads(engine, tmp_path):
    index_dir = copy_index(engine, tmp_path / "index")
    settings = Settings(index_dir=index_dir, _env_file=None)
    index = load_index(index_dir, expected_state(settings, engine.embedder))
    assert index.manifest.build_id == engine.index.manifest.build_id
    assert len(index.chunks) == len(engine.index.chunks)


@pytest.mark.parametrize(("name", "damage", "error", "words"), FAULTS, ids=IDS)
def test_each_fault_is_detected_and_says_what_to_run(engine, damaged_copy, name, damage, error, words):
    settings, index_dir = damaged_copy(damage)
    with pytest.raises(error) as caught:
        load_index(index_dir, expected_state(settings, engine.embedder))
    message = caught.value.detail
    assert words in message, message
    assert "qa build-index" in message, message


@pytest.mark.parametrize(
    ("name", "damage", "error", "words"),
    [
        f
        for f in FAULTS
        if f[0] in {"truncated file", "stale params", "CURRENT names no build", "CURRENT missing"}
    ],
    ids=["truncated file", "stale params", "CURRENT names no build", "CURRENT missing"],
)
def test_reload_of_a_broken_index_keeps_serving_the_old_one(
    engine, serve, tmp_path, name, damage, error, words
):
    index_dir = copy_index(engine, tmp_path / "index")
    build_id = engine.index.manifest.build_id
    with serve(index_dir=index_dir, api_keys=KEY) as server, httpx.Client(timeout=180) as c:
        damage(index_dir, index_dir / build_id)
        r = c.post(f"{server.url}/admin/reload", headers={"X-API-Key": KEY})
        assert r.status_code == 409, r.text
        detail = r.json()["detail"]
        assert f"still serving index {build_id}" in detail and words in detail and "qa build-index" in detail
        assert c.get(f"{server.url}/readyz").status_code == 200
        manifest = c.get(f"{server.url}/manifest", headers={"X-API-Key": KEY})
        assert manifest.status_code == 200 and manifest.json()["build_id"] == build_id
        answer = c.post(f"{server.url}/ask", json={"question": QUESTION}, headers={"X-API-Key": KEY})
        assert answer.status_code == 200 and "9540GB" in answer.json()["answer"]


def _half_written(index_dir: Path, build: Path, name: str) -> Path:
    """What a build interrupted mid-write leaves: a staging folder with some files, no manifest."""
    staging = index_dir / name
    staging.mkdir()
    shutil.copy(build / "chunks.jsonl", staging / "chunks.jsonl")
    (staging / "chunks.faiss").write_bytes((build / "chunks.faiss").read_bytes()[:100])
    return staging


def test_a_half_written_build_is_never_served(engine, serve, tmp_path):
    index_dir = copy_index(engine, tmp_path / "index")
    build_id = engine.index.manifest.build_id
    _half_written(index_dir, index_dir / build_id, ".tmp-29991231T235959000000Z")
    settings = Settings(index_dir=index_dir, _env_file=None)
    assert load_index(index_dir, expected_state(settings, engine.embedder)).manifest.build_id == build_id
    with serve(index_dir=index_dir, api_keys=KEY) as server, httpx.Client(timeout=180) as c:
        r = c.post(f"{server.url}/admin/reload", headers={"X-API-Key": KEY})
        assert r.status_code == 200, r.text
        assert r.json()["build_id"] == build_id and r.json()["changed"] is False


def test_a_build_folder_without_manifest_named_in_current_is_refused(engine, tmp_path):
    index_dir = copy_index(engine, tmp_path / "index")
    _half_written(index_dir, index_dir / engine.index.manifest.build_id, "29991231T235959000000Z")
    (index_dir / CURRENT).write_text("29991231T235959000000Z\n")
    with pytest.raises(IndexCorruptError, match=r"manifest\.json is missing"):
        load_index(index_dir)


def test_service_not_ready_with_a_broken_index_answers_503_with_the_reason(engine, tmp_path):
    """A service whose start found a broken index (QA_REBUILD_ON_START=false) serves nothing
    from it: /readyz and /ask are 503 with the reason, /healthz stays up."""
    from apihelpers import ServerThread

    from qa.api import create_app
    from qa.api.state import ServiceState

    settings = Settings(index_dir=tmp_path / "empty", _env_file=None, rebuild_on_start=False)
    state = ServiceState(settings)
    with pytest.raises(IndexMissingError) as missing:  # what ServiceState.load meets at start
        load_index(settings.index_dir)
    state.error = missing.value.detail
    state.ready.set()
    with ServerThread(create_app(settings, state=state)) as server, httpx.Client(timeout=30) as c:
        assert c.get(f"{server.url}/healthz").status_code == 200
        ready = c.get(f"{server.url}/readyz")
        assert ready.status_code == 503 and "qa build-index" in ready.json()["detail"]
        ask = c.post(f"{server.url}/ask", json={"question": QUESTION})
        assert ask.status_code == 503 and "qa build-index" in ask.json()["detail"]
        assert ask.headers["retry-after"]
