"""The processes the bench measures: an index build, an ONNX export, and the HTTP service.

Each runs as its own process so its wall time and peak memory are its own: the build's
peak RSS comes from ``wait4``, the service's from ``VmHWM`` in ``/proc``. The service is
started with the index already built and ``QA_REBUILD_ON_START=false``, so loading it
cannot embed a single document; its log is kept next to the report.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from qa.bench.models import BuildResult
from qa.loadtest import free_port, wait_ready

# The service as measured: every rate and concurrency limit above the load the bench applies.
SERVICE_ENV = {
    "QA_REBUILD_ON_START": "false",
    "QA_RATE_LIMIT_PER_MIN": "0",
    "QA_MAX_IN_FLIGHT": "128",
    "QA_REQUEST_TIMEOUT_S": "120",
    "QA_LOG_QUESTIONS": "false",
}


def _run_measured(args: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run a child to completion: (seconds, peak RSS in MB). Raises SystemExit when it fails."""
    began = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - began
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise SystemExit(f"error: {' '.join(args[1:4])} failed ({proc.returncode}):\n{tail}")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def child_env(index_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["QA_INDEX_DIR"] = str(index_dir)
    env.update(extra or {})
    return env


def build_index(index_dir: Path, logs: Path) -> BuildResult:
    """``qa build-index`` from scratch into a fresh folder."""
    from qa.index import current_build_dir

    seconds, rss = _run_measured(
        [sys.executable, "-m", "qa.cli", "build-index"], child_env(index_dir), logs / "build.log"
    )
    manifest = json.loads((current_build_dir(index_dir) / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    return BuildResult(
        seconds=round(seconds, 2),
        peak_rss_mb=round(rss, 1),
        chunks=counts["chunks"],
        sentences=counts["sentences"],
        onnx_export_seconds=None,
    )


def export_onnx(logs: Path) -> float:
    """The one-off ONNX export of the query encoder (skipped by the caller when up to date)."""
    seconds, _ = _run_measured([sys.executable, "-m", "qa.embed_onnx"], dict(os.environ), logs / "export.log")
    return round(seconds, 2)


class Service:
    """``qa serve`` on a free loopback port; start-up timed from process start to /readyz 200."""

    def __init__(self, index_dir: Path, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**SERVICE_ENV, **env}
        self.log = log
        self._out = log.open("wb")
        self.began = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=child_env(index_dir, self.env),
        )

    def wait_ready(self, timeout: float) -> float:
        """Seconds from process start until /readyz answered 200 (polled often: it is timed)."""
        try:
            wait_ready(self.url, self.proc, timeout - (time.perf_counter() - self.began), poll=0.05)
        except SystemExit as exc:
            tail = self.log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise SystemExit(f"{exc} (log: {self.log}):\n{tail}") from exc
        return time.perf_counter() - self.began

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    def reembedded(self) -> bool:
        """Whether the log shows an index rebuild (it must not: the index was built already)."""
        text = self.log.read_text(encoding="utf-8", errors="replace").lower()
        return "building the index" in text or "exporting the onnx" in text

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._out.close()
