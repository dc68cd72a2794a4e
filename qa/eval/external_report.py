"""Console table, JSON and HTML of a ``qa eval --dataset`` run: project and baseline side by side."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup
from rich import box
from rich.console import Console
from rich.table import Table

from qa.eval.charts import bar_chart
from qa.eval.external import ExternalResult, ExternalRun
from qa.eval.external_metrics import Summary, Verdict
from qa.eval.html import BASE_CSS
from qa.eval.report import fmt, policy_line

# (Summary field, label, kind); kind "ms" is a latency, "rate" a share or mean score.
ROWS: list[tuple[str, str, str]] = [
    ("contains_gold", "answer contains gold", "rate"),
    ("quote_contains_gold", "quote contains gold", "rate"),
    ("false_refusal", "false refusals (answerable)", "rate"),
    ("out_of_corpus_refused", "out-of-corpus refused", "rate"),
    ("short_coverage", "short-answer coverage", "rate"),
    ("short_f1_given", "short F1 (given)", "rate"),
    ("short_em_given", "short EM (given)", "rate"),
    ("em", "EM overall (short answer)", "rate"),
    ("f1", "F1 overall (short answer)", "rate"),
    ("quote_f1", "F1 of first quote / sentence", "rate"),
    ("latency_p50_ms", "p50 ms", "ms"),
    ("latency_p95_ms", "p95 ms", "ms"),
]
CHART_ROWS = [r for r in ROWS if r[2] == "rate"]


def headline(run: ExternalRun) -> list[str]:
    name = Path(run.dataset).name
    asked = run.question_language + (f" (from {Path(run.questions_from).name})" if run.questions_from else "")
    idx = run.index
    built = (
        f"cached index {idx.key} (built earlier in {idx.build_seconds:.1f}s; loaded in {idx.seconds:.1f}s)"
        if idx.cached
        else f"index {idx.key} built in {idx.build_seconds:.1f}s ({idx.seconds:.1f}s with loading)"
    )
    errors = sum(1 for r in run.results if r.project.error)
    lines = [
        f"answer policy {policy_line(run.policy)}",
        *(
            [f"{errors} question(s) failed with an error (counted as refused); see the JSON report"]
            if errors
            else []
        ),
        f"dataset {name}: questions in {asked}, contexts in {run.context_language}; "
        f"mode {run.mode}, top_k {run.top_k}",
        f"{run.articles} articles: {run.articles - len(run.held_out_articles)} in the corpus, "
        f"{len(run.held_out_articles)} held out; "
        f"{run.answerable} answerable / {run.held_out} held-out questions",
        f"{built}: {idx.documents} documents, {idx.chunks} chunks, {idx.sentences} sentences; "
        f"questions run in {run.seconds:.1f}s",
        f"retrieval hit@5 (a reference inside a top-5 passage): {fmt(run.hit_at_5)}",
    ]
    if run.guard:
        g = run.guard
        lines.append(
            f"grounding guard: {g.repaired} answer(s) repaired, {g.fell_back} replaced by the extractive "
            f"answer, {g.ungrounded} delivered ungrounded; English answers to English questions "
            f"{fmt(g.english_answers)}"
        )
    if run.skipped_no_answer or run.dropped_no_translation:
        lines.append(
            f"skipped: {run.skipped_no_answer} question(s) without an answer, "
            f"{run.dropped_no_translation} without a translated question"
        )
    return lines


def systems(run: ExternalRun) -> list[tuple[str, Summary]]:
    """The columns: the project (named by its answerer when generative), the extractive answerer
    asked in the same run beside a generative project, and the baseline."""
    project = "project (generative)" if run.answerer == "generative" else "project"
    extractive = [("extractive", run.extractive)] if run.extractive else []
    return [(project, run.project), *extractive, ("baseline", run.baseline)]


def table(run: ExternalRun) -> Table:
    t = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("metric", no_wrap=True)
    columns = systems(run)
    for name, _ in columns:
        t.add_column(name, justify="right", no_wrap=True)
    for field, label, kind in ROWS:
        t.add_row(label, *(fmt(getattr(summary, field), kind) for _, summary in columns))
    return t


def print_report(run: ExternalRun, console: Console | None = None) -> None:
    console = console or Console(width=120)
    for line in headline(run):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    console.print(table(run))
    console.print(
        "baseline = the top-1 dense sentence of the same retrieval; it never refuses and gives no short "
        "answer, so its coverage, EM and F1 overall are 0 by definition.",
        highlight=False,
        markup=False,
    )


def write_json(run: ExternalRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(run.model_dump_json(indent=2), encoding="utf-8")


def read_json(path: Path) -> ExternalRun:
    return ExternalRun.model_validate_json(path.read_text(encoding="utf-8"))


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qa eval · {{ name }}</title>
<style>
{{ base_css }}
table.q td { max-width: 340px; } .ok { color: #1b5e20; } .bad { color: #b00020; } .gold { color: #1b5e20; }
</style></head><body>
<h1>qa eval · {{ name }}</h1>
{% for line in headline %}<p class="meta">{{ line }}</p>{% endfor %}
<p class="meta">{{ run.created_at }} · held out: {{ run.held_out_articles|join(", ") or "none" }}</p>
<h2>Project vs baseline</h2>
<table><tr><th>metric</th>{% for name, _ in systems %}<th>{{ name }}</th>{% endfor %}</tr>
{% for field, label, kind in rows %}<tr><td>{{ label }}</td>
{% for _, summary in systems %}<td class="num">{{ fmt(summary[field], kind) }}</td>{% endfor %}</tr>
{% endfor %}</table>
{{ chart }}
<h2>Every question ({{ run.results|length }})</h2>
<table class="q"><tr><th>id</th><th>question</th><th>gold</th><th>project answer</th><th>short</th>
<th>verdict</th><th>baseline sentence</th><th>baseline verdict</th></tr>
{% for r in run.results %}<tr id="{{ r.id }}">
<td>{{ r.id }}</td><td>{{ r.question }}<br><small>{{ r.title }}</small></td>
<td class="gold">{% if r.answerable %}{{ r.answers|join(" · ") }}
{% else %}<i>out of corpus: refuse</i>{% endif %}</td>
<td>{% if not r.project.found %}<i>refused</i> {% endif %}{{ r.project.answer }}
{% if r.project.error %}<br><span class="bad">{{ r.project.error }}</span>{% endif %}</td>
<td>{{ r.project.short_answer or "–" }}</td>
<td>{{ verdict(r, r.project) }}</td>
<td>{{ r.baseline_sentence }}<br><small>{{ r.baseline_title }}</small></td>
<td>{{ verdict(r, r.baseline) }}</td></tr>
{% endfor %}</table>
</body></html>
"""


def _verdict(result: ExternalResult, v: Verdict) -> Markup:
    """Short verdict of one system on one question, for the HTML table."""
    if not result.answerable:
        ok = not v.found
        return Markup('<span class="{}">{}</span>').format(
            "ok" if ok else "bad", "refused" if ok else "answered"
        )
    parts = [
        ("contains", v.answer_contains_gold),
        ("quote", v.quote_contains_gold),
    ]
    out = Markup(" ").join(
        Markup('<span class="{}">{}</span>').format("ok" if flag else "bad", name) for name, flag in parts
    )
    if v.short_f1 is not None:
        out += Markup("<br>EM {} F1 {}").format(fmt(v.short_em), fmt(v.short_f1))
    return out + Markup("<br>hit@5 {}").format("yes" if result.hit_at_5 else "no")


def render_html(run: ExternalRun) -> str:
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    columns = systems(run)
    series: dict[str, list[float | None]] = {
        name: [getattr(summary, f) for f, _, _ in CHART_ROWS] for name, summary in columns
    }
    labels = [f.replace("_given", "").replace("_", " ") for f, _, _ in CHART_ROWS]
    chart = Markup(bar_chart("Project vs baseline", labels, series, width=1160))
    return env.from_string(TEMPLATE).render(
        base_css=Markup(BASE_CSS),
        run=run,
        name=Path(run.dataset).name,
        headline=headline(run),
        rows=ROWS,
        systems=[(name, summary.model_dump()) for name, summary in columns],
        fmt=fmt,
        chart=chart,
        verdict=_verdict,
    )


def write_html(run: ExternalRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(run), encoding="utf-8")
