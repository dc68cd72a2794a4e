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
