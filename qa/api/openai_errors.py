"""OpenAI's error shape on ``/v1/*``, so OpenAI clients show our message, not "Error code: 404".

The official clients read ``{"error": {"message", "type", "param", "code"}}`` and raise a typed
exception per status (``NotFoundError``, ``BadRequestError``, ...) carrying ``message``; given our
``{"detail": ...}`` they show only the status. Every other route keeps ``{"detail"}``.

This is one middleware rewriting JSON error bodies on the way out rather than a second error
path at every raise: refusals come from several layers (API keys, rate limit, body limit,
admission, validation, the routes, the last-resort 500), and all of them reach the client through
here. It sits outside all of them and only buffers responses with an error status.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/v1/"
CHAT_PATH = "/v1/chat/completions"

# OpenAI's "type" per status; what its own API sends for the same kind of failure.
_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    409: "conflict_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}
_CODES = {401: "invalid_api_key", 413: "request_too_large", 429: "rate_limit_exceeded", 504: "timeout"}


def openai_error(status: int, detail: object, path: str) -> tuple[int, dict[str, Any]]:
    """The status and body OpenAI clients expect for our ``status`` and ``detail``.

    A validation failure (422, with pydantic's list of errors) is a 400 there, as OpenAI's API
    answers a malformed request; its first error names ``param``.
    """
    param = code = None
    if isinstance(detail, list):  # FastAPI's validation errors: [{"loc", "msg", "type"}, ...]
        message = "; ".join(_validation_message(error) for error in detail) or "invalid request"
        first = detail[0] if detail and isinstance(detail[0], dict) else {}
        param = _param(first.get("loc", []))
        code = first.get("type")
    else:
        message = str(detail)
    if status == 422:
        status = 400
    if status == 404 and path == CHAT_PATH:  # the only 404 there: an unknown model
        param, code = "model", "model_not_found"
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    code = code or _CODES.get(status)
    return status, {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _param(loc: list[Any]) -> str | None:
    """``["body", "messages", 0, "content"]`` → ``messages[0].content`` (OpenAI's notation)."""
    parts = [p for p in loc if p != "body"]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or None


def _validation_message(error: object) -> str:
    if not isinstance(error, dict):
        return str(error)
    where = _param(error.get("loc", []))
    message = str(error.get("msg", "invalid"))
    return f"{where}: {message}" if where else message


class OpenAIErrorMiddleware:
    """Rewrites ``{"detail"}`` error responses under ``/v1/`` into OpenAI's shape and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if message["status"] >= 400 and headers.get("content-type", "").startswith(
                    "application/json"
                ):
                    start = message  # held until the whole (small) error body is here
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await self._send_rewritten(start, b"".join(chunks), path, send)
                return
            await send(message)

        await self.app(scope, receive, rewrite)

    @staticmethod
    async def _send_rewritten(start: Message, body: bytes, path: str, send: Send) -> None:
        status = start["status"]
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and "detail" in data and "error" not in data:
            status, shaped = openai_error(status, data["detail"], path)
            body = json.dumps(shaped, ensure_ascii=False).encode("utf-8")
        headers = MutableHeaders(scope=start)
        headers["content-length"] = str(len(body))
        await send({**start, "status": status})
        await send({"type": "http.response.body", "body": body, "more_body": False})
