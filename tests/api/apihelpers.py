"""Helpers for the HTTP API tests: a real uvicorn server in a thread or `qa serve` as a process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import uvicorn

from qa.config import ROOT, SearchMode, Settings
from qa.loadtest_server import free_port, wait_ready
from qa.schemas import AskResponse

OPEN = {"rate_limit_per_min": 0}  # most tests send many requests from one address


class ServerThread:
    """uvicorn in a background thread, bound to a free loopback port before it starts; given the
    settings, with the options `qa serve` takes from them (proxy-header trust, keep-alive)."""

    def __init__(self, app: Any, settings: Settings | None = None) -> None:
        from qa.api.app import server_options

        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        options = server_options(settings) if settings else {}
        options.update(log_level="warning", access_log=False, timeout_graceful_shutdown=10)
        config = uvicorn.Config(app, **options)
        self.server = uvicorn.Server(config)
        app.state.qa_server = self.server  # qa.api.drain watches it for the shutdown
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def loaded_state(engine: Any, settings: Settings) -> Any:
    """A ServiceState that already holds the session engine (no second model load)."""
    from qa.answer.pipeline import build_pipeline
    from qa.api.state import Live, ServiceState

    state = ServiceState(settings)
    pipeline = build_pipeline(engine)
    state.live = Live(engine, pipeline, pipeline)
    state.ready.set()
    return state


def copy_index(engine: Any, dest: Path) -> Path:
    """A private copy of the session index (a real build) that a test may damage or replace."""
    shutil.copytree(engine.settings.index_dir, dest)
    return dest


class ServeProcess:
    """``qa serve`` as a subprocess (the real CLI, signals and all), output captured to files."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.out_path, self.err_path = tmp / "serve.out", tmp / "serve.err"
        full_env = {k: v for k, v in os.environ.items() if not k.upper().startswith("QA_")}
        # This checkout's qa, not whichever one the venv's editable install points at (a worktree)
        full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        full_env.update(env)
        full_env["PYTHONPATH"] = str(ROOT)  # this checkout's qa, whatever the venv has installed
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "serve", "--port", str(self.port)],
            cwd=tmp,  # no .env from the working tree
            env=full_env,
            stdout=self.out_path.open("wb"),
            stderr=self.err_path.open("wb"),
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float) -> None:
        try:
            wait_ready(self.url, self.proc, timeout)  # the loader's own wait (qa.loadtest)
        except SystemExit as exc:
            raise AssertionError(f"qa serve: {exc}: {self.stderr()[-2000:]}") from exc

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def stdout(self) -> str:
        return self.out_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class HeldAnswerer:
    """Answers only once released, so that a test can keep the service's slots busy (no model)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def answer(
        self, question: str, top_k: int = 5, mode: SearchMode | None = None, debug: bool = False, **_: Any
    ) -> AskResponse:
        self.started.set()
        assert self.release.wait(60), "never released"
        return AskResponse(question=question, answer="答案。", found=True, language="zh", citations=[])


def held_server(answerer: Any, **overrides: object) -> ServerThread:
    """A server whose answers come from ``answerer`` (no model, no index)."""
    from qa.api import create_app
    from qa.api.state import Live, ServiceState

    settings = Settings(_env_file=None, **{"rate_limit_per_min": 0, **overrides})  # type: ignore[arg-type]
    manifest = SimpleNamespace(build_id="held", model_dump=lambda: {"build_id": "held"})
    engine = SimpleNamespace(index=SimpleNamespace(manifest=manifest), embedder=None)
    state = ServiceState(settings, live=Live(engine, answerer))  # type: ignore[arg-type]
    state.ready.set()
    return ServerThread(create_app(settings, state=state), settings)


def unloaded_server(state: Any = None, **overrides: object) -> ServerThread:
    """A server whose model never loads (or ``state`` as given): every route but the probes is 503."""
    from qa.api import create_app
    from qa.api.state import ServiceState

    settings = Settings(_env_file=None, **overrides)  # type: ignore[arg-type]
    if state is None:
        state = ServiceState(settings, error="not loaded (test)")
        state.ready.set()
    return ServerThread(create_app(settings, state=state), settings)


REPORT = ROOT / "corpus" / "cq-ict-14th-five-year-review.txt"


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` every 0.2 s until it holds; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def served_by_pid(metrics_dir: Path, route: str) -> dict[str, float]:
    """qa_requests_total for ``route`` as each worker of `qa serve` counted it (its own metric file
    in PROMETHEUS_MULTIPROC_DIR): which workers served a route."""
    from prometheus_client.mmap_dict import MmapedDict

    counts: dict[str, float] = {}
    for path in metrics_dir.glob("counter_*.db"):
        pid = path.stem.split("_")[1]
        values = MmapedDict(str(path), read_mode=True)
        for key, value, _ in values.read_all_values():
            _, name, labels, _ = json.loads(key)
            if name == "qa_requests_total" and labels.get("route") == route:
                counts[pid] = counts.get(pid, 0) + value
        values.close()
    return counts
