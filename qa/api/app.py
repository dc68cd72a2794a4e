"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from qa import __version__
from qa.api.routes import router
from qa.api.state import ServiceState
from qa.config import Settings, get_settings
from qa.errors import QAError

DESCRIPTION = """
Ask questions about the reports in the corpus, in Chinese or English. Every answer quotes
the report word for word, with `[n]` markers that point at citations carrying exact
character offsets. Questions the reports do not answer are refused (`found: false`).
"""


def create_app(settings: Settings | None = None, *, wait: bool = False) -> FastAPI:
    """Build the app. ``wait=True`` loads the model before serving (tests, CLI); otherwise
    loading runs in the background and ``/readyz`` turns 200 when it is done."""
    settings = settings or get_settings()
    state = ServiceState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(asyncio.to_thread(state.load))
        if wait:
            await loading
        yield
        if not loading.done():
            await loading

    app = FastAPI(title="qa", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.qa = state
    app.include_router(router)

    @app.exception_handler(QAError)
    async def _qa_error(request: Request, exc: QAError) -> JSONResponse:
        headers = {"Retry-After": "5"} if exc.status_code == 503 else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {k: v for k, v in err.items() if k in ("type", "loc", "msg")} for err in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    return app
