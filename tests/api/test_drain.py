"""Shutdown with a grace (qa.api.drain) over a real server, with a stand-in answerer (no model).

The server's exit flag is raised as SIGTERM's handler raises it; a stream in flight must then
finish when its answer comes within the grace, and past the grace end with an ``error`` event;
``/ask`` past the grace gets a 503 in JSON, never uvicorn's plain-text 500.
"""

from __future__ import annotations

import concurrent.futures
import time

import httpx
from apihelpers import HeldAnswerer, held_server

QUESTION = "重庆和成都两地直联带宽达到多少?"


def _events(text: str) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("event:")]


def test_a_stream_in_flight_at_shutdown_completes_within_the_grace(monkeypatch):
    from sse_starlette.sse import AppStatus

    answerer = HeldAnswerer()
    with (
        held_server(answerer, shutdown_grace_s=8) as server,
        httpx.Client(timeout=60) as client,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        stream = pool.submit(client.post, f"{server.url}/ask/stream", json={"question": QUESTION})
        assert answerer.started.wait(30)
        server.server.should_exit = True  # what SIGTERM does (uvicorn's flag, and sse-starlette's)
        monkeypatch.setattr(AppStatus, "should_exit", True)
        time.sleep(1.5)  # sse-starlette alone would have closed the stream by now
        answerer.release.set()
        r = stream.result()
    assert r.status_code == 200
    assert _events(r.text)[-1] == "done" and "error" not in _events(r.text)


def test_past_the_grace_a_stream_ends_with_an_error_event_and_ask_with_503_json():
    answerer = HeldAnswerer()
    with (
        held_server(answerer, shutdown_grace_s=2, max_in_flight=2) as server,
        httpx.Client(timeout=60) as client,
        concurrent.futures.ThreadPoolExecutor(2) as pool,
    ):
        stream = pool.submit(client.post, f"{server.url}/ask/stream", json={"question": QUESTION})
        ask = pool.submit(client.post, f"{server.url}/ask", json={"question": QUESTION + "2"})
        deadline = time.monotonic() + 30
        while server.app.state.qa_guard.in_flight < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        server.server.should_exit = True
        streamed, asked = stream.result(), ask.result()
        answerer.release.set()
    assert streamed.status_code == 200 and _events(streamed.text) == ["error"]
    assert "shutting down" in streamed.text
    assert asked.status_code == 503 and asked.headers["content-type"].startswith("application/json")
    assert "QA_SHUTDOWN_GRACE_S" in asked.json()["detail"] and int(asked.headers["retry-after"]) >= 1
