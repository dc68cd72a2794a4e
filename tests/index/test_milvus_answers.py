"""The same answers from Milvus as from FAISS: every gold question, the real model, two Milvus.

Milvus Lite (``milvus:///file.db``, inside the process) and a Milvus server reached by URL
(``http://127.0.0.1:PORT``), two kinds, each its own process on a free port:

- Milvus Lite's gRPC server (``python -m milvus_lite server``; the milvus extra), which pymilvus
  reaches over TCP as it reaches any Milvus server;
- Milvus 2.3.5 standalone, the real server binary (Go and C++, embedded etcd, local storage)
  that the ``milvus`` package on PyPI ships (the milvus-server extra); no newer Milvus server
  is on PyPI or apt here (its Docker images are not reachable).

The Milvus builds reuse the FAISS build's embedding cache (the same model, prompt and encoder),
so they embed nothing; each question is embedded once and answered over both stores.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.config import ROOT

GOLD = ROOT / "corpus" / "gold" / "gold.jsonl"
NEEDS_EXTRA = "Milvus tests need the milvus extra: pip install -e '.[milvus]'"
pytestmark = [pytest.mark.slow, pytest.mark.milvus]


def _gold_questions() -> list[str]:
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def _same_gold_answers(engine: Any, vector_store: str, index_dir: Path) -> None:
    """Build the index into ``vector_store`` and answer every gold question over it and over
    the FAISS build: the same answers, citations and (within 1e-5) scores."""
    from qa.answer.pipeline import build_pipeline
    from qa.engine import open_engine
    from qa.index import build_index

    settings = engine.settings.model_copy(
        update={
            "index_dir": index_dir,
            "vector_store": vector_store,
            "embed_cache_dir": engine.settings.index_dir / ".embed-cache",
        }
    )
    manifest = build_index(settings, engine.embedder, progress=False)
    assert manifest.embedding["embedded"] == 0  # every vector came from the FAISS build's cache
    milvus = open_engine(settings, rebuild=False, embedder=engine.embedder)
    assert milvus.index.manifest.vector_store == vector_store
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


def test_gold_answers_are_the_same_with_milvus_lite(engine, tmp_path):
    pytest.importorskip("pymilvus", reason=NEEDS_EXTRA)
    pytest.importorskip("milvus_lite", reason=NEEDS_EXTRA)
    _same_gold_answers(engine, f"milvus://{tmp_path}/vectors.db", tmp_path / "index")


@pytest.fixture(params=["milvus-lite-server", "milvus-standalone"])
def milvus_server(request, tmp_path) -> Iterator[str]:
    """A Milvus server as its own process on a free loopback port; yields its URL."""
    pytest.importorskip("pymilvus", reason=NEEDS_EXTRA)
    from qa.loadtest_server import free_port

    port, data, log = free_port(), tmp_path / "milvus", tmp_path / "milvus.log"
    if request.param == "milvus-lite-server":
        pytest.importorskip("milvus_lite", reason=NEEDS_EXTRA)
        command = [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data)]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        ready = "listening on"
    else:
        pytest.importorskip("milvus", reason="Milvus standalone needs: pip install -e '.[milvus-server]'")
        command = [sys.executable, "-c", "import milvus; milvus.main()", "--data", str(data)]
        command += ["--proxy-port", str(port)]
        ready = "Welcome to use Milvus"  # printed once its health check passed
    with log.open("wb") as out:
        # its own session: the standalone launcher starts the server binary as a child of its own
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not (ready in log.read_text(errors="replace") and _listening(port)):
            assert server.poll() is None, log.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, f"{request.param} did not start within 180 s"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGINT)  # both stop their server on SIGINT
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # whatever of its session is left
        server.wait(10)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_gold_answers_are_the_same_with_a_milvus_server_by_url(engine, milvus_server, tmp_path):
    from qa.index.milvus import client_for

    _same_gold_answers(engine, milvus_server, tmp_path / "index")
    # The vectors are in the server process, not in a file of this one: its collections say so.
    names = client_for(milvus_server).list_collections()
    build_id = (tmp_path / "index" / "CURRENT").read_text().strip()
    assert {f"qa_{build_id}_{t}" for t in ("chunks", "sentences", "clauses")} <= set(names), names
