"""Background jobs: corpus changes and the rebuilds they need, one at a time, in order.

``POST /documents`` and ``DELETE /documents/{id}`` answer 202 at once with a job id; the job
runs in one worker thread per process, so two uploads never build side by side (each build
embeds on the same cores the questions use) and the second builds on the first's corpus.
``GET /jobs/{id}`` reports it: ``queued`` → ``running`` (``progress`` 0..1 and the build step
in ``detail``) → ``done`` (the build now serving) or ``failed`` (why; the previous build keeps
serving). Jobs live in the process's memory: the last ``KEEP_JOBS`` are kept, and a restart
forgets them (the corpus folder, not the job, is what survives a restart).
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from qa.errors import NotFoundError, QAError

log = logging.getLogger("qa.api")
router = APIRouter(tags=["documents"])
KEEP_JOBS = 200

Report = Callable[[float, str], None]
Work = Callable[[Report], str]  # does the job, reporting (progress, step); returns the "done" detail


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


class JobQueue:
    """A FIFO of jobs with one worker thread, started by the first job."""

    def __init__(self, keep: int = KEEP_JOBS) -> None:
        self._jobs: OrderedDict[str, JobOut] = OrderedDict()
        self._work: queue.Queue[tuple[str, Work]] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._keep = keep

    def submit(self, kind: str, doc_id: str, work: Work) -> JobOut:
        job = JobOut(
            job_id=uuid.uuid4().hex,
            kind=kind,
            doc_id=doc_id,
            status=JobStatus.QUEUED,
            progress=0.0,
            detail="waiting for the jobs before it" if self._work.qsize() or self._busy() else "queued",
            created_at=_now(),
        )
        with self._lock:
            self._jobs[job.job_id] = job
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="qa-corpus-jobs", daemon=True)
                self._worker.start()
        self._work.put((job.job_id, work))
        log.info("job %s queued: %s %s", job.job_id, kind, doc_id)
        return job

    def get(self, job_id: str) -> JobOut | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy() if job else None

    def _busy(self) -> bool:
        with self._lock:
            return any(j.status is JobStatus.RUNNING for j in self._jobs.values())

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._jobs[job_id] = job.model_copy(update=changes)

    def _run(self) -> None:
        while True:
            job_id, work = self._work.get()
            self._update(job_id, status=JobStatus.RUNNING, detail="starting")

            def report(progress: float, step: str, job_id: str = job_id) -> None:
                self._update(job_id, progress=round(min(max(progress, 0.0), 0.99), 3), detail=step)

            try:
                result = work(report)
            except QAError as exc:
                log.error("job %s failed: %s", job_id, exc.detail)
                self._update(job_id, status=JobStatus.FAILED, detail=exc.detail, finished_at=_now())
            except Exception as exc:  # a job must end as failed, never leave the worker dead
                log.exception("job %s failed", job_id)
                failed = f"{type(exc).__name__}: {exc}"
                self._update(job_id, status=JobStatus.FAILED, detail=failed, finished_at=_now())
            else:
                log.info("job %s done: %s", job_id, result)
                self._update(job_id, status=JobStatus.DONE, progress=1.0, detail=result, finished_at=_now())


_create_lock = threading.Lock()


def get_jobs(request: Request) -> JobQueue:
    """The app's job queue (one per process), made on first use."""
    with _create_lock:
        jobs: JobQueue | None = getattr(request.app.state, "qa_jobs", None)
        if jobs is None:
            jobs = request.app.state.qa_jobs = JobQueue()
    return jobs


JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The id POST/DELETE /documents gave.")]


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses={
        401: {"description": "No or invalid API key."},
        403: {"description": "Admin routes are disabled (QA_API_KEYS is not set)."},
        404: {"description": "Unknown job (or forgotten by a restart)."},
    },
)
def job(job_id: JobId, jobs: Annotated[JobQueue, Depends(get_jobs)]) -> JobOut:
    """A document job's state: queued, running (with progress), done or failed (with why)."""
    found = jobs.get(job_id)
    if found is None:
        raise NotFoundError(f"unknown job id: {job_id!r} (jobs are kept in memory: a restart forgets them)")
    return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
