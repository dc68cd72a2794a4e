"""Fixtures for the HTTP API tests: a real uvicorn server on 127.0.0.1 over the session index.

The model and the index are loaded once per session (the ``engine`` fixture); each server
here wraps them in a fresh app with its own settings (limits, keys), so a test can change
how the service behaves without loading anything again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from apihelpers import OPEN, ServerThread, loaded_state

from qa.config import Settings


@pytest.fixture
def serve(engine) -> Iterator[Callable[..., Any]]:
    """``with serve(max_in_flight=1) as server:`` a real server over the session index, with
    settings overridden as given (rate limit off unless a test sets one)."""

    @contextmanager
    def start(*, index_dir: Path | None = None, state: Any = None, **overrides: Any) -> Iterator[Any]:
        from qa.api import create_app

        values = {**OPEN, **overrides}
        settings = Settings(index_dir=index_dir or engine.settings.index_dir, _env_file=None, **values)
        state = state or loaded_state(engine, settings)
        with ServerThread(create_app(settings, state=state), settings) as server:
            server.state = state
            yield server

    yield start


@pytest.fixture(scope="module")
def shared_server(engine) -> Iterator[ServerThread]:
    """One open server (no keys, no rate limit) shared by a module's read-only tests."""
    from qa.api import create_app

    settings = Settings(index_dir=engine.settings.index_dir, _env_file=None, request_timeout_s=120, **OPEN)
    with ServerThread(create_app(settings, state=loaded_state(engine, settings)), settings) as server:
        yield server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=180) as c:
        yield c


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A real redis-server for the module (qa.api.shared, the worker tests)."""
    from redishelpers import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()
