"""Background jobs: corpus changes and the rebuilds they need, one at a time, in order.

``POST /documents`` and ``DELETE /documents/{id}`` answer 202 at once with a job id; the job
runs in one worker thread of the process that took the request, and holds the corpus lock
(qa.api.job_files) while it runs, so two uploads never build side by side, in one process or
across ``QA_WORKERS`` processes (each build embeds on the same cores the questions use), and
the second builds on the first's corpus. ``GET /jobs/{id}`` reports it from its file, so any
worker can answer: ``queued`` → ``running`` (``progress`` 0..1 and the build step in
``detail``) → ``done`` (the build now serving on every worker) or ``failed`` (why; the previous
build keeps serving). A job whose process died is reported failed, not "running" forever. The
last ``KEEP_JOBS`` jobs are kept, over restarts too.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam

from qa.api.job_files import JobFiles, JobOut, JobStatus, corpus_lock, jobs_dir, now
from qa.errors import NotFoundError, QAError

__all__ = ["JobOut", "JobQueue", "JobStatus", "Report", "Work", "get_jobs"]
log = logging.getLogger("qa.api")
router = APIRouter(tags=["documents"])
KEEP_JOBS = 200

Report = Callable[[float, str], None]
Work = Callable[[Report], str]  # does the job, reporting (progress, step); returns the "done" detail


class JobQueue:
    """A FIFO of this process's jobs with one worker thread (started by the first job), its job
    records in ``folder``: the jobs of every process that shares it can be read."""

    def __init__(self, folder: Path, keep: int = KEEP_JOBS) -> None:
        self._files = JobFiles(folder, keep)
        self._files.sweep()  # jobs a process left running when it died: failed, at the next start
        self._jobs: dict[str, JobOut] = {}  # this process's unfinished jobs
        self._work: queue.Queue[tuple[str, Work]] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, kind: str, doc_id: str, work: Work) -> JobOut:
        with self._lock:
            waiting = bool(self._jobs)
            job = JobOut(
                job_id=f"{time.time_ns():016x}{uuid.uuid4().hex[:16]}",  # sorts by creation
                kind=kind,
                doc_id=doc_id,
                status=JobStatus.QUEUED,
                progress=0.0,
                detail="waiting for the jobs before it" if waiting else "queued",
                created_at=now(),
            )
            self._files.own(job)  # first: a folder that cannot be written refuses the job
            self._jobs[job.job_id] = job
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="qa-corpus-jobs", daemon=True)
                self._worker.start()
        self._work.put((job.job_id, work))
        log.info("job %s queued: %s %s", job.job_id, kind, doc_id)
        return job

    def get(self, job_id: str) -> JobOut | None:
        return self._files.read(job_id)

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            job = self._jobs[job_id] = self._jobs[job_id].model_copy(update=changes)
            if job.status in (JobStatus.DONE, JobStatus.FAILED):
                del self._jobs[job_id]
                self._files.finish(job)
            else:
                self._files.write(job)

    def _run(self) -> None:
        while True:
            job_id, work = self._work.get()

            def waiting(job_id: str = job_id) -> None:
                self._update(job_id, detail="waiting for a job on another worker process")

            def report(progress: float, step: str, job_id: str = job_id) -> None:
                self._update(job_id, progress=round(min(max(progress, 0.0), 0.99), 3), detail=step)

            try:
                with corpus_lock(self._files.folder, on_wait=waiting):
                    self._update(job_id, status=JobStatus.RUNNING, detail="starting")
                    result = work(report)
            except QAError as exc:
                log.error("job %s failed: %s", job_id, exc.detail)
                self._update(job_id, status=JobStatus.FAILED, detail=exc.detail, finished_at=now())
            except Exception as exc:  # a job must end as failed, never leave the worker dead
                log.exception("job %s failed", job_id)
                failed = f"{type(exc).__name__}: {exc}"
                self._update(job_id, status=JobStatus.FAILED, detail=failed, finished_at=now())
            else:
                log.info("job %s done: %s", job_id, result)
                self._update(job_id, status=JobStatus.DONE, progress=1.0, detail=result, finished_at=now())


_create_lock = threading.Lock()


def get_jobs(request: Request) -> JobQueue:
    """The app's job queue (one per process, its records under the index folder), made on first use."""
    with _create_lock:
        jobs: JobQueue | None = getattr(request.app.state, "qa_jobs", None)
        if jobs is None:
            settings = request.app.state.qa.settings
            jobs = request.app.state.qa_jobs = JobQueue(jobs_dir(settings.index_dir))
    return jobs


JobId = Annotated[
    str, PathParam(pattern=r"^[0-9a-f]{32}$", description="The id POST/DELETE /documents gave.")
]


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses={
        401: {"description": "No or invalid API key."},
        403: {"description": "Admin routes are disabled (QA_API_KEYS is not set)."},
        404: {"description": "Unknown job (or one of the oldest, no longer kept)."},
    },
)
def job(job_id: JobId, jobs: Annotated[JobQueue, Depends(get_jobs)]) -> JobOut:
    """A document job's state: queued, running (with progress), done or failed (with why)."""
    found = jobs.get(job_id)
    if found is None:
        raise NotFoundError(f"unknown job id: {job_id!r} (the last {KEEP_JOBS} jobs are kept)")
    return found
