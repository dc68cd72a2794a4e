"""Command line: search, ask, serve and evaluate (build-index, add, remove: qa.cli_corpus).

Errors from the ``QAError`` hierarchy become one line on stderr and exit code 2, never
a traceback, because a user who sees "run `qa build-index`" knows what to do next.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from qa.cli_corpus import register as register_corpus_commands
from qa.cli_support import cli_settings as _settings
from qa.cli_support import friendly as _friendly
from qa.config import SearchMode
from qa.config_llm import AnswererName
from qa.errors import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers from a corpus of reports.")
register_corpus_commands(app)  # build-index, add, remove


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
    answerer: Annotated[
        AnswererName | None,
        typer.Option(case_sensitive=False, help="extractive or generative (default: QA_ANSWERER)."),
    ] = None,
) -> None:
    """Answer QUESTION with exact quotes from the corpus (or, generative, an LLM's checked answer)."""
    from qa.answer.pipeline import Answerer, build_pipeline
    from qa.engine import open_engine

    settings = _settings()
    engine = open_engine(settings, rebuild=True)
    chosen: Answerer = build_pipeline(engine)
    if (answerer or settings.answerer) is AnswererName.GENERATIVE:
        from qa.generate.answerer import open_generative

        chosen = open_generative(build_pipeline(engine), settings)
    response = chosen.answer(question, top_k)
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
    """Serve the HTTP API; with QA_REBUILD_ON_START it binds at once and builds a missing or stale
    index in the background (/readyz says "building"), otherwise it refuses to start, saying what
    to run. SIGTERM finishes requests in flight; SIGHUP
    reloads the index that `qa build-index` last published."""
    import logging.config

    import uvicorn

    from qa.api import create_app
    from qa.api.app import server_options
    from qa.api.limits import tune_interpreter
    from qa.api.middleware import log_config
    from qa.api.startup import check_port
    from qa.api.state import ServiceState

    settings = _settings()
    host, port = host or settings.host, port or settings.port
    check_port(host, port)  # a taken port is said now, not after the model has loaded
    logging.config.dictConfig(log_config("info"))  # the same log format for loading as for serving
    tune_interpreter()
    if settings.workers > 1:  # a supervisor and N worker processes (qa.api.workers)
        from qa.api.workers import serve_workers

        serve_workers(settings, host, port)
        return
    state = ServiceState(settings)
    if not settings.rebuild_on_start:
        from qa.index import current_build_dir

        current_build_dir(settings.index_dir)  # a missing index is refused before the model loads
        state.load()  # before binding the port: a broken index is refused, never served
        if state.live is None:
            typer.secho(f"error: cannot serve: {state.error}", err=True, fg="red")
            raise typer.Exit(2)
    # Otherwise the port is bound first and the lifespan loads (and rebuilds a missing or stale
    # index) in the background: /healthz answers, /readyz says "building" with the current step.
    uvicorn.run(
        create_app(settings, state=state),
        host=host,
        port=port,
        log_config=log_config("info"),
        access_log=False,  # qa.access writes one JSON line per request instead
        **server_options(settings),  # proxy-header trust (QA_FORWARDED_ALLOW_IPS), timeouts
    )


@app.command("eval")
@_friendly
def eval_cmd(
    gold: Annotated[
        Path | None, typer.Option(help="Gold Q&A JSONL (default: <corpus>/gold/gold.jsonl).")
    ] = None,
    mode: Annotated[
        SearchMode | None,
        typer.Option(case_sensitive=False, help="Retrieval mode (default: QA_SEARCH_MODE)."),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Run dense, bm25 and hybrid side by side; with --answerer generative, the extractive and "
            "the generative answerer.",
        ),
    ] = False,
    answerer: Annotated[
        AnswererName | None,
        typer.Option(case_sensitive=False, help="extractive or generative (default: QA_ANSWERER)."),
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="Evaluate a running service (e.g. http://127.0.0.1:8123) over HTTP.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="API key for --url, when the service has QA_API_KEYS set.")
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the whole run as JSON.")] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="Write the HTML report.")] = None,
    ragas_path: Annotated[
        Path | None, typer.Option("--ragas", help="Write RAGAS-style samples (JSONL; one file per mode).")
    ] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=20)] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first N gold questions (with --dataset: N articles).")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    dataset: Annotated[
        Path | None,
        typer.Option(
            help="A SQuAD-format JSON (SQuAD, CMRC 2018, XQuAD, DRCD): its articles become the corpus."
        ),
    ] = None,
    questions_from: Annotated[
        Path | None,
        typer.Option(help="With --dataset: a parallel file whose questions (same ids) are asked."),
    ] = None,
    holdout: Annotated[
        int,
        typer.Option(min=0, help="With --dataset: leave N articles out; their questions are out of corpus."),
    ] = 0,
    cache_dir: Annotated[
        Path | None, typer.Option(help="With --dataset: index cache (default reports/.cache/eval-index).")
    ] = None,
) -> None:
    """Evaluate retrieval, answers, citations and refusals against a gold Q&A set, or (--dataset)
    on a SQuAD-format reading-comprehension set next to a top-1-sentence baseline."""
    if dataset is not None:
        _eval_dataset(
            dataset, questions_from, holdout, limit, mode, top_k, cache_dir, json_path, html_path, progress,
            answerer,
            others={"--gold": gold, "--compare": compare or None, "--url": url, "--ragas": ragas_path},
        )  # fmt: skip
        return
    if questions_from is not None or holdout or cache_dir is not None:
        raise ConfigError("--questions-from, --holdout and --cache-dir need --dataset")
    from qa.eval.backends import Backend, HttpBackend, InProcessBackend
    from qa.eval.export import write_ragas
    from qa.eval.gold import load_gold
    from qa.eval.html import write_html
    from qa.eval.report import print_report, write_json
    from qa.eval.runner import run_eval, run_specs

    settings = _settings()
    gold_path = gold or settings.corpus_dir / "gold" / "gold.jsonl"
    items = load_gold(gold_path)[:limit]
    modes = run_specs(SearchMode(mode or settings.search_mode), answerer or settings.answerer, compare)
    backend: Backend
    if url:
        backend = HttpBackend(url, api_key=api_key)
    else:
        from qa.engine import open_engine

        backend = InProcessBackend.open(open_engine(settings, rebuild=True))
    top_k = top_k or settings.top_k
    run = run_eval(items, backend, modes, top_k=top_k, gold_path=str(gold_path), progress=progress)
    print_report(run)
    written = []
    if json_path:
        write_json(run, json_path)
        written.append(json_path)
    if html_path:
        write_html(run, html_path)
        written.append(html_path)
    if ragas_path:
        written += write_ragas(run, ragas_path)
    for path in written:
        typer.echo(f"wrote {path}")


def _eval_dataset(
    dataset: Path,
    questions_from: Path | None,
    holdout: int,
    limit: int | None,
    mode: SearchMode | None,
    top_k: int | None,
    cache_dir: Path | None,
    json_path: Path | None,
    html_path: Path | None,
    progress: bool,
    answerer: AnswererName | None,
    others: dict[str, object],
) -> None:
    from qa.eval.external import evaluate_dataset
    from qa.eval.external_report import print_report, write_html, write_json

    unsupported = [name for name, value in others.items() if value is not None]
    if unsupported:
        raise ConfigError(f"{', '.join(unsupported)} cannot be combined with --dataset")
    run = evaluate_dataset(
        dataset,
        questions_from=questions_from,
        holdout=holdout,
        limit=limit,
        mode=mode,
        top_k=top_k,
        cache_root=cache_dir,
        progress=progress,
        settings=_settings(),
        answerer=answerer,
    )
    print_report(run)
    for path, write in ((json_path, write_json), (html_path, write_html)):
        if path:
            write(run, path)
            typer.echo(f"wrote {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
