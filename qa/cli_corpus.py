"""Corpus commands: ``qa build-index``, ``qa add FILE…`` and ``qa remove DOC_ID``.

``add`` and ``remove`` change the corpus folder (atomically, with the names and types the
HTTP upload accepts: qa.ingest.files) and then build the index, as ``build-index`` does, under
the lock a running service's document jobs take (never while one of them builds). A
running server keeps serving its build until told to swap: ``POST /admin/reload`` or SIGHUP,
as after any ``qa build-index``; ``POST /documents`` does all of it inside the server instead.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from qa.cli_support import cli_settings, friendly
from qa.config import Settings
from qa.errors import CorpusError, NotFoundError


def register(app: typer.Typer) -> None:
    app.command("build-index")(friendly(build_index_cmd))
    app.command("add")(friendly(add))
    app.command("remove")(friendly(remove))


def build_index_cmd() -> None:
    """Build the index from the corpus folder (always rebuilds); files it cannot read are listed."""
    _build(cli_settings())


def add(
    files: Annotated[list[Path], typer.Argument(help="Files to copy into the corpus folder.")],
    build: Annotated[bool, typer.Option(help="Rebuild the index afterwards.")] = True,
) -> None:
    """Copy FILES into the corpus folder (a file with the same document id is replaced), then
    rebuild the index. Types: .txt .md .html .pdf .docx."""
    from qa.ingest.files import add_copy

    settings = cli_settings()
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise CorpusError(f"not a file: {', '.join(missing)}")
    settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    with _corpus_lock(settings):
        for source in files:
            target, replaced = add_copy(settings.corpus_dir, source)
            note = f" (replaces {', '.join(p.name for p in replaced)})" if replaced else ""
            typer.echo(f"added {target.name}{note}")
        if build:
            _build(settings)


def remove(
    doc_id: Annotated[str, typer.Argument(help="The document id (GET /documents lists them).")],
    build: Annotated[bool, typer.Option(help="Rebuild the index afterwards.")] = True,
) -> None:
    """Delete the file(s) of DOC_ID from the corpus folder, then rebuild the index."""
    from qa.ingest.files import remove as remove_files

    settings = cli_settings()
    with _corpus_lock(settings):
        removed = remove_files(settings.corpus_dir, doc_id)
        if not removed:
            raise NotFoundError(f"no file in {settings.corpus_dir} has the document id {doc_id!r}")
        typer.echo(f"removed {', '.join(p.name for p in removed)}")
        if build:
            _build(settings)


def _corpus_lock(settings: Settings) -> contextlib.AbstractContextManager[None]:
    """The lock a running service's document jobs hold (qa.api.job_files): a change from here
    waits for the job building now, instead of changing the corpus under its build."""
    from qa.api.job_files import corpus_lock, jobs_dir

    def waiting() -> None:
        typer.echo("waiting for a document job of the running service to finish…", err=True)

    return corpus_lock(jobs_dir(settings.index_dir), on_wait=waiting)


def _build(settings: Settings) -> None:
    from qa.engine import load_embedder
    from qa.index import build_index

    manifest = build_index(settings, load_embedder(settings), progress=True)
    typer.echo(
        f"built index {manifest.build_id}: {manifest.counts['documents']} documents, "
        f"{manifest.counts['chunks']} chunks, {manifest.counts['sentences']} sentences "
        f"in {manifest.build_seconds:.1f}s -> {settings.index_dir}"
    )
    for item in manifest.corpus.get("skipped", []):
        typer.echo(f"skipped {item['source']}: {item['reason']}")
