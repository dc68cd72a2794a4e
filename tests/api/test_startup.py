"""What `qa serve` says at start: a taken port before anything loads, one ready line with the URLs."""

from __future__ import annotations

import logging
import logging.config
import socket
import threading

import pytest

from qa.api import startup
from qa.api.middleware import log_config
from qa.api.startup import ReadyLineFilter, base_url, check_port, ready_line
from qa.errors import ConfigError


def test_a_taken_port_is_refused_with_the_fix():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as caught:
            check_port("127.0.0.1", port)
    assert f"port {port} on 127.0.0.1 is already in use" in caught.value.detail
    assert f"make serve PORT={port + 1}" in caught.value.detail


def test_a_free_port_passes_and_stays_free():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    check_port("127.0.0.1", port)
    with socket.socket() as again:  # the check released it
        again.bind(("127.0.0.1", port))


def test_an_address_that_is_not_here_is_refused_clearly():
    with pytest.raises(ConfigError, match=r"cannot listen on 203\.0\.113\.9:8000"):
        check_port("203.0.113.9", 8000)


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("0.0.0.0", "http://127.0.0.1:8000"),
        ("::1", "http://[::1]:8000"),
    ],
)
def test_base_url_is_one_a_browser_here_opens(host, url):
    assert base_url("http", host, 8000) == url


def _uvicorn_start() -> list[str]:
    """uvicorn's own records, through the filter `qa serve`'s log configuration puts on them."""
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("test.uvicorn.error")
    handler = Keep()
    handler.addFilter(ReadyLineFilter())
    logger.addHandler(handler)
    try:
        logger.warning("Uvicorn running on %s://%s:%d (Press CTRL+C to quit)", "http", "127.0.0.1", 8123)
        logger.warning("Waiting for application startup.")
        logger.warning("Started server process [%d]", 42)
    finally:
        logger.removeHandler(handler)
    return records


def test_uvicorns_running_line_becomes_the_ready_line(monkeypatch):
    monkeypatch.setattr(startup, "LOADED", threading.Event())
    monkeypatch.setattr(startup, "_listening", [])
    startup.LOADED.set()  # the index was loaded before the socket was bound
    records = _uvicorn_start()
    assert records == [ready_line("http", "127.0.0.1", 8123), "Started server process [42]"]
    assert records[0] == (
        "ready: demo page http://127.0.0.1:8123/ · API docs http://127.0.0.1:8123/docs · "
        "API http://127.0.0.1:8123 (/ask, OpenAI /v1)"
    )


def test_during_a_start_up_build_ready_is_said_when_the_index_is_loaded(monkeypatch):
    """The start-up build binds first: "ready" at bind would send users to a page that can't answer."""
    monkeypatch.setattr(startup, "LOADED", threading.Event())
    monkeypatch.setattr(startup, "_listening", [])
    records = _uvicorn_start()
    assert records[0].startswith("listening on http://127.0.0.1:8123: loading") and "ready:" not in records[0]
    line = startup.index_loaded("b1")
    assert line == f"{ready_line('http', '127.0.0.1', 8123)} · index b1"


def test_an_index_loaded_before_the_server_listens_is_a_note_not_the_ready_line(monkeypatch):
    monkeypatch.setattr(startup, "LOADED", threading.Event())
    monkeypatch.setattr(startup, "_listening", [])
    assert startup.index_loaded("b1") == "index b1 loaded" and startup.LOADED.is_set()


def test_the_log_config_puts_the_filter_on_uvicorns_handler():
    config = log_config("info")
    assert "qa_ready" in config["handlers"]["default"]["filters"]
    assert config["filters"]["qa_ready"]["()"] == "qa.api.startup.ReadyLineFilter"
