"""What ``qa serve`` tells its operator: a taken port before anything loads, and where to go when ready.

A port already in use used to fail only after the model and index had loaded (a minute or two
lost, then a bare ``[Errno 98]``); it is checked first, and the message says how to pick another.
When the server listens, uvicorn's "Uvicorn running on ..." line becomes one line with the
addresses a new user wants: the demo page, the API docs and the API itself. It is rewritten in
the log rather than printed by ``qa serve``, so it appears exactly when the socket is bound,
however uvicorn was started (one process or several). A start-up build binds first (so
``/healthz`` answers while it runs): then the bound socket is announced as "listening …
loading", and the ready line comes when the index is loaded (:func:`index_loaded`), not before.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading

from qa.errors import ConfigError

RUNNING_PREFIX = "Uvicorn running on "
LOADED = threading.Event()  # this process's service has loaded its index
_listening: list[str] = []  # the URL, once uvicorn listens in this process


def check_port(host: str, port: int) -> None:
    """ConfigError naming the fix when ``host:port`` cannot be bound (uvicorn binds the same way,
    with SO_REUSEADDR, so a port in TIME_WAIT after a restart is not reported as taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            other = port + 1 if port < 65535 else 8001
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"port {port} on {host} is already in use (another qa serve?): stop it, or pick another "
                    f"port: make serve PORT={other} (or qa serve --port {other}, or QA_PORT={other})"
                ) from None
            raise ConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}; set another address with "
                f"make serve HOST=127.0.0.1 PORT={other} (or QA_HOST / QA_PORT)"
            ) from None


def base_url(protocol: str, host: str, port: int) -> str:
    """The URL a browser on this machine can open (``0.0.0.0``/``::`` listen everywhere)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)
    return f"{protocol}://{shown}:{port}"


def ready_line(protocol: str, host: str, port: int) -> str:
    return _ready(base_url(protocol, host, port))


def _ready(url: str) -> str:
    return f"ready: demo page {url}/ · API docs {url}/docs · API {url} (/ask, OpenAI /v1)"


def index_loaded(build_id: str) -> str:
    """The line to log when the service has loaded its index: the ready line when the server
    already listens (a start-up build), else a note (the ready line follows when it binds)."""
    LOADED.set()
    return f"{_ready(_listening[-1])} · index {build_id}" if _listening else f"index {build_id} loaded"


# uvicorn's lifespan chatter: the application here has nothing to start, so these say nothing.
QUIET = frozenset({"Waiting for application startup.", "Application startup complete."})


class ReadyLineFilter(logging.Filter):
    """Turns uvicorn's "Uvicorn running on http://host:port" record into :func:`ready_line` and
    drops its lifespan lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        if message in QUIET:
            return False
        args = record.args
        running = isinstance(message, str) and message.startswith(RUNNING_PREFIX) and "://" in message
        if running and isinstance(args, tuple | list) and len(args) == 3:
            protocol, host, port = args
            url = base_url(str(protocol), str(host), int(str(port)))
            _listening.append(url)
            record.msg = _ready(url)
            from qa.api.workers import workers_starting

            if workers := workers_starting():  # several workers: they say when they are ready
                record.msg = f"listening on {url}: starting {workers} workers (each loads the model)"
            elif not LOADED.is_set():  # a start-up build: ready when it is done (index_loaded)
                record.msg = f"listening on {url}: loading the model and index (GET /readyz for progress)"
            record.args = ()
            record.__dict__["color_message"] = record.msg
        return True
