"""The request plumbing on a tiny app: last-resort 500, body replay, limits, headers. No model."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from qa.api.middleware import BodyLimitMiddleware, RequestContextMiddleware, _question_of, error_headers
from qa.errors import NotReadyError, OverloadedError, RateLimitedError, UnauthorizedError


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"bytes": len(body), "text": body.decode("utf-8", "replace")[:20]})


async def boom(request: Request) -> JSONResponse:
    raise RuntimeError("a bug")


def make_client(max_bytes: int = 1024) -> TestClient:
    """Placed as in the real app: inside Starlette's outermost error middleware, outside routing."""
    app = Starlette(
        routes=[Route("/echo", echo, methods=["POST"]), Route("/boom", boom, methods=["GET", "POST"])],
        middleware=[
            Middleware(RequestContextMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=max_bytes),
        ],
    )
    return TestClient(app, raise_server_exceptions=False)


def test_an_unhandled_error_is_a_json_500_with_the_request_id(caplog):
    caplog.set_level(logging.INFO)
    r = make_client().get("/boom", headers={"X-Request-ID": "bug-1"})
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error (request id bug-1)"}
    assert r.headers["x-request-id"] == "bug-1"
    access = [json.loads(x.getMessage()) for x in caplog.records if x.name == "qa.access"]
    assert access[-1]["status"] == 500 and access[-1]["request_id"] == "bug-1"
    assert any("a bug" in (x.exc_text or "") for x in caplog.records if x.levelno == logging.ERROR)


def test_the_body_is_replayed_unchanged_to_the_app():
    body = "带宽".encode() * 100
    r = make_client(max_bytes=1024).post("/echo", content=body, headers={"content-type": "text/plain"})
    assert r.status_code == 200 and r.json()["bytes"] == len(body)


def test_limit_is_on_bytes_not_characters():
    body = json.dumps({"question": "带" * 400}, ensure_ascii=False).encode()  # 400 chars, 1200+ bytes
    r = make_client(max_bytes=1024).post("/echo", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_invalid_utf8_json_is_400_but_other_types_pass():
    client = make_client()
    bad = client.post("/echo", content=b'{"q": "\xff"}', headers={"content-type": "application/json"})
    assert bad.status_code == 400 and "UTF-8" in bad.json()["detail"]
    raw = client.post("/echo", content=b"\xff", headers={"content-type": "application/octet-stream"})
    assert raw.status_code == 200


def test_error_headers():
    assert error_headers(OverloadedError("busy", retry_after=0.2)) == {"Retry-After": "1"}
    assert error_headers(RateLimitedError("slow down", retry_after=9.1)) == {"Retry-After": "10"}
    assert error_headers(NotReadyError("loading")) == {"Retry-After": "5"}
    assert error_headers(UnauthorizedError("key"))["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("body", "question"),
    [
        ('{"question": "带宽?"}', "带宽?"),
        ('{"messages": [{"role": "user", "content": "hi"}]}', "hi"),
        ('{"messages": []}', None),
        ("[1, 2]", None),
        ("{broken", None),
    ],
)
def test_question_of(body, question):
    assert _question_of(body) == question


# --- an oversized body over real sockets: every ordinary client reads the 413 ----------------

BIG = 2 * 1024 * 1024  # a body of 2 MB: far past the 64 KB limit, well within the drain bound


@pytest.fixture(scope="module")
def body_server():
    """The real app on a real server, model never loaded: a body is refused before any route."""
    from apihelpers import ServerThread

    from qa.api import create_app
    from qa.api.state import ServiceState
    from qa.config import Settings

    settings = Settings(_env_file=None, rate_limit_per_min=0)
    state = ServiceState(settings, error="not loaded (test)")
    state.ready.set()
    with ServerThread(create_app(settings, state=state), settings) as server:
        yield server


def _big_body(size: int = BIG) -> bytes:
    return b'{"question": "' + b"a" * size + b'"}'


def _is_413(status: int, body: bytes) -> bool:
    return status == 413 and "QA_MAX_BODY_BYTES" in json.loads(body)["detail"]


def test_urllib_reads_the_413_of_a_2_mb_body(body_server):
    """urllib writes the whole body before it reads: the server must read it too, or reset."""
    import urllib.error
    import urllib.request

    for _ in range(5):  # a reset was a race, so more than once
        request = urllib.request.Request(
            f"{body_server.url}/ask", data=_big_body(), headers={"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=30)
        assert _is_413(caught.value.code, caught.value.read())


def test_httpx_reads_the_413_and_the_connection_serves_the_next_request(body_server):
    import httpx

    with httpx.Client(timeout=30) as client:
        r = client.post(
            f"{body_server.url}/ask", content=_big_body(), headers={"content-type": "application/json"}
        )
        assert _is_413(r.status_code, r.content)
        chunked = client.post(
            f"{body_server.url}/ask", content=iter([_big_body()[: BIG // 2], _big_body()[BIG // 2 :]])
        )
        assert _is_413(chunked.status_code, chunked.content)  # no Content-Length: counted as it comes
        assert client.get(f"{body_server.url}/healthz").status_code == 200  # the same connection, intact


@pytest.mark.parametrize("expect", ["", "Expect:", "Expect: 100-continue"])
def test_curl_reads_the_413(body_server, tmp_path, expect):
    """curl sends `Expect: 100-continue` for big bodies by itself; without it, it sends the body."""
    import shutil
    import subprocess

    if shutil.which("curl") is None:
        pytest.skip("curl not installed")
    path = tmp_path / "big.json"
    path.write_bytes(_big_body())
    command = ["curl", "-sS", "-o", str(tmp_path / "out"), "-w", "%{http_code}", "--data-binary", f"@{path}"]
    command += ["-H", "Content-Type: application/json", f"{body_server.url}/ask"]
    if expect:
        command += ["-H", expect]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert _is_413(int(done.stdout), (tmp_path / "out").read_bytes())


def test_past_the_drain_bound_the_413_still_reaches_clients_that_read_early(body_server, monkeypatch):
    import httpx

    import qa.api.middleware

    monkeypatch.setattr(qa.api.middleware, "DRAIN_MAX_BYTES", 256 * 1024)
    r = httpx.post(
        f"{body_server.url}/ask", content=_big_body(), headers={"content-type": "application/json"}
    )
    assert _is_413(r.status_code, r.content)
    assert r.headers["connection"] == "close"  # unread bytes on that socket: not reused
