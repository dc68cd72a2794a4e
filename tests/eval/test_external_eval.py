"""``qa eval --dataset``: bad input fails in one line before any model loads (fast); the whole
run on a tiny hand-written dataset with the real model, one article held out (slow)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from qa.cli import app
from qa.config import Settings

TINY = Path(__file__).resolve().parents[1] / "data" / "squad_tiny.zh.json"
HELD_OUT_TITLE = "星河天文台"  # holdout 1 of 3 articles: position 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--holdout", "2"], "need --dataset"),
        (["--dataset", "nope.json"], "dataset file not found"),
        (["--dataset", str(TINY), "--url", "http://127.0.0.1:9"], "--url cannot be combined with --dataset"),
        (["--dataset", str(TINY), "--compare"], "--compare cannot be combined"),
        (["--dataset", str(TINY), "--holdout", "3"], "leaves no article"),
    ],
)
def test_bad_dataset_options_are_one_line_errors(args, message):
    result = CliRunner().invoke(app, ["eval", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_external_eval_end_to_end(tmp_path, embedder):
    from qa.eval.external import evaluate_dataset
    from qa.eval.external_report import print_report, read_json, render_html, write_json

    settings = Settings(_env_file=None)
    cache = tmp_path / "cache"
    run = evaluate_dataset(
        TINY, holdout=1, cache_root=cache, progress=False, settings=settings, embedder=embedder
    )

    assert run.held_out_articles == [HELD_OUT_TITLE]
    assert (run.answerable, run.held_out) == (5, 2)
    assert not run.index.cached and run.index.documents == 2
    held = [r for r in run.results if not r.answerable]
    assert [r.id for r in held] == ["t3-q1", "t3-q2"]
    for summary in (run.project, run.baseline):
        assert (summary.answerable, summary.held_out) == (5, 2)
        for field in ("contains_gold", "quote_contains_gold", "false_refusal", "out_of_corpus_refused"):
            assert getattr(summary, field) is not None, field
        assert summary.short_coverage is not None and summary.f1 is not None
        assert summary.latency_p50_ms is not None and summary.latency_p50_ms > 0
    # the baseline never refuses: every held-out question is answered, none refused
    assert run.baseline.out_of_corpus_refused == 0.0 and run.baseline.false_refusal == 0.0
    assert run.baseline.short_coverage == 0.0
    assert all(r.baseline.found and r.baseline_sentence for r in run.results)
    assert all(HELD_OUT_TITLE not in r.retrieved_titles for r in run.results)
    assert all(r.project.em is None and r.baseline.em is None for r in held)
    # two short documents: every reference lies inside the top 5 passages
    assert run.hit_at_5 == 1.0
    assert run.project.contains_gold is not None and run.project.contains_gold > 0

    console = Console(file=io.StringIO(), width=160)
    print_report(run, console)
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert "project" in printed and "baseline" in printed
    assert "5 answerable / 2 held-out questions" in printed
    path = tmp_path / "run.json"
    write_json(run, path)
    assert read_json(path) == run
    html = render_html(run)
    assert "out of corpus" in html and "baseline" in html and "t3-q2" in html

    again = evaluate_dataset(
        TINY, holdout=1, cache_root=cache, progress=False, settings=settings, embedder=embedder
    )
    assert again.index.cached and again.index.key == run.index.key  # nothing embedded again
