"""Shutdown with a grace: requests in flight finish, and past the grace they end cleanly.

uvicorn, on SIGTERM, stops accepting connections and waits up to ``timeout_graceful_shutdown``
for requests in flight, then cancels them: a plain-text 500 for ``/ask``, a cut connection for
a stream. sse-starlette on its own closes every open stream half a second after the signal. So
the app watches for the server's exit flag itself; when it is raised, the question guard stops
admitting (503) and is told to end whatever still waits or runs a little before the server's
grace is over, with a 503 in JSON for ``/ask`` and an ``error`` event for a stream (which
sse-starlette is told to keep open for the grace: ``stream_grace_s``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from qa.api.admission import QuestionGuard

log = logging.getLogger("qa.api")
POLL_S = 0.05
MARGIN_S = 1.0  # answers end this long before uvicorn's own deadline, so their 503 gets out


def own_deadline(grace_s: float) -> float:
    """Seconds after the signal at which unfinished questions are ended with a 503."""
    return max(0.0, grace_s - min(MARGIN_S, grace_s / 4))


def _server_of(app_state: Any) -> Any:
    """The uvicorn Server: the one ``qa serve`` (or a test) registered, else the SIGTERM handler's
    owner (uvicorn installs a bound method of its Server)."""
    server = getattr(app_state, "qa_server", None)
    if server is not None:
        return server
    handler = signal.getsignal(signal.SIGTERM)
    owner = getattr(handler, "__self__", None)
    return owner if hasattr(owner, "should_exit") else None


async def watch_for_shutdown(app_state: Any, guard: QuestionGuard, grace_s: float) -> None:
    """Runs for the app's lifetime (a lifespan task): starts the guard's drain on shutdown."""
    while True:
        server = _server_of(app_state)
        if server is not None and server.should_exit:
            break
        await asyncio.sleep(POLL_S)
    deadline = own_deadline(grace_s)
    log.info("shutting down: %d question(s) in flight get %.1f s to finish", guard.in_flight, deadline)
    guard.begin_drain(deadline)


def stream_grace_s(grace_s: float) -> float:
    """How long sse-starlette keeps a stream open after shutdown starts (it would close it at once)."""
    return max(0.1, grace_s)
