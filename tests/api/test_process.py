"""`qa serve` as a real process: refuses a broken index, rebuilds a missing one, reloads on
SIGHUP, finishes requests in flight on SIGTERM, and writes one JSON access line per request.

These start the installed CLI in a subprocess (its own model load), so they are few and
share one server where they can: the module fixture starts from an empty index folder with
QA_REBUILD_ON_START=true, which also proves the rebuild; the SIGTERM test runs last.
"""

from __future__ import annotations

import concurrent.futures
import json
import signal
import socket
import time

import httpx
import pytest
from apihelpers import ServeProcess, copy_index, wait_for

from qa.index import current_build_dir
from qa.index.store import CURRENT

pytestmark = pytest.mark.slow
KEY = "process-admin-key"
AUTH = {"X-API-Key": KEY}
QUESTION = "重庆和成都两地直联带宽达到多少?"


def test_serve_refuses_a_missing_index_without_loading_the_model(tmp_path):
    proc = ServeProcess(tmp_path, {"QA_INDEX_DIR": str(tmp_path / "none"), "QA_REBUILD_ON_START": "false"})
    assert proc.proc.wait(120) == 2
    err = proc.stderr()
    assert "no index in" in err and "qa build-index" in err
    assert "Loading weights" not in err and "Traceback" not in err


def test_serve_refuses_a_corrupted_index(engine, tmp_path):
    index_dir = copy_index(engine, tmp_path / "index")
    faiss_file = current_build_dir(index_dir) / "chunks.faiss"
    data = bytearray(faiss_file.read_bytes())
    data[-1] ^= 0xFF
    faiss_file.write_bytes(bytes(data))
    proc = ServeProcess(tmp_path, {"QA_INDEX_DIR": str(index_dir), "QA_REBUILD_ON_START": "false"})
    assert proc.proc.wait(300) == 2
    err = proc.stderr()
    assert "corrupted (checksum)" in err and "chunks.faiss" in err and "qa build-index" in err
    assert "Traceback" not in err
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", proc.port), timeout=2).close()  # never bound


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("served")
    proc = ServeProcess(
        tmp,
        {
            "QA_INDEX_DIR": str(tmp / "index"),
            "QA_REBUILD_ON_START": "true",
            "QA_API_KEYS": KEY,
            "QA_RATE_LIMIT_PER_MIN": "0",
            "QA_MAX_IN_FLIGHT": "4",
            "QA_REQUEST_TIMEOUT_S": "300",
            "QA_SHUTDOWN_GRACE_S": "300",
        },
    )
    try:
        proc.seen = _watch_start(proc)  # type: ignore[attr-defined]
        proc.wait_ready(timeout=1200)  # builds the index from the real report first
        yield proc, tmp / "index"
    finally:
        proc.stop()


def _watch_start(proc: ServeProcess, timeout: float = 1200) -> list[dict]:
    """What /healthz and /readyz said while the server started: the port is bound at once and
    the index is built behind it."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.proc.poll() is None:
        try:
            health = httpx.get(f"{proc.url}/healthz", timeout=5).status_code
            ready = httpx.get(f"{proc.url}/readyz", timeout=5).json()
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        seen.append({"healthz": health, **ready})
        if ready["status"] in ("ready", "error"):
            break
        time.sleep(0.5)
    return seen


def test_serve_binds_first_and_says_building_with_the_step(served):
    proc, _ = served
    building = [s for s in proc.seen if s["status"] == "building"]
    assert building, proc.seen[:5]
    assert all(s["healthz"] == 200 for s in proc.seen)
    assert any("building the index: embedding" in s["detail"] and "/5)" in s["detail"] for s in building)


def test_serve_rebuilds_a_missing_index_then_serves(served):
    proc, index_dir = served
    assert (index_dir / CURRENT).is_file()
    assert httpx.get(f"{proc.url}/readyz", timeout=30).json() == {"status": "ready"}
    manifest = httpx.get(f"{proc.url}/manifest", headers=AUTH, timeout=30).json()
    assert manifest["counts"]["documents"] == 1
    assert manifest["build_id"] == (index_dir / CURRENT).read_text().strip()
    err = proc.stderr()  # the start-up story: why it builds, that it builds, then where to go
    assert "no index in" in err and "building it now" in err and "qa build-index" not in err
    assert "building the index for 1 document: embedding" in err
    ready = [line for line in err.splitlines() if "ready: demo page" in line]
    assert len(ready) == 1 and f"{proc.url}/docs" in ready[0]
    assert len(err.splitlines()) < 60
    r = httpx.post(f"{proc.url}/ask", json={"question": QUESTION}, headers=AUTH, timeout=180)
    assert r.status_code == 200 and "9540GB" in r.json()["answer"]
    assert httpx.post(f"{proc.url}/ask", json={"question": QUESTION}, timeout=30).status_code == 401


def test_access_log_is_one_json_line_per_request(served):
    proc, _ = served
    httpx.get(f"{proc.url}/healthz", headers={"X-Request-ID": "proc-log-1"}, timeout=30)
    lines = []

    def logged() -> bool:
        lines[:] = [json.loads(x) for x in proc.stdout().splitlines() if "proc-log-1" in x]
        return bool(lines)

    wait_for(logged, 10, "the access line")
    assert lines[0]["event"] == "access" and lines[0]["path"] == "/healthz" and lines[0]["status"] == 200
    assert all(line.startswith("{") for line in proc.stdout().splitlines() if line.strip())
    assert KEY not in proc.stdout() + proc.stderr()


def test_sighup_reloads_the_current_build(served):
    proc, index_dir = served
    build_id = (index_dir / CURRENT).read_text().strip()
    proc.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: f"SIGHUP reload: index {build_id} -> {build_id}" in proc.stderr(), 120, "the reload")


def test_sighup_with_a_broken_index_keeps_serving(served):
    proc, index_dir = served
    pointer = index_dir / CURRENT
    build_id = pointer.read_text().strip()
    pointer.write_text("20990101T000000000000Z\n")
    try:
        proc.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "SIGHUP reload failed" in proc.stderr(), 120, "the failed reload")
        assert f"still serving index {build_id}" in proc.stderr()
        manifest = httpx.get(f"{proc.url}/manifest", headers=AUTH, timeout=30).json()
        assert manifest["build_id"] == build_id
        r = httpx.post(f"{proc.url}/ask", json={"question": QUESTION}, headers=AUTH, timeout=180)
        assert r.status_code == 200 and "9540GB" in r.json()["answer"]
    finally:
        pointer.write_text(build_id + "\n")


def test_sigterm_finishes_requests_in_flight_and_stops_accepting(served):
    """Runs last in this module: it stops the shared server."""
    proc, _ = served
    slow_question = "数" * 250  # a long question (250 tokens, within the budget): its embedding takes a while

    streamed: list[str] = []

    def ask(n: int) -> tuple[int, float]:
        if n == 3:  # one streamed answer: it must complete too, not be cut at the signal
            body = {"question": slow_question + "?"}
            r = httpx.post(f"{proc.url}/ask/stream", json=body, headers=AUTH, timeout=300)
            streamed.append(r.text)
        else:
            r = httpx.post(f"{proc.url}/ask", json={"question": slow_question}, headers=AUTH, timeout=300)
        return r.status_code, time.monotonic()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(ask, n) for n in range(4)]
        time.sleep(0.5)
        signalled = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)

        def refused() -> bool:
            try:
                socket.create_connection(("127.0.0.1", proc.port), timeout=1).close()
                return False
            except OSError:
                return True

        wait_for(refused, 30, "the listening socket to close")
        refused_at = time.monotonic()
        results = [f.result() for f in futures]
    assert [status for status, _ in results] == [200, 200, 200, 200]
    assert "event: done" in streamed[0] and "event: error" not in streamed[0]
    assert any(done > signalled for _, done in results)  # they were in flight at SIGTERM
    assert any(done > refused_at for _, done in results)  # new connections refused while they ran
    # uvicorn re-raises SIGTERM once its graceful shutdown is complete
    assert proc.proc.wait(120) in (0, -signal.SIGTERM)
    assert "Shutting down" in proc.stderr() and "Finished server process" in proc.stderr()
