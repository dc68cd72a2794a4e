"""Documents through the API with `qa serve` and QA_WORKERS=2: the real CLI, model and builds.

A .txt is uploaded through one connection and its job polled through new ones, so that both
workers answer it (each new connection may land on either; the per-worker metric files show
which did). Once the job is done, a question about the file is answered on every worker with
no further wait; deleted, the same question is refused on every worker. Two uploads sent at
once build one after the other and both are served. Last, a worker is killed while its job
runs: the job is then reported failed by the workers left, never "running" forever.

The facts asked about are the ones written in ORCHARD and FERRY below.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from apihelpers import REPORT, ServeProcess, copy_index, served_by_pid, wait_for

pytestmark = pytest.mark.slow
KEY = "documents-workers-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
ORCHARD = (
    "The Harrow Lane community orchard opened in 2019.\n\n"
    "Volunteers planted 64 apple trees in the orchard's first spring, and the first harvest "
    "was shared among 120 households.\n"
)
TREES = "How many apple trees did volunteers plant in the Harrow Lane orchard?"
FERRY = (
    "The Kestrel Sound ferry links the harbour with Tarn Island.\n\n"
    "The ferry crosses to the island in 35 minutes and runs 9 times a day in summer.\n"
)
CROSSING = "How long does the Kestrel Sound ferry take to cross to the island?"
ASKS = 16  # questions per check, each on a new connection


@pytest.fixture(scope="module")
def served(engine, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("documents-workers")
    corpus = tmp / "corpus"
    corpus.mkdir()
    (corpus / REPORT.name).write_bytes(REPORT.read_bytes())  # the session index's corpus
    index_dir = copy_index(engine, tmp / "index")  # its embedding cache too: only new text is embedded
    metrics_dir = tmp / "metrics"
    metrics_dir.mkdir()
    proc = ServeProcess(
        tmp,
        {
            "QA_WORKERS": "2",
            "QA_INDEX_DIR": str(index_dir),
            "QA_CORPUS_DIR": str(corpus),
            "QA_REBUILD_ON_START": "false",
            "QA_API_KEYS": KEY,
            "QA_RATE_LIMIT_PER_MIN": "0",
            "QA_REQUEST_TIMEOUT_S": "300",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
    )
    try:
        wait_for(lambda: "ready: demo page" in proc.stderr() or proc.proc.poll() is not None, 900, "ready")
        assert proc.proc.poll() is None, proc.stderr()[-3000:]
        proc.corpus, proc.index_dir, proc.metrics_dir = corpus, index_dir, metrics_dir  # type: ignore[attr-defined]
        yield proc
    finally:
        proc.stop()


def fresh(method: str, url: str, **kw: Any) -> httpx.Response:
    """One request on a new connection, so that it may reach either worker."""
    with httpx.Client(timeout=300) as client:
        return client.request(method, url, headers=AUTH, **kw)


def finish(proc: ServeProcess, job_id: str, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = fresh("GET", f"{proc.url}/jobs/{job_id}")
        assert r.status_code == 200, r.text[:300]  # every worker knows the job
        job = r.json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


def answers(proc: ServeProcess, question: str = TREES) -> list[dict[str, Any]]:
    """``question`` asked ASKS times, each on a new connection."""
    out = []
    for _ in range(ASKS):
        r = fresh("POST", f"{proc.url}/ask", json={"question": question})
        assert r.status_code == 200, r.text[:300]
        out.append(r.json())
    return out


def both_served(proc: ServeProcess, route: str) -> bool:
    return len(served_by_pid(proc.metrics_dir, route)) == 2  # type: ignore[attr-defined]


def test_an_upload_is_answered_on_every_worker_and_refused_everywhere_once_deleted(served):
    assert not any(a["found"] for a in answers(served))  # not in the corpus yet

    upload = {"file": ("orchard.txt", ORCHARD.encode(), "text/plain")}
    r = fresh("POST", f"{served.url}/documents", files=upload)
    assert r.status_code == 202, r.text
    assert r.json()["doc_id"] == "orchard"
    job_id = r.json()["job_id"]
    job = finish(served, job_id)
    assert job["status"] == "done" and job["progress"] == 1, job
    assert "had not swapped" not in job["detail"], job["detail"]
    for _ in range(ASKS):  # the finished job, from whichever worker answers
        assert fresh("GET", f"{served.url}/jobs/{job_id}").json() == job
    assert both_served(served, "/jobs/{job_id}")

    found = answers(served)  # right after "done": every worker already serves the new build
    assert all(a["found"] and "64" in a["answer"] for a in found), [a["answer"] for a in found]
    assert {a["citations"][0]["doc_id"] for a in found} == {"orchard"}
    assert both_served(served, "/ask")
    docs = {d["doc_id"] for d in fresh("GET", f"{served.url}/documents").json()["documents"]}
    assert "orchard" in docs

    r = fresh("DELETE", f"{served.url}/documents/orchard")
    assert r.status_code == 202, r.text
    assert finish(served, r.json()["job_id"])["status"] == "done"
    assert not (served.corpus / "orchard.txt").exists()
    refused = answers(served)
    assert not any(a["found"] for a in refused), [a["answer"] for a in refused]


def test_two_uploads_at_once_are_both_served_by_every_worker(served):
    """Sent together on two connections (to either worker), the jobs build one after the
    other (the corpus lock), the second on the first's corpus: both documents end up served."""
    files = [("orchard.txt", ORCHARD), ("ferry.txt", FERRY)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        sent = list(pool.map(lambda f: fresh("POST", f"{served.url}/documents", files={"file": f}), files))
    assert [r.status_code for r in sent] == [202, 202], [r.text for r in sent]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        jobs = list(pool.map(lambda r: finish(served, r.json()["job_id"]), sent))
    assert [j["status"] for j in jobs] == ["done", "done"], jobs
    trees, crossing = answers(served, TREES), answers(served, CROSSING)
    assert all(a["found"] and "64" in a["answer"] for a in trees), [a["answer"] for a in trees]
    assert all(a["found"] and "35 minutes" in a["answer"] for a in crossing), [a["answer"] for a in crossing]

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        sent = list(pool.map(lambda d: fresh("DELETE", f"{served.url}/documents/{d}"), ["orchard", "ferry"]))
        jobs = list(pool.map(lambda r: finish(served, r.json()["job_id"]), sent))
    assert [j["status"] for j in jobs] == ["done", "done"], jobs
    assert not any(a["found"] for a in answers(served, TREES) + answers(served, CROSSING))


def _job_record(index_dir: Path, job_id: str) -> dict[str, Any] | None:
    try:
        return json.loads((index_dir / ".jobs" / f"{job_id}.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def test_a_job_whose_worker_is_killed_is_reported_failed_by_the_others(served):
    """Runs last: it kills one worker (uvicorn starts another in its place)."""
    upload = {"file": ("orchard.txt", ORCHARD.encode(), "text/plain")}
    r = fresh("POST", f"{served.url}/documents", files=upload)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    deadline = time.monotonic() + 120
    record = _job_record(served.index_dir, job_id)
    while not (record and record["job"]["status"] == "running"):
        assert time.monotonic() < deadline, record
        time.sleep(0.02)
        record = _job_record(served.index_dir, job_id)
    os.kill(record["pid"], signal.SIGKILL)

    job = finish(served, job_id, timeout=300)
    assert job["status"] == "failed", job
    assert "stopped before it finished" in job["detail"]
    wait_for(lambda: f"Child process [{record['pid']}] died" in served.stderr(), 60, "uvicorn to notice")
