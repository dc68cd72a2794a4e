"""Job records on disk: every worker process reads the same jobs, and one corpus change runs at a time.

With ``QA_WORKERS`` > 1 a poll of ``GET /jobs/{id}`` may reach a worker other than the one that
took the upload, so a job is one small JSON file in ``<index_dir>/.jobs/`` (written under a
temporary name and renamed, so a reader never sees half of one) instead of an entry in one
process's memory. Files and ``flock`` rather than Redis, so documents work without Redis.

Two locks, both released by the kernel when their process dies:

- ``corpus.lock``: held while a job changes the corpus folder, builds and swaps, so two
  workers never build side by side, and the second builds on the first's corpus (``qa add``
  and ``qa remove`` take it too).
- ``<job_id>.lock``: held by the process that owns a queued or running job. A reader that can
  take it finds the owner gone (killed, crashed) and records the job as failed, so a job is
  never "running" forever. That is a kernel fact, not a pid check, so a reused pid cannot
  make a dead job look alive.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO

from pydantic import BaseModel, Field, ValidationError

from qa.errors import ConflictError

log = logging.getLogger("qa.api")
JOBS_DIR = ".jobs"  # hidden, like the embedding cache: publish() prunes build folders only
CORPUS_LOCK = "corpus.lock"
OWNER_GONE = (
    "the worker process running this job stopped before it finished (killed or crashed); the corpus "
    "folder may already hold the change: the next job, or `qa build-index` and POST /admin/reload, "
    "indexes it"
)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobOut(BaseModel):
    job_id: str
    kind: str = Field(description='"add" or "remove".')
    doc_id: str
    status: JobStatus
    progress: float = Field(ge=0, le=1, description="0 when queued, 1 when done.")
    detail: str | None = Field(None, description="The current step; the result when done; why, if failed.")
    created_at: str
    finished_at: str | None = None


class JobRecord(BaseModel):
    """What a job file holds: the job as ``GET /jobs`` shows it, and the owner's pid (for logs)."""

    job: JobOut
    pid: int


def jobs_dir(index_dir: Path) -> Path:
    return index_dir / JOBS_DIR


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class JobFiles:
    """The job files of one index folder, and the locks that go with them."""

    def __init__(self, folder: Path, keep: int) -> None:
        self.folder = folder
        self.keep = keep
        self._held: dict[str, IO[str]] = {}  # job id -> its open, locked lock file

    def own(self, job: JobOut) -> None:
        """Record a new job as this process's: lock its lock file, then write it. A folder that
        cannot be written (a read-only index folder) is ConflictError: no job can run there."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fh = (self.folder / f"{job.job_id}.lock").open("a")
            fcntl.flock(fh, fcntl.LOCK_EX)
            self._held[job.job_id] = fh
            self.write(job)
        except OSError as exc:
            held = self._held.pop(job.job_id, None)
            if held is not None:
                held.close()
            raise ConflictError(
                f"cannot record the job in {self.folder} ({exc.strerror or exc}): documents can be "
                "changed only where the index folder is writable"
            ) from exc
        self._prune()

    def write(self, job: JobOut) -> None:
        record = JobRecord(job=job, pid=os.getpid())
        tmp = self.folder / f".{job.job_id}.{os.getpid()}.tmp"
        tmp.write_text(record.model_dump_json(), encoding="utf-8")
        os.replace(tmp, self.folder / f"{job.job_id}.json")

    def finish(self, job: JobOut) -> None:
        """Write a job's final state, then let go of it (the order a reader relies on)."""
        self.write(job)
        fh = self._held.pop(job.job_id, None)
        if fh is not None:
            fh.close()  # releases the lock
            (self.folder / f"{job.job_id}.lock").unlink(missing_ok=True)
        self._prune()

    def read(self, job_id: str) -> JobOut | None:
        """The job as recorded; a queued or running one whose owner is gone is failed here."""
        record = self._record(job_id)
        if record is None or record.job.status in (JobStatus.DONE, JobStatus.FAILED):
            return record.job if record else None
        if job_id in self._held:
            return record.job
        lock = self.folder / f"{job_id}.lock"
        try:
            fh = lock.open("a")
        except OSError:
            return record.job
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return record.job  # its owner is alive and holds it
            lock.unlink(missing_ok=True)  # no owner holds it; nobody waits on it (LOCK_NB)
            record = self._record(job_id)  # the owner may have finished just before letting go
            if record is None or record.job.status in (JobStatus.DONE, JobStatus.FAILED):
                return record.job if record else None
            log.error("job %s: its worker (pid %d) is gone; recorded as failed", job_id, record.pid)
            failed = record.job.model_copy(
                update={"status": JobStatus.FAILED, "detail": OWNER_GONE, "finished_at": now()}
            )
            with contextlib.suppress(OSError):  # reported either way; recorded where writable
                self.write(failed)
            return failed

    def sweep(self) -> None:
        """Record every queued or running job whose owner is gone as failed (at start-up)."""
        if self.folder.is_dir():
            for path in self.folder.glob("*.json"):
                self.read(path.stem)

    def _record(self, job_id: str) -> JobRecord | None:
        try:
            return JobRecord.model_validate_json((self.folder / f"{job_id}.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (ValidationError, json.JSONDecodeError, OSError) as exc:  # not ours, or damaged
            log.error("job file %s unreadable: %s", job_id, exc)
            return None

    def _prune(self) -> None:
        """Keep the newest ``keep`` job files (ids begin with their creation time); a job still
        in hand is never removed."""
        files = sorted(self.folder.glob("*.json"), reverse=True)
        for path in files[self.keep :]:
            if path.stem not in self._held:
                path.unlink(missing_ok=True)


@contextlib.contextmanager
def corpus_lock(folder: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the corpus lock of a jobs folder (a service's jobs, ``qa add`` and ``qa remove`` take
    it); ``on_wait`` is called first if another holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / CORPUS_LOCK).open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
