"""The job queue: jobs run one at a time in order, report progress, and end done or failed."""

from __future__ import annotations

import threading
import time

import pytest
from apihelpers import wait_for

from qa.api.jobs import JobQueue, JobStatus
from qa.api.rebuild import BUILD_FROM, BUILD_TO, step_progress
from qa.errors import CorpusError


def test_jobs_run_one_at_a_time_in_the_order_they_came(tmp_path):
    jobs = JobQueue(tmp_path)
    running = 0
    most = 0
    order: list[int] = []
    lock = threading.Lock()

    def work_of(n: int):
        def work(report) -> str:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.05)
            order.append(n)
            with lock:
                running -= 1
            return f"job {n}"

        return work

    submitted = [jobs.submit("add", f"doc{n}", work_of(n)) for n in range(4)]
    assert submitted[0].status is JobStatus.QUEUED and submitted[0].progress == 0
    wait_for(lambda: all(jobs.get(j.job_id).status is JobStatus.DONE for j in submitted), 10, "the jobs")
    assert order == [0, 1, 2, 3] and most == 1
    done = jobs.get(submitted[2].job_id)
    assert done.detail == "job 2" and done.progress == 1.0 and done.finished_at and done.doc_id == "doc2"


def test_progress_and_step_are_reported_while_running(tmp_path):
    jobs = JobQueue(tmp_path)
    release = threading.Event()

    def work(report) -> str:
        report(0.4, "embedding 3 chunks (2/5)")
        release.wait(10)
        report(1.7, "past the end")  # clamped below 1 until the job is done
        return "ok"

    job = jobs.submit("remove", "d", work)
    wait_for(lambda: jobs.get(job.job_id).progress == 0.4, 10, "the first report")
    running = jobs.get(job.job_id)
    assert running.status is JobStatus.RUNNING and running.detail == "embedding 3 chunks (2/5)"
    release.set()
    wait_for(lambda: jobs.get(job.job_id).status is JobStatus.DONE, 10, "the job")


def test_a_failed_job_says_why_and_the_next_one_still_runs(tmp_path):
    jobs = JobQueue(tmp_path)

    def refused(report) -> str:
        raise CorpusError("no documents in the corpus")

    def broken(report) -> str:
        raise RuntimeError("disk full")

    first = jobs.submit("add", "a", refused)
    second = jobs.submit("add", "b", broken)
    third = jobs.submit("add", "c", lambda report: "fine")
    wait_for(lambda: jobs.get(third.job_id).status is JobStatus.DONE, 10, "the third job")
    assert jobs.get(first.job_id).status is JobStatus.FAILED
    assert jobs.get(first.job_id).detail == "no documents in the corpus"
    assert jobs.get(second.job_id).detail == "RuntimeError: disk full"


def test_only_the_latest_jobs_are_kept(tmp_path):
    jobs = JobQueue(tmp_path, keep=2)
    ids = [jobs.submit("add", "x", lambda report: "ok").job_id for _ in range(3)]
    wait_for(lambda: jobs.get(ids[-1]) is not None and jobs.get(ids[-1]).status is JobStatus.DONE, 10, "jobs")
    assert jobs.get(ids[0]) is None and jobs.get(ids[1]) is not None


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("reading the corpus (1/5)", BUILD_FROM),
        ("embedding 12 chunks of 2 document(s) (2/5)", BUILD_FROM + (BUILD_TO - BUILD_FROM) / 5),
        ("writing the index (5/5)", BUILD_FROM + (BUILD_TO - BUILD_FROM) * 4 / 5),
        ("a step without a count", BUILD_FROM),
    ],
)
def test_build_steps_fill_the_builds_share_of_the_progress(step, expected):
    assert step_progress(step) == pytest.approx(expected)
