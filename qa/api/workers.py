"""Several server processes behind one port (``QA_WORKERS``): start, readiness, reload, shutdown.

uvicorn's supervisor binds the port once and starts N worker processes that accept on it; a
worker needs the app as an import string, so :func:`worker_app` is a factory that builds it
from the environment. ``qa serve`` (the supervisor) makes a run folder that the workers share:

- ``metrics/``: prometheus-client's multiprocess folder, so ``/metrics`` sums every worker.
- ``build.lock``: one worker at a time loads (and, with ``QA_REBUILD_ON_START``, builds) the
  index; the others then find it built instead of building it again side by side.
- ``ready-<pid>``: a worker that has loaded says so; the last one prints the one ready line.
- ``reload``: a worker that swapped in a new build (``POST /admin/reload``, SIGHUP to that
  worker, or a document job) writes the build id here; every other worker polls it and swaps
  too. A file and not Redis, so reload works without Redis; ``CURRENT`` itself is not watched,
  so a `qa build-index` is served only when asked, as with one worker.
- ``serving-<pid>``: the build a worker serves, rewritten after each swap, so a document job
  reports done only once every live worker serves its build (:meth:`WorkerState.await_followers`).

Each worker loads the model before it accepts connections (the lifespan waits): a worker that
is still loading never takes a question another one could answer. SIGTERM to the supervisor is
passed to every worker, and each drains as one server does (qa.api.drain).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from fastapi import FastAPI

from qa.api.state import Live, ServiceState
from qa.config import Settings, get_settings
from qa.embed import Embedder
from qa.index import Manifest

log = logging.getLogger("qa.api")
WORKER_APP = "qa.api.workers:worker_app"
RUN_DIR_ENV = "QASERVE_RUN_DIR"  # not QA_*: it is no setting (qa.config_check warns of unknown ones)
COUNT_ENV = "QASERVE_WORKERS"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
RELOAD_POLL_S = 0.5


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class WorkerState(ServiceState):
    """A ServiceState that loads under the run folder's lock, says when every worker is ready,
    and follows the reloads of the other workers."""

    def __init__(self, settings: Settings, run_dir: Path, workers: int) -> None:
        super().__init__(settings)
        self.run_dir = run_dir
        self.workers = workers
        self._seen_reload: str | None = self._reload_marker()
        self._poller: threading.Thread | None = None

    def _build(
        self,
        rebuild: bool | None = None,
        embedder: Embedder | None = None,
        on_progress: Callable[[str], None] | None = None,
    ) -> Live:
        with _locked(self.run_dir / "build.lock"):
            return super()._build(rebuild, embedder, on_progress)

    def load(self) -> None:
        super().load()
        if self.live is None:
            return
        self._serving(self.live.engine.index.manifest.build_id)
        self._announce_ready()
        self._poller = threading.Thread(target=self._follow_reloads, name="qa-reload-follow", daemon=True)
        self._poller.start()

    def _announce_ready(self) -> None:
        """One ready line for all workers: written by the one that finds every worker ready."""
        from qa.api.startup import ready_line

        (self.run_dir / f"ready-{os.getpid()}").touch()
        if len(list(self.run_dir.glob("ready-*"))) < self.workers:
            return
        try:
            os.close(os.open(self.run_dir / "announced", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        line = ready_line("http", self.settings.host, self.settings.port)
        log.info("%s · %d workers", line, self.workers)

    def reload(self) -> tuple[Manifest | None, Manifest, float]:
        """Reload here, then tell the other workers (they poll the marker) to do the same."""
        previous, current, seconds = super().reload()
        marker = f"{current.build_id} {os.getpid()} {time.time_ns()}"
        tmp = self.run_dir / f".reload.{os.getpid()}"
        tmp.write_text(marker)
        os.replace(tmp, self.run_dir / "reload")
        self._seen_reload = marker
        self._serving(current.build_id)
        return previous, current, seconds

    def _serving(self, build_id: str) -> None:
        tmp = self.run_dir / f".serving.{os.getpid()}"
        tmp.write_text(build_id)
        os.replace(tmp, self.run_dir / f"serving-{os.getpid()}")

    def await_followers(self, build_id: str, timeout: float) -> list[int]:
        """Wait until every live worker serves ``build_id``; returns the pids that did not in time.

        Workers are the ``ready-<pid>`` files whose process is alive: one uvicorn restarted
        after a crash loads the current build when it starts, and writes its own files."""
        deadline = time.monotonic() + timeout
        while True:
            behind = [pid for pid in self._live_workers() if self._served_by(pid) != build_id]
            if not behind or time.monotonic() > deadline:
                return behind
            time.sleep(RELOAD_POLL_S / 2)

    def _live_workers(self) -> list[int]:
        pids = []
        for path in self.run_dir.glob("ready-*"):
            pid = int(path.name.removeprefix("ready-"))
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            except PermissionError:
                pass
            pids.append(pid)
        return pids

    def _served_by(self, pid: int) -> str | None:
        try:
            return (self.run_dir / f"serving-{pid}").read_text()
        except FileNotFoundError:
            return None

    def _reload_marker(self) -> str | None:
        try:
            return (self.run_dir / "reload").read_text()
        except FileNotFoundError:
            return None

    def _follow_reloads(self) -> None:
        stop = threading.Event()
        while not stop.wait(RELOAD_POLL_S):
            marker = self._reload_marker()
            if marker is None or marker == self._seen_reload:
                continue
            self._seen_reload = marker
            build_id, pid = marker.split()[:2]
            engine = self.engine
            if int(pid) == os.getpid() or (engine and engine.index.manifest.build_id == build_id):
                self._serving(build_id)
                continue
            try:
                previous, current, _ = ServiceState.reload(self)
                self._serving(current.build_id)
                before = previous.build_id if previous else None
                log.info("reload of worker %s followed: index %s -> %s", pid, before, current.build_id)
            except Exception as exc:  # keep polling: the next reload may succeed
                log.error("reload of worker %s not followed: %s", pid, exc)


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn calls this in each; ``factory=True``)."""
    from qa.api.app import create_app

    settings = get_settings()
    state = WorkerState(settings, Path(os.environ[RUN_DIR_ENV]), int(os.environ.get(COUNT_ENV, "1")))
    return create_app(settings, wait=True, state=state)


def serve_workers(settings: Settings, host: str, port: int) -> None:
    """Run ``settings.workers`` processes on ``host:port`` until SIGTERM (the supervisor's side).

    The index is checked here first (its files and checksums; no model is loaded in the
    supervisor), so a missing or corrupt one is refused before the port is bound."""
    import uvicorn

    from qa.api.app import server_options
    from qa.api.middleware import log_config

    if not settings.rebuild_on_start:
        from qa.index import load_index
        from qa.index.build import vector_store

        load_index(settings.index_dir, store=vector_store(settings))  # a Milvus server: with its token
    run_dir = Path(tempfile.mkdtemp(prefix="qa-serve-"))
    try:
        metrics_dir = run_dir / "metrics"
        metrics_dir.mkdir()
        os.environ.setdefault(MULTIPROC_ENV, str(metrics_dir))  # an operator's own folder wins
        os.environ[RUN_DIR_ENV] = str(run_dir)
        os.environ[COUNT_ENV] = str(settings.workers)
        os.environ["QA_HOST"], os.environ["QA_PORT"] = host, str(port)  # the workers' ready line
        uvicorn.run(
            WORKER_APP,
            factory=True,
            workers=settings.workers,
            host=host,
            port=port,
            log_config=log_config("info"),
            access_log=False,  # qa.access writes one JSON line per request instead
            **server_options(settings),
        )
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def workers_starting() -> int:
    """The number of workers when this process supervises several (or is one of them), else 0: the
    supervisor's "Uvicorn running on" line is then not the ready line, as the workers have not
    loaded yet; the last worker to be ready prints it (qa.api.startup)."""
    return int(os.environ.get(COUNT_ENV, "0")) if os.environ.get(RUN_DIR_ENV) else 0
