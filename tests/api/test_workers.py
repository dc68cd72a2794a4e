"""`qa serve` with QA_WORKERS=2 and a real redis-server: one ready line, a per-key rate limit that
holds across the workers, /metrics summed over them, a reload reaching both, and SIGTERM
letting a question in flight finish.

Each new connection may land on either worker (the kernel spreads them); the per-worker
metric files (PROMETHEUS_MULTIPROC_DIR, set here so the test can read them) show that both
workers did serve. The SIGTERM test runs last: it stops the shared server.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import shutil
import signal
import time

import httpx
import pytest
from apihelpers import ServeProcess, copy_index, served_by_pid, wait_for

from qa.index.store import CURRENT, MANIFEST

pytestmark = pytest.mark.slow
KEYS = [f"worker-test-key-{n}" for n in range(8)]
LIMITED, METRICS, RELOAD, ASK = (KEYS[n] for n in range(4))
BURST = 6
QUESTION = "重庆和成都两地直联带宽达到多少?"


@pytest.fixture(scope="module")
def workers(engine, redis_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("workers")
    index_dir = copy_index(engine, tmp / "index")
    metrics_dir = tmp / "metrics"
    metrics_dir.mkdir()
    proc = ServeProcess(
        tmp,
        {
            "QA_WORKERS": "2",
            "QA_REDIS_URL": redis_server.url,
            "QA_INDEX_DIR": str(index_dir),
            "QA_REBUILD_ON_START": "false",
            "QA_API_KEYS": ",".join(KEYS),
            "QA_RATE_LIMIT_PER_MIN": "1",  # the burst is all a key gets during the test
            "QA_RATE_LIMIT_BURST": str(BURST),
            "QA_REQUEST_TIMEOUT_S": "300",
            "QA_SHUTDOWN_GRACE_S": "300",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
    )
    try:
        wait_for(lambda: "ready: demo page" in proc.stderr() or proc.proc.poll() is not None, 900, "ready")
        assert proc.proc.poll() is None, proc.stderr()[-3000:]
        yield proc, index_dir, metrics_dir
    finally:
        proc.stop()


def test_workers_refuse_a_missing_index_before_binding(tmp_path):
    proc = ServeProcess(
        tmp_path,
        {"QA_WORKERS": "2", "QA_INDEX_DIR": str(tmp_path / "none"), "QA_REBUILD_ON_START": "false"},
    )
    assert proc.proc.wait(120) == 2
    err = proc.stderr()
    assert "no index in" in err and "qa build-index" in err
    assert "Started server process" not in err and "Traceback" not in err


def fresh_get(url: str, key: str) -> httpx.Response:
    """One request on a new connection, so that it may reach either worker."""
    with httpx.Client(timeout=60) as client:
        return client.get(url, headers={"X-API-Key": key})


def test_one_ready_line_for_two_workers(workers):
    proc, _, _ = workers
    err = proc.stderr()
    assert "starting 2 workers" in err
    assert len(re.findall(r"ready: demo page", err)) == 1
    assert "· 2 workers" in err
    assert len(set(re.findall(r"Started server process \[(\d+)\]", err))) == 2


def test_rate_limit_holds_across_workers(workers):
    proc, _, metrics_dir = workers
    statuses = [fresh_get(f"{proc.url}/manifest", LIMITED).status_code for _ in range(30)]
    assert statuses.count(200) in (BURST, BURST + 1)  # one token may come back at 1/min; never 2x
    assert statuses.count(429) == 30 - statuses.count(200)
    assert len(served_by_pid(metrics_dir, "/manifest")) == 2  # both workers took requests


def test_metrics_sum_across_workers(workers):
    proc, _, metrics_dir = workers

    def count(text: str) -> float:
        line = 'qa_requests_total{method="GET",route="/manifest",status="200"}'
        return sum(float(x.split()[-1]) for x in text.splitlines() if x.startswith(line))

    before = count(fresh_get(f"{proc.url}/metrics", METRICS).text)
    sent = [fresh_get(f"{proc.url}/manifest", METRICS).status_code for _ in range(BURST - 2)]
    assert sent == [200] * (BURST - 2)
    after = count(fresh_get(f"{proc.url}/metrics", METRICS).text)
    assert after - before == BURST - 2
    per_worker = served_by_pid(metrics_dir, "/manifest")
    assert sum(per_worker.values()) >= after  # the sum is over both workers' files


def test_reload_reaches_every_worker(workers):
    proc, index_dir, _ = workers
    old = (index_dir / CURRENT).read_text().strip()
    new = "20991231T000000000000Z"  # the same files published again under a new build id
    shutil.copytree(index_dir / old, index_dir / new)
    manifest = json.loads((index_dir / new / MANIFEST).read_text())
    manifest["build_id"] = new
    (index_dir / new / MANIFEST).write_text(json.dumps(manifest))
    (index_dir / CURRENT).write_text(new + "\n")
    with httpx.Client(timeout=120) as client:
        r = client.post(f"{proc.url}/admin/reload", headers={"X-API-Key": RELOAD})
    assert r.status_code == 200 and r.json()["build_id"] == new
    wait_for(lambda: "reload of worker" in proc.stderr(), 60, "the other worker to follow")
    # Every worker now serves the new build: ask over new connections (each key has its burst).
    build_ids = {fresh_get(f"{proc.url}/manifest", KEYS[4 + n % 4]).json()["build_id"] for n in range(20)}
    assert build_ids == {new}


def test_sigterm_to_the_supervisor_lets_a_question_in_flight_finish(workers):
    """Runs last: it stops the shared server."""
    proc, _, _ = workers
    long_question = "数" * 250 + "?"

    def ask(n: int) -> tuple[int, str, float]:
        path = "/ask/stream" if n == 0 else "/ask"  # one streamed answer must complete too
        with httpx.Client(timeout=300) as client:
            body = {"question": long_question}
            r = client.post(f"{proc.url}{path}", json=body, headers={"X-API-Key": ASK})
            return r.status_code, r.text, time.monotonic()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(ask, n) for n in range(4)]
        time.sleep(0.5)
        signalled = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)
        results = [f.result() for f in futures]
    assert [status for status, _, _ in results] == [200] * 4
    assert "event: done" in results[0][1] and "event: error" not in results[0][1]
    assert any(done > signalled for _, _, done in results)  # they were in flight at SIGTERM
    assert proc.proc.wait(120) in (0, -signal.SIGTERM)
    err = proc.stderr()
    assert len(re.findall(r"Finished server process", err)) == 2
    assert "Stopping parent process" in err
