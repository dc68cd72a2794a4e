"""Corpus commands: build-index lists the files it skipped; add and remove change the corpus
folder and rebuild. A fake embedder stands in for the model (the builds are real otherwise)."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time

import pytest
from fakes import FakeEmbedder
from typer.testing import CliRunner

from qa.cli import app
from qa.config import get_settings


@pytest.fixture
def corpus_env(tmp_path, monkeypatch, documents):
    """A corpus folder holding canal.md, a private index folder, a fake model."""
    for name in list(os.environ):
        if name.upper().startswith("QA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(documents["md"], corpus / "canal.md")
    monkeypatch.setenv("QA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    import qa.engine

    monkeypatch.setattr(qa.engine, "load_embedder", lambda settings: FakeEmbedder())
    get_settings.cache_clear()
    yield corpus
    get_settings.cache_clear()


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def manifest(corpus) -> dict:
    index = corpus.parent / "index"
    build = (index / "CURRENT").read_text().strip()
    return json.loads((index / build / "manifest.json").read_text(encoding="utf-8"))


def test_build_index_lists_the_files_it_skipped_and_why(corpus_env, documents):
    shutil.copy(documents["scanned"], corpus_env / "scanned.pdf")
    shutil.copy(documents["xlsx"], corpus_env / "figures.xlsx")
    result = run("build-index")
    assert result.exit_code == 0, result.output
    assert "1 documents" in result.stdout
    assert "skipped figures.xlsx: unsupported type .xlsx" in result.stdout
    assert "skipped scanned.pdf: the PDF has no text layer" in result.stdout
    skipped = {s["source"] for s in manifest(corpus_env)["corpus"]["skipped"]}
    assert skipped == {"figures.xlsx", "scanned.pdf"}


def test_add_copies_into_the_corpus_and_rebuilds_then_remove_takes_it_out(corpus_env, documents):
    result = run("add", str(documents["pdf"]), str(documents["docx"]))
    assert result.exit_code == 0, result.output
    assert "added survey.pdf" in result.stdout and "added note.docx" in result.stdout
    assert "3 documents" in result.stdout
    assert (corpus_env / "survey.pdf").read_bytes() == documents["pdf"].read_bytes()
    assert [d["doc_id"] for d in manifest(corpus_env)["corpus"]["documents"]] == ["canal", "note", "survey"]

    result = run("remove", "note")
    assert result.exit_code == 0, result.output
    assert "removed note.docx" in result.stdout and "2 documents" in result.stdout
    assert not (corpus_env / "note.docx").exists()


def test_adding_a_file_with_a_taken_id_replaces_that_document(corpus_env, tmp_path):
    replacement = tmp_path / "canal.txt"
    replacement.write_text("Calder Canal Notes\n\nThe canal has 18 locks now.", encoding="utf-8")
    result = run("add", str(replacement), "--no-build")
    assert result.exit_code == 0, result.output
    assert "added canal.txt (replaces canal.md)" in result.stdout
    assert sorted(p.name for p in corpus_env.iterdir() if not p.name.startswith(".")) == ["canal.txt"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "missing.pdf"], "not a file: missing.pdf"),
        (["remove", "no-such-doc"], "has the document id 'no-such-doc'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(corpus_env, args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_type_the_corpus_cannot_read_is_not_added(corpus_env, documents):
    result = run("add", str(documents["xlsx"]))
    assert result.exit_code == 2 and "unsupported file type .xlsx" in result.stderr
    assert not (corpus_env / "figures.xlsx").exists()


def test_add_and_remove_wait_for_a_document_job_that_holds_the_corpus(corpus_env, tmp_path):
    """A service's job holds the corpus lock while it builds; ``qa add`` waits for it, then adds."""
    from qa.api.job_files import corpus_lock, jobs_dir

    added = tmp_path / "weir.txt"
    added.write_text("Weir Notes\n\nThe weir is 3 metres high.", encoding="utf-8")
    holding, release = threading.Event(), threading.Event()
    released_at: list[float] = []

    def job() -> None:  # another open file of the lock: excluded as another process would be
        with corpus_lock(jobs_dir(tmp_path / "index")):
            holding.set()
            release.wait(30)
            released_at.append(time.time())

    holder = threading.Thread(target=job)
    holder.start()
    assert holding.wait(10)
    threading.Timer(1.0, release.set).start()
    result = run("add", str(added), "--no-build")
    holder.join(10)
    assert result.exit_code == 0, result.output
    assert "waiting for a document job of the running service" in result.stderr
    assert (corpus_env / "weir.txt").stat().st_mtime >= released_at[0] - 0.01  # written after the job
    assert run("remove", "weir", "--no-build").exit_code == 0  # free now: no wait
