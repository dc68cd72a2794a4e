"""Optional API keys: ``QA_API_KEYS`` set means every route but the public ones needs a key.

A key is sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` and compared in
constant time against every configured key. Public without a key: ``/healthz`` and ``/readyz``
(probes carry no secrets), the OpenAPI schema and docs pages (they describe the API, they hold
no data; "Authorize" in /docs takes a key), and the demo page ``/`` with ``/widget.js`` (static
files; the API calls they make need a key like any other client when keys are set).
``/metrics`` needs a key too, unless ``QA_METRICS_PUBLIC`` opens it to a scraper. Admin
routes (``/admin/...``, and the ones that change the corpus: ``POST /documents``, ``DELETE
/documents/{id}``, ``GET /jobs/{id}``) always need a key; with no keys configured they are
switched off (403).

Logs and rate limits see only a key's id (the first 8 hex digits of its sha256), never the key.
A refused key (missing or wrong) spends a token of the client IP's rate-limit bucket, so guessing
keys gets 429 after the limit, not an endless stream of cheap 401s.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from qa.api.middleware import error_response, scope_state
from qa.errors import ForbiddenError, QAError, UnauthorizedError

PROBE_PATHS = frozenset({"/healthz", "/readyz"})
REDOC_LOGO = "/redoc/logo-mini.svg"  # where the packaged ReDoc looks for its logo (qa.api.docs)
PUBLIC_PATHS = (
    PROBE_PATHS
    | {"/", "/widget.js", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
    | {REDOC_LOGO}
)
PUBLIC_PREFIXES = ("/docs/assets/",)  # the docs pages' own scripts and styles (qa.api.docs)
METRICS_PATH = "/metrics"  # needs a key like any route, unless QA_METRICS_PUBLIC opens it to a scraper
ADMIN_PREFIX = "/admin"


def is_admin(method: str, path: str) -> bool:
    """Routes that change the service or its corpus, and the jobs they start."""
    if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/") or path.startswith("/jobs/"):
        return True
    return (method == "POST" and path == "/documents") or (
        method == "DELETE" and path.startswith("/documents/")
    )


def key_id(key: str) -> str:
    """A short, stable, non-secret name for a key, for logs and rate-limit buckets."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


class KeyChecker:
    """Which key (if any) a request presents, and whether it is one of ours."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = [(k.encode("utf-8"), key_id(k)) for k in keys]

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def match(self, presented: bytes | None) -> str | None:
        """The id of the key ``presented`` equals, compared in constant time against all keys."""
        if presented is None:
            return None
        found = None
        for key, kid in self._keys:
            if hmac.compare_digest(key, presented):
                found = kid
        return found


def presented_key(scope: Scope) -> bytes | None:
    """The key from ``Authorization: Bearer …`` or ``X-API-Key``, as raw header bytes."""
    for name, value in scope.get("headers", []):
        name = name.lower()
        if name == b"authorization":
            scheme, _, token = bytes(value).strip().partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return token.strip()
        elif name == b"x-api-key" and value.strip():
            return bytes(value).strip()
    return None


class ApiKeyMiddleware:
    """401 without a valid key where keys are required; 403 for admin routes with no keys set.

    ``public_paths`` are served without a key (default ``PUBLIC_PATHS``; ``public_paths_for``
    adds ``/metrics`` when the settings open it)."""

    def __init__(
        self,
        app: ASGIApp,
        checker: KeyChecker,
        public_paths: frozenset[str] = PUBLIC_PATHS,
        on_refused: Callable[[Scope], None] | None = None,
    ) -> None:
        self.app = app
        self.checker = checker
        self.public_paths = public_paths
        self.on_refused = on_refused  # raises RateLimitedError when the client IP is over its limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        error = self._check(scope)
        if isinstance(error, UnauthorizedError) and self.on_refused is not None:
            try:
                self.on_refused(scope)
            except QAError as limited:
                error = limited
        if error is not None:
            await error_response(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check(self, scope: Scope) -> QAError | None:
        path: str = scope["path"]
        admin = is_admin(scope["method"], path)
        if admin and not self.checker.enabled:
            return ForbiddenError("admin routes are disabled: set QA_API_KEYS to enable them")
        presented = presented_key(scope)
        kid = self.checker.match(presented)
        if kid is not None:
            scope_state(scope)["key_id"] = kid
            return None
        if not self.checker.enabled:
            return None
        public = path in self.public_paths or path.startswith(PUBLIC_PREFIXES)
        if not admin and (public or _is_preflight(scope)):
            return None
        if presented is None:
            return UnauthorizedError(
                "an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`"
            )
        return UnauthorizedError("invalid API key")


def public_paths_for(metrics_public: bool) -> frozenset[str]:
    """The paths served without a key: the fixed ones, and ``/metrics`` when QA_METRICS_PUBLIC."""
    return PUBLIC_PATHS | {METRICS_PATH} if metrics_public else PUBLIC_PATHS


def _is_preflight(scope: Scope) -> bool:
    """A CORS preflight carries no credentials by design; the CORS middleware answers it."""
    if scope["method"] != "OPTIONS":
        return False
    return any(name.lower() == b"access-control-request-method" for name, _ in scope.get("headers", []))


def document_security(app: FastAPI, keys_required: bool) -> None:
    """Declare both key schemes in the OpenAPI schema, so /docs offers "Authorize"; mark the
    probes as public and, when keys are set, every other operation as needing one."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["bearer"] = {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key>"}
        schemes["apiKey"] = {"type": "apiKey", "in": "header", "name": "X-API-Key"}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if not isinstance(operation, dict):
                    continue
                if path in PUBLIC_PATHS:
                    operation["security"] = []
                elif keys_required or is_admin(method.upper(), path):
                    operation["security"] = [{"bearer": []}, {"apiKey": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
