"""Request plumbing for every route: request ids, JSON access logs, body limits, last-resort errors.

These are plain ASGI middlewares, not ``BaseHTTPMiddleware``: they see every request (routes
added later, 404s, streamed responses) without buffering responses or breaking cancellation.
The body is read once here, up to ``QA_MAX_BODY_BYTES``, so an oversized or non-UTF-8 body is
refused with a clear 4xx before any route parses it, and replayed unchanged to the app.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

import anyio
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.errors import BadRequestError, PayloadTooLargeError, QAError, UnauthorizedError

access_log = logging.getLogger("qa.access")
log = logging.getLogger("qa.api")

REQUEST_ID_HEADER = "x-request-id"
CLIENT_CLOSED = 499
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# How much of an oversized body is read (and thrown away) so that its 413 reaches the client.
DRAIN_MAX_BYTES = 32 * 1024 * 1024
DRAIN_MAX_SECONDS = 5.0
UPLOAD_ROUTE = ("POST", "/documents")  # its body is a file: QA_UPLOAD_MAX_BYTES, not QA_MAX_BODY_BYTES
UPLOAD_FRAMING_BYTES = 64 * 1024  # multipart boundaries and part headers around the file


def error_headers(exc: QAError) -> dict[str, str]:
    """``Retry-After`` for 429/503 (whole seconds, at least 1), ``WWW-Authenticate`` for 401."""
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is None and exc.status_code == 503:
        retry_after = 5
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, int(-(-float(retry_after) // 1))))
    if isinstance(exc, UnauthorizedError):
        headers["WWW-Authenticate"] = 'Bearer realm="qa"'
    return headers


def error_response(exc: QAError) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=error_headers(exc))


def scope_state(scope: Scope) -> dict[str, Any]:
    """The per-request dict that Starlette exposes as ``request.state``."""
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


class RequestContextMiddleware:
    """Outermost: a request id on every response, one JSON access-log line per request, and a
    500 with ``{"detail"}`` (never a dropped connection) if anything inside raises."""

    def __init__(self, app: ASGIApp, *, log_questions: bool = False) -> None:
        self.app = app
        self.log_questions = log_questions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        state = scope_state(scope)
        incoming = _header(scope, REQUEST_ID_HEADER)
        request_id = incoming if incoming and _GOOD_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        state["request_id"] = request_id
        status = {"code": 0, "started": False, "failed": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status["failed"] = True
            log.exception("unhandled error in %s %s (request %s)", scope["method"], scope["path"], request_id)
            if not status["started"]:
                response = JSONResponse(
                    {"detail": f"internal error (request id {request_id})"}, status_code=500
                )
                await response(scope, receive, send_with_id)
        finally:
            # no response and no error: the client went away first (499, as nginx logs it)
            code = status["code"] or (500 if status["failed"] else CLIENT_CLOSED)
            self._log(scope, state, code, began)

    def _log(self, scope: Scope, state: dict[str, Any], status: int, began: float) -> None:
        client = scope.get("client")
        record: dict[str, Any] = {
            "event": "access",
            "request_id": state.get("request_id"),
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round((time.perf_counter() - began) * 1000, 1),
            "client": client[0] if client else None,
            "key_id": state.get("key_id"),
        }
        question = state.get("question")
        if question is not None and self.log_questions:
            record["question"] = question
        access_log.info(json.dumps(record))
        if question is not None and not self.log_questions and access_log.isEnabledFor(logging.DEBUG):
            line = {"event": "question", "request_id": record["request_id"], "question": question}
            access_log.debug(json.dumps(line))


class BodyLimitMiddleware:
    """413 for a body over ``max_bytes`` (by Content-Length, and by counting a streamed body),
    400 for a JSON body that is not UTF-8; the body is then replayed to the app.

    An oversized body is read and thrown away (up to ``DRAIN_MAX_BYTES`` / ``DRAIN_MAX_SECONDS``)
    before the 413 is sent: a client that writes its whole body before reading the response
    (Python's urllib, many scripts) would otherwise hit a closed socket and see a connection reset
    instead of the 413. A client that asked ``Expect: 100-continue`` (curl for bodies over 1 MB)
    never sends the body, so it gets the 413 at once; past the drain bound the connection is
    closed after the 413.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        upload_max_bytes: int | None = None,
        log_questions: bool = False,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes  # POST /documents: a file, not a question
        self.log_questions = log_questions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = _header(scope, "content-length")
        if declared is not None and not declared.strip().isdigit():
            await error_response(BadRequestError("invalid Content-Length header"))(scope, receive, send)
            return
        if declared is not None and int(declared) > limit:
            await self._too_large(scope, receive, send, body_pending=True)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(scope, receive, send, body_pending=message.get("more_body", False))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and _is_json(scope):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = BadRequestError(f"request body is not valid UTF-8 (byte {exc.start}): send UTF-8 JSON")
                await error_response(bad)(scope, receive, send)
                return
            # The question is read out of the body only for the access log; FastAPI parses
            # the body again, so skip the second parse when nothing would log it.
            if self.log_questions or access_log.isEnabledFor(logging.DEBUG):
                question = _question_of(text)
                if question is not None:
                    scope_state(scope)["question"] = question

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _limit(self, scope: Scope) -> int:
        """The body limit for this request: an upload's file plus room for its multipart framing."""
        if self._is_upload(scope):
            return self.upload_max_bytes + UPLOAD_FRAMING_BYTES  # type: ignore[operator]
        return self.max_bytes

    def _is_upload(self, scope: Scope) -> bool:
        return self.upload_max_bytes is not None and (scope["method"], scope["path"]) == UPLOAD_ROUTE

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, *, body_pending: bool) -> None:
        """The 413, after draining what the client is still sending (see the class docstring)."""
        expects_continue = (_header(scope, "expect") or "").lower() == "100-continue"
        drained = not body_pending or (not expects_continue and await _drain(receive))
        if self._is_upload(scope):
            what = f"file too large: the limit is {self.upload_max_bytes} bytes (QA_UPLOAD_MAX_BYTES)"
        else:
            what = f"request body too large: the limit is {self.max_bytes} bytes (QA_MAX_BODY_BYTES)"
        response = error_response(PayloadTooLargeError(what))
        if not drained:  # unread body bytes on the socket: this connection cannot carry another request
            response.headers["connection"] = "close"
        await response(scope, receive, send)


async def _drain(receive: Receive) -> bool:
    """Read and discard the rest of the body; False if it was cut short by the drain bounds."""
    read = 0
    with anyio.move_on_after(DRAIN_MAX_SECONDS):
        while read <= DRAIN_MAX_BYTES:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            read += len(message.get("body", b""))
            if not message.get("more_body", False):
                return True
    return False


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode("latin-1")
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return bytes(value).decode("latin-1")
    return None


def _is_json(scope: Scope) -> bool:
    content_type = (_header(scope, "content-type") or "application/json").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def _question_of(text: str) -> str | None:
    """The question in an /ask body, or the last message of a chat body, for DEBUG logs only."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("question"), str):
        return str(data["question"])[:500]
    messages = data.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        content = messages[-1].get("content")
        if isinstance(content, str):
            return content[:500]
    return None


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn ``log_config``: access lines as bare JSON on stdout, everything else as usual."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = json.loads(json.dumps(LOGGING_CONFIG))
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    # "Uvicorn running on ..." becomes one line with the demo page, docs and API URLs.
    config.setdefault("filters", {})["qa_ready"] = {"()": "qa.api.startup.ReadyLineFilter"}
    config["handlers"]["default"]["filters"] = ["qa_ready"]
    config["handlers"]["qa_access"] = {
        "class": "logging.StreamHandler",
        "formatter": "json_line",
        "stream": "ext://sys.stdout",
    }
    config["handlers"]["qa"] = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["qa.access"] = {"handlers": ["qa_access"], "level": level.upper(), "propagate": False}
    config["loggers"]["qa"] = {"handlers": ["qa"], "level": level.upper(), "propagate": False}
    return config
