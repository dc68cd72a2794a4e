"""Job records shared through files: what one process records another reads, one corpus change at
a time across queues, and a job whose process was killed reported failed, not running forever.

Two ``JobQueue`` objects over one folder stand for two worker processes (``flock`` locks belong
to an open file, so two in one process exclude each other as two processes do); the killed
owner is a real process, killed with SIGKILL while its job runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from apihelpers import wait_for

from qa.api.job_files import OWNER_GONE
from qa.api.jobs import JobQueue, JobStatus
from qa.config import ROOT
from qa.errors import ConflictError


def test_a_job_is_read_from_another_queue_over_the_same_folder(tmp_path):
    owner, other = JobQueue(tmp_path), JobQueue(tmp_path)
    release = threading.Event()

    def work(report) -> str:
        report(0.5, "embedding 2 chunks (2/5)")
        release.wait(10)
        return "added a.txt"

    job = owner.submit("add", "a", work)
    wait_for(lambda: other.get(job.job_id).progress == 0.5, 10, "the other queue to see the progress")
    seen = other.get(job.job_id)
    assert (
        seen.status is JobStatus.RUNNING and seen.detail == "embedding 2 chunks (2/5)" and seen.doc_id == "a"
    )
    release.set()
    wait_for(lambda: other.get(job.job_id).status is JobStatus.DONE, 10, "the job")
    done = other.get(job.job_id)
    assert done.detail == "added a.txt" and done.progress == 1.0 and done.finished_at
    assert JobQueue(tmp_path).get(job.job_id) == done  # and after a restart


def test_two_queues_never_run_corpus_jobs_side_by_side(tmp_path):
    first, second = JobQueue(tmp_path), JobQueue(tmp_path)
    release = threading.Event()
    spans: list[tuple[str, float, float]] = []

    def work_of(name: str, hold: bool):
        def work(report) -> str:
            began = time.monotonic()
            if hold:
                release.wait(10)
            spans.append((name, began, time.monotonic()))
            return name

        return work

    a = first.submit("add", "a", work_of("a", hold=True))
    wait_for(lambda: first.get(a.job_id).status is JobStatus.RUNNING, 10, "the first job to run")
    b = second.submit("add", "b", work_of("b", hold=False))
    wait_for(lambda: "another worker" in (first.get(b.job_id).detail or ""), 10, "the second job to wait")
    assert first.get(b.job_id).status is JobStatus.QUEUED
    release.set()
    wait_for(lambda: second.get(b.job_id).status is JobStatus.DONE, 10, "the second job")
    (_, _, a_ended), (_, b_began, _) = sorted(spans)
    assert b_began >= a_ended


OWNER = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from qa.api.jobs import JobQueue

    jobs = JobQueue(Path(sys.argv[1]))
    job = jobs.submit("add", "doomed", lambda report: threading.Event().wait(600) or "never")
    queued = jobs.submit("remove", "later", lambda report: "never either")
    print(job.job_id, queued.job_id, flush=True)
    threading.Event().wait(600)
    """
)


def test_a_job_left_running_by_a_killed_process_is_reported_failed(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        running_id, queued_id = owner.stdout.readline().split()
        reader = JobQueue(tmp_path)
        wait_for(lambda: reader.get(running_id).status is JobStatus.RUNNING, 30, "the job to run")
        assert reader.get(queued_id).status is JobStatus.QUEUED  # alive: not touched
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(30)
        owner.stdout.close()
    record = json.loads((tmp_path / f"{running_id}.json").read_text())
    assert record["job"]["status"] == "running" and record["pid"] == owner.pid  # as the kill left it

    JobQueue(tmp_path)  # the next start
    for job_id in (running_id, queued_id):
        record = json.loads((tmp_path / f"{job_id}.json").read_text())
        assert record["job"]["status"] == "failed" and record["job"]["detail"] == OWNER_GONE
        assert record["job"]["finished_at"]
    assert {p.name for p in tmp_path.glob("*.lock")} <= {"corpus.lock"}  # the jobs' locks are gone


def test_a_queue_reading_a_dead_owners_job_fails_it_without_a_restart(tmp_path):
    reader = JobQueue(tmp_path)  # started before the owner died
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        running_id, _ = owner.stdout.readline().split()
        wait_for(lambda: reader.get(running_id).status is JobStatus.RUNNING, 30, "the job to run")
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(30)
        owner.stdout.close()
    failed = reader.get(running_id)
    assert failed.status is JobStatus.FAILED and "stopped before it finished" in failed.detail


def test_a_folder_that_cannot_be_written_refuses_the_job_with_a_conflict(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the index folder should be")
    jobs = JobQueue(blocker / ".jobs")
    for _ in range(2):  # a refused job leaves nothing behind that the next one waits for
        with pytest.raises(ConflictError, match="cannot record the job") as refused:
            jobs.submit("add", "a", lambda report: "never")
        assert refused.value.status_code == 409
    blocker.unlink()
    assert jobs.submit("add", "b", lambda report: "fine").detail == "queued"
