"""The load test's side of the server: the questions, the loopback-only guard, ``qa serve``
started on a free port and waited for (also used by the API tests to run the real CLI), and
the queue wait the server reports."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from qa.config import Settings


def load_questions(path: Path | None, settings: Settings) -> list[str]:
    """Questions from a JSONL file with a ``question`` field (default: the corpus' gold set)."""
    path = path or settings.corpus_dir / "gold" / "gold.jsonl"
    if not path.is_file():
        raise SystemExit(f"error: no questions file {path}: pass --questions FILE.jsonl")
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            question = json.loads(line).get("question")
            if isinstance(question, str) and question.strip():
                found.append(question)
    if not found:
        raise SystemExit(f"error: {path} has no questions")
    return found


def check_loopback(url: str) -> None:
    """Load goes to this machine only: refuse any host that is not a loopback address."""
    host = urlparse(url).hostname or ""
    addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise SystemExit(f"error: {url} is not a loopback address; the load test only targets this machine")


def start_server(keep_rate_limit: bool, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ)
    if not keep_rate_limit:
        env["QA_RATE_LIMIT_PER_MIN"] = "0"
    out = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env,
    )
    return proc, f"http://127.0.0.1:{port}"


def free_port() -> int:
    """A loopback port nobody listens on (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes] | None, timeout: float, poll: float = 0.5) -> None:
    """Until ``url`` answers /readyz 200; SystemExit if ``proc`` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"error: the server exited with {proc.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(poll)
    raise SystemExit(f"error: {url} not ready after {timeout:.0f}s")


def queue_wait_ms(server_timing: str | None) -> float | None:
    """The ``queue;dur=12.5`` entry of a Server-Timing header, in ms."""
    for entry in (server_timing or "").split(","):
        name, _, params = entry.strip().partition(";")
        if name == "queue" and params.startswith("dur="):
            try:
                return float(params[4:])
            except ValueError:
                return None
    return None
