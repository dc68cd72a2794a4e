"""What a document job does: change the corpus folder, build the index, hot-swap the build.

The build is the project's one build (``qa.index.build_index``, as ``qa build-index`` and a
start-up rebuild run it) with the serving model, and the swap is ``/admin/reload``'s
(``ServiceState.reload``): the new build is loaded and verified beside the old one, then
swapped in as one reference. Questions are answered from the old build until then, and a
build or reload that fails leaves the old build serving. With several worker processes the
swap reaches the others through the reload marker (qa.api.workers), and the job is done once
every worker serves the new build, so a question asked after "done" is answered from it on
any worker. A change to the corpus folder is made inside the job, under the corpus lock
(qa.api.job_files), never while another job builds, so a build never reads a corpus that
changes under it.
"""

from __future__ import annotations

import re
from pathlib import Path

from qa.api.jobs import Report, Work
from qa.api.state import ServiceState
from qa.ingest.files import install, remove

_STEP = re.compile(r"\((\d+)/(\d+)\)\s*$")  # build_index's steps end with "(n/total)"
BUILD_FROM, BUILD_TO = 0.05, 0.9  # the share of a job's progress that the build's steps fill
FOLLOW_TIMEOUT_S = 300.0  # how long a job waits for the other workers to swap (each loads the build)


def add_work(state: ServiceState, staged: Path, name: str) -> Work:
    """Install the staged upload under ``name`` (replacing a document with its id), rebuild, swap."""

    def work(report: Report) -> str:
        report(0.01, f"storing {name}")
        target, replaced = install(state.settings.corpus_dir, staged, name)
        note = f" (replaced {', '.join(p.name for p in replaced)})" if replaced else ""
        return rebuild_and_swap(state, report, f"added {target.name}{note}")

    return work


def remove_work(state: ServiceState, doc_id: str) -> Work:
    """Delete the files of ``doc_id``, rebuild, swap."""

    def work(report: Report) -> str:
        report(0.01, f"removing {doc_id}")
        removed = remove(state.settings.corpus_dir, doc_id)
        engine = state.engine
        if not removed and (engine is None or doc_id not in engine.index.documents):
            return f"{doc_id} was already removed; nothing to rebuild"
        what = f"removed {', '.join(p.name for p in removed)}" if removed else f"removed {doc_id}"
        return rebuild_and_swap(state, report, what)

    return work


def rebuild_and_swap(state: ServiceState, report: Report, what: str) -> str:
    """Build the index from the corpus folder with the serving model, then swap it in."""
    from qa.index import build_index

    engine = state.engine
    embedder = engine.embedder if engine is not None else None
    if embedder is None:
        from qa.engine import load_embedder

        embedder = load_embedder(state.settings)

    def on_step(step: str) -> None:
        report(step_progress(step), f"building the index: {step}")

    manifest = build_index(state.settings, embedder, progress=False, on_progress=on_step)
    report(BUILD_TO, f"swapping in build {manifest.build_id}")
    _, current, _ = state.reload()
    report(0.95, f"waiting for the other workers to swap in build {current.build_id}")
    behind = state.await_followers(current.build_id, FOLLOW_TIMEOUT_S)
    skipped = len(current.corpus.get("skipped", []))
    note = f", {skipped} file(s) skipped (GET /documents says why)" if skipped else ""
    if behind:
        pids = ", ".join(map(str, behind))
        note += f"; worker(s) {pids} had not swapped after {FOLLOW_TIMEOUT_S:.0f} s (see their log)"
    return f"{what}; serving build {current.build_id}: {current.counts['documents']} document(s){note}"


def step_progress(step: str) -> float:
    """Where a build step ("embedding 12 chunks (2/5)") puts the job: step n of N starts at
    (n-1)/N of the build's share; a step without a count leaves it at the build's start."""
    match = _STEP.search(step)
    if not match:
        return BUILD_FROM
    n, total = int(match.group(1)), max(int(match.group(2)), 1)
    return BUILD_FROM + (BUILD_TO - BUILD_FROM) * (n - 1) / total
