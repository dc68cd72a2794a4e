"""Fixtures for browser tests: Debian's Chromium driven by Playwright, and a host page served
from its own port (another origin than the API), as a site embedding the widget would be.

Chromium is never downloaded (``playwright install`` is not used): the tests launch
``/usr/bin/chromium``, which ``.ci/run`` installs with apt. Without it they skip, except in
CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))  # apihelpers: the live server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class HostSite:
    """A static site on its own loopback port: the "customer page" that embeds the widget."""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page(self, name: str, html: str) -> str:
        (self.root / name).write_text(html, encoding="utf-8")
        return f"{self.origin}/{name}"


@pytest.fixture
def host_site(tmp_path: Path) -> Iterator[HostSite]:
    root = tmp_path / "site"
    root.mkdir()
    site = HostSite(root)
    site.thread.start()
    yield site
    site.httpd.shutdown()
    site.httpd.server_close()
