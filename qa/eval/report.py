"""The console tables and the JSON report of an evaluation run.

The JSON file is the run itself (``EvalRun``): settings, metrics by mode, language and
type, and every question's answer and verdict, so later tools (the HTML report, a diff
between two runs, the RAGAS export) need nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from qa.eval.metrics import Metrics
from qa.eval.runner import EvalRun

# (field, column header, kind) in display order; kind "ms" is a latency, anything else a rate.
COLUMNS: list[tuple[str, str, str]] = [
    ("hit_at_1", "hit@1", "rate"),
    ("hit_at_3", "hit@3", "rate"),
    ("hit_at_5", "hit@5", "rate"),
    ("mrr", "MRR", "rate"),
    ("answer_accuracy", "answer acc", "rate"),
    ("short_exact_match", "short EM", "rate"),
    ("citation_precision", "cite P", "rate"),
    ("citation_recall", "cite R", "rate"),
    ("refusal_precision", "refuse P", "rate"),
    ("refusal_recall", "refuse R", "rate"),
    ("refusal_f1", "refuse F1", "rate"),
    ("latency_p50_ms", "p50 ms", "ms"),
    ("latency_p95_ms", "p95 ms", "ms"),
]


MIN_WIDTH = 160


def fmt(value: float | None, kind: str = "rate") -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if kind == "ms" else f"{value:.3f}"


def _table(title: str, first: list[str], rows: list[tuple[list[str], Metrics]]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in [*first, "n"]:
        table.add_column(name, no_wrap=True)
    for _, header, _ in COLUMNS:
        table.add_column(header, justify="right", no_wrap=True)
    for labels, m in rows:
        table.add_row(*labels, str(m.questions), *(fmt(getattr(m, f), kind) for f, _, kind in COLUMNS))
    return table


def sections(run: EvalRun) -> list[tuple[str, list[str], list[tuple[list[str], Metrics]]]]:
    """(title, label columns, rows): overall by mode, then by language and type within each mode."""
    modes = run.modes
    return [
        ("Overall", ["mode"], [([mode], run.summary[mode].overall) for mode in modes]),
        (
            "By language",
            ["mode", "language"],
            [([mode, k], m) for mode in modes for k, m in run.summary[mode].by_language.items()],
        ),
        (
            "By type",
            ["mode", "type"],
            [([mode, k], m) for mode in modes for k, m in run.summary[mode].by_type.items()],
        ),
    ]


def tables(run: EvalRun) -> list[Table]:
    return [_table(title, first, rows) for title, first, rows in sections(run)]


def policy_line(policy: dict[str, Any] | None) -> str:
    """The policy that answered, in one line: its fingerprint and the fields that decide refusals."""
    if not policy:
        return "unknown (the service's own)"
    keys = ("veto_rules", "min_dense", "min_support", "min_support_value", "w_soft")
    return f"{policy['fingerprint']}: " + ", ".join(f"{k}={policy[k]}" for k in keys if k in policy)


def print_report(run: EvalRun, console: Console | None = None) -> None:
    if console is None:  # never squeeze the table into ellipses: wrap rather than truncate
        console = Console()
        console.width = max(console.width, MIN_WIDTH)
    console.print(
        f"[bold]qa eval[/bold]: {run.questions} questions × {len(run.modes)} mode(s) via {run.backend} "
        f"(index {run.index or '?'}, top_k {run.top_k}) in {run.seconds:.1f}s"
    )
    console.print(f"answer policy {policy_line(run.policy)}", highlight=False, markup=False)
    for table in tables(run):
        console.print(table)
    for mode in run.modes:
        g = run.summary[mode].overall.guard
        if g.repaired or g.fell_back or g.ungrounded or any(r.answerer == "generative" for r in run.results):
            console.print(
                f"{mode}: grounding guard repaired {g.repaired}, replaced {g.fell_back} by the extractive "
                f"answer, delivered {g.ungrounded} ungrounded; English answers to English questions "
                f"{fmt(g.english_answers)}",
                highlight=False,
                markup=False,
            )
    cached = sum(r.cached for r in run.results)
    if cached:
        console.print(
            f"[yellow]{cached} answer(s) came from the service's answer cache; "
            "latency counts only the answers computed afresh.[/yellow]"
        )
    failed = {r.id for r in run.failures()}
    console.print(f"{len(failed)} question(s) failed in at least one mode; see the HTML report for each.")


def write_json(run: EvalRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(run.model_dump_json(indent=2), encoding="utf-8")


def read_json(path: Path) -> EvalRun:
    return EvalRun.model_validate_json(path.read_text(encoding="utf-8"))
