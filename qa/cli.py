"""Command line: build the index, search, ask, serve and evaluate.

Errors from the ``QAError`` hierarchy become one line on stderr and exit code 2, never
a traceback, because a user who sees "run `qa build-index`" knows what to do next.
"""

from __future__ import annotations

import json
import sys
from functools import wraps
from typing import Annotated, Any, Callable, TypeVar

import typer

from qa.config import SearchMode, Settings, get_settings
from qa.errors import QAError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers from a corpus of reports.")
F = TypeVar("F", bound=Callable[..., Any])


def _friendly(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QAError as exc:
            typer.secho(f"error: {exc.detail}", err=True, fg="red")
            raise typer.Exit(2) from exc

    return wrapper  # type: ignore[return-value]


def _settings() -> Settings:
    try:
        return get_settings()
    except ValueError as exc:
        typer.secho(f"error: invalid settings: {exc}", err=True, fg="red")
        raise typer.Exit(2) from exc


@app.command("build-index")
@_friendly
def build_index_cmd() -> None:
    """Build the index from the corpus folder (always rebuilds)."""
    from qa.engine import load_embedder
    from qa.index import build_index

    settings = _settings()
    manifest = build_index(settings, load_embedder(settings), progress=True)
    typer.echo(
        f"built index {manifest.build_id}: {manifest.counts['documents']} documents, "
        f"{manifest.counts['chunks']} chunks, {manifest.counts['sentences']} sentences "
        f"in {manifest.build_seconds:.1f}s -> {settings.index_dir}"
    )


@app.command()
@_friendly
def search(
    question: str,
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, max=100)] = 5,
    mode: Annotated[SearchMode, typer.Option(case_sensitive=False)] = SearchMode.HYBRID,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of hits.")] = False,
) -> None:
    """Retrieve the passages that best match QUESTION."""
    from qa.engine import open_engine

    engine = open_engine(_settings(), rebuild=True)
    hits = engine.retriever.retrieve(question, top_k, mode).hits
    if as_json:
        typer.echo(json.dumps([h.model_dump() for h in hits], ensure_ascii=False, indent=2))
        return
    for rank, hit in enumerate(hits, start=1):
        typer.echo(f"[{rank}] {hit.score:.4f}  {hit.doc_id} · {hit.section}  ({hit.start}-{hit.end})")
        typer.echo(f"    {hit.text}\n")


@app.command()
@_friendly
def ask(
    question: str,
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, max=20)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the /ask response as JSON.")] = False,
) -> None:
    """Answer QUESTION with exact quotes from the corpus."""
    from qa.answer.answerer import ExtractiveAnswerer
    from qa.engine import open_engine
    from qa.prompts import load_templates

    settings = _settings()
    engine = open_engine(settings, rebuild=True)
    answerer = ExtractiveAnswerer(engine.retriever, load_templates(settings.prompts_dir))
    response = answerer.answer(question, top_k)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    typer.echo(response.answer)
    if response.short_answer:
        typer.echo(f"\nshort answer: {response.short_answer}")
    if response.citations:
        label = "sources" if response.found else "closest passages (they do not answer)"
        typer.echo(f"\n{label}:")
    for c in response.citations:
        typer.echo(f"[{c.n}] {c.doc_id} · {c.section} · chars {c.start}-{c.end}")
        typer.echo(f"    {c.quote}")


@app.command()
@_friendly
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default: QA_HOST).")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default: QA_PORT).")] = None,
) -> None:
    """Serve the HTTP API; builds the index first when it is missing or stale."""
    import uvicorn

    from qa.api import create_app

    settings = _settings()
    app_ = create_app(settings, wait=True)
    uvicorn.run(app_, host=host or settings.host, port=port or settings.port, log_level="info")


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
