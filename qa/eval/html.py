"""The self-contained HTML report: charts by mode and language, metric tables, failures.

One file, inline CSS and SVG, no scripts: it opens from disk, offline, in any browser,
and can be attached to an issue as is. Every failed question is listed with what the
service answered and what was expected, so a regression can be read without rerunning.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup

from qa.eval.charts import bar_chart
from qa.eval.report import COLUMNS, fmt, sections
from qa.eval.runner import EvalRun

MODE_METRICS = [
    ("hit_at_1", "hit@1"),
    ("hit_at_5", "hit@5"),
    ("mrr", "MRR"),
    ("answer_accuracy", "answer acc"),
    ("short_exact_match", "short EM"),
    ("citation_precision", "cite P"),
    ("citation_recall", "cite R"),
    ("refusal_f1", "refuse F1"),
]
LANGUAGE_METRICS = [
    ("hit_at_5", "hit@5"),
    ("answer_accuracy", "answer acc"),
    ("citation_precision", "cite P"),
    ("refusal_f1", "refuse F1"),
]

# The style every evaluation report shares (gold set and external datasets).
BASE_CSS = """body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px;
       padding: 0 16px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; }
.meta { color: #555; } .charts { display: flex; flex-wrap: wrap; gap: 12px; }
.chart { border: 1px solid #ddd; border-radius: 6px; background: #fff; max-width: 100%; height: auto; }
.chart-title { font-weight: 600; font-size: 14px; } .axis { font-size: 11px; fill: #444; }
.value { font-size: 10px; fill: #222; } .grid { stroke: #e5e5e5; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 6px; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
"""

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qa eval · {{ run.created_at }}</title>
<style>
{{ base_css }}
table.failures td { max-width: 360px; } table.failures td:first-child { white-space: nowrap; }
.reason { color: #b00020; } .expected { color: #1b5e20; }
</style></head><body>
<h1>qa eval</h1>
<p class="meta">{{ run.questions }} questions × {{ run.modes|length }} mode(s) ({{ run.modes|join(", ") }})
via {{ run.backend }} · index {{ run.index or "?" }} · top_k {{ run.top_k }} · gold {{ run.gold }}
· {{ run.created_at }} · {{ "%.1f"|format(run.seconds) }} s</p>
<h2>Charts</h2>
<div class="charts">{% for chart in charts %}{{ chart }}{% endfor %}</div>
{% for title, first, rows in tables %}
<h2>{{ title }}</h2>
<table><tr>{% for h in first %}<th>{{ h }}</th>{% endfor %}<th>n</th>
{% for c in columns %}<th>{{ c[1] }}</th>{% endfor %}</tr>
{% for labels, m in rows %}<tr>{% for l in labels %}<td>{{ l }}</td>{% endfor %}
<td class="num">{{ m.questions }}</td>
{% for c in columns %}<td class="num">{{ fmt(m[c[0]], c[2]) }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% endfor %}
<h2 id="failures">Failed questions: {{ failures|map(attribute="id")|unique|list|length }}
({{ failures|length }} question × mode rows)</h2>
<table class="failures"><tr><th>id</th><th>mode</th><th>lang</th><th>type</th><th>question</th>
<th>expected</th><th>answer given</th><th>rank</th><th>why</th></tr>
{% for r in failures %}<tr id="{{ r.id }}-{{ r.mode }}">
<td>{{ r.id }}</td><td>{{ r.mode }}</td><td>{{ r.language }}</td>
<td>{{ r.type }}</td><td>{{ r.question }}</td>
<td class="expected">{% if r.answerable %}{{ r.answers|join(" · ") }}
<br><small>evidence: {{ r.evidence }}</small>
{% else %}a refusal (the report does not say){% endif %}</td>
<td>{% if r.found %}{% if r.short_answer %}<b>{{ r.short_answer }}</b><br>{% endif %}
{% else %}<i>refused</i><br>{% endif %}
{{ r.answer }}</td><td class="num">{{ r.rank or "–" }}</td>
<td class="reason">{{ r.failures|join("; ") }}</td></tr>
{% endfor %}</table>
</body></html>
"""


def _charts(run: EvalRun) -> list[Markup]:
    modes = run.modes
    overall = {m: [getattr(run.summary[m].overall, f) for f, _ in MODE_METRICS] for m in modes}
    charts = [bar_chart("Metrics by mode", [label for _, label in MODE_METRICS], overall, width=1160)]
    languages = sorted({lang for m in modes for lang in run.summary[m].by_language})
    for lang in languages:
        series = {
            m: [
                getattr(run.summary[m].by_language[lang], f) if lang in run.summary[m].by_language else None
                for f, _ in LANGUAGE_METRICS
            ]
            for m in modes
        }
        charts.append(
            bar_chart(f"Language: {lang}", [label for _, label in LANGUAGE_METRICS], series, width=574)
        )
    latency = {
        m: [run.summary[m].overall.latency_p50_ms, run.summary[m].overall.latency_p95_ms] for m in modes
    }
    charts.append(
        bar_chart("Ask latency by mode (ms)", ["p50", "p95"], latency, max_value=None, unit=" ms", width=574)
    )
    return [Markup(c) for c in charts]


def render_html(run: EvalRun) -> str:
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(TEMPLATE)
    modes = run.modes
    failures = sorted(run.failures(), key=lambda r: (modes.index(r.mode), r.id))
    return template.render(
        run=run,
        charts=_charts(run),
        tables=sections(run),
        columns=COLUMNS,
        fmt=fmt,
        failures=failures,
        base_css=Markup(BASE_CSS),
    )


def write_html(run: EvalRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(run), encoding="utf-8")
