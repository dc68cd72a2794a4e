"""Index builds: half-written builds of dead processes are removed by the next build, and the
build reports its steps (for /readyz while the server builds at start)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from fakes import FakeEmbedder

from qa.config import ROOT, Settings
from qa.index import build_index
from qa.index.build import remove_abandoned_staging

REPORT = ROOT / "corpus" / "cq-ict-14th-five-year-review.txt"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_abandoned_staging_of_dead_builds_is_removed_live_ones_kept(tmp_path):
    index = tmp_path / "index"
    dead = index / f".tmp-20260101T000000000000Z-{_dead_pid()}"
    old_style = index / ".tmp-20250101T000000000000Z"  # before staging names carried the pid
    live = index / f".tmp-20260102T000000000000Z-{os.getppid()}"  # a process that is running
    for folder in (dead, old_style, live):
        (folder / "bm25").mkdir(parents=True)
        (folder / "chunks.jsonl").write_text("{}\n")
    removed = remove_abandoned_staging(index)
    assert sorted(removed) == sorted([dead, old_style])
    assert not dead.exists() and not old_style.exists() and live.is_dir()


def test_a_build_removes_a_killed_builds_leftovers_and_reports_its_steps(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPORT, corpus / REPORT.name)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", _env_file=None)
    leftover = settings.index_dir / f".tmp-20260101T000000000000Z-{_dead_pid()}"
    leftover.mkdir(parents=True)
    steps: list[str] = []
    build_index(settings, FakeEmbedder(), progress=False, on_progress=steps.append)
    assert not leftover.exists()
    assert not list(settings.index_dir.glob(".tmp-*"))
    assert [s.rsplit("(", 1)[1] for s in steps] == ["1/5)", "2/5)", "3/5)", "4/5)", "5/5)"]
    assert "chunks of 1 document" in steps[1]
