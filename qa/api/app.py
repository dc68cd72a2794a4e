"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from qa import __version__
from qa.api import docs, hardening, metrics
from qa.api.admin import install_sighup
from qa.api.chat import router as chat_router
from qa.api.documents import router as documents_router
from qa.api.drain import watch_for_shutdown
from qa.api.jobs import router as jobs_router
from qa.api.middleware import error_response
from qa.api.openai_errors import OpenAIErrorMiddleware
from qa.api.routes import router
from qa.api.search import router as search_router
from qa.api.state import ServiceState
from qa.api.web import router as web_router
from qa.config import Settings, get_settings
from qa.errors import QAError

DESCRIPTION = """
Ask questions about the reports in the corpus, in Chinese or English. Every answer quotes
the report word for word, with `[n]` markers that point at citations carrying exact
character offsets. Questions the reports do not answer are refused (`found: false`).
"""


def create_app(
    settings: Settings | None = None, *, wait: bool = False, state: ServiceState | None = None
) -> FastAPI:
    """Build the app. ``wait=True`` loads the model before serving (tests, CLI); otherwise
    loading runs in the background and ``/readyz`` turns 200 when it is done. A ``state``
    that is already loaded (``qa serve`` checks the index before binding) is used as is."""
    settings = settings or get_settings()
    state = state or ServiceState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = state.ready.is_set()
        loading = asyncio.create_task(asyncio.sleep(0) if loaded else asyncio.to_thread(state.load))
        if wait:
            await loading
        uninstall_sighup = install_sighup(state)
        # SIGTERM: questions in flight finish within the grace, then end with a 503 (qa.api.drain).
        draining = asyncio.create_task(
            watch_for_shutdown(app.state, app.state.qa_guard, settings.shutdown_grace_s)
        )
        yield
        draining.cancel()
        uninstall_sighup()
        if not loading.done():
            await loading

    # docs_url/redoc_url None: FastAPI's pages load from a CDN; qa.api.docs serves local ones.
    app = FastAPI(
        title="qa",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.qa = state
    app.include_router(router)
    app.include_router(search_router)
    app.include_router(chat_router)
    app.include_router(documents_router)
    app.include_router(jobs_router)
    app.include_router(web_router)
    docs.install(app)
    hardening.install(app, settings)
    app.add_middleware(OpenAIErrorMiddleware)  # outside them all: /v1 errors in OpenAI's shape
    # Outside the hardening layers, so its headers reach their error responses too (a widget
    # on another origin can then read a 401/429/503 instead of an opaque CORS failure).
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["X-Request-ID", "Retry-After"],
        max_age=600,
    )
    metrics.install(app)  # outermost: counts every response, refusals by the layers above included

    @app.exception_handler(QAError)
    async def _qa_error(request: Request, exc: QAError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in err.items() if k in ("type", "loc", "msg")} for err in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    return app


def server_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options that come from settings: the same for `qa serve` and the test servers.

    Proxy headers are believed only from ``QA_FORWARDED_ALLOW_IPS`` (no one by default): uvicorn's
    defaults would believe 127.0.0.1 (or ``$FORWARDED_ALLOW_IPS``), letting any local client choose
    the address its per-IP rate limit is kept under. uvicorn takes its timeouts in whole seconds,
    so fractions are rounded up.
    """
    return {
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "timeout_graceful_shutdown": math.ceil(settings.shutdown_grace_s),
        "timeout_keep_alive": math.ceil(settings.keep_alive_s),
    }
