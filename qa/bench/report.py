"""The bench's verdict: ratios, targets, and the Markdown table the README carries."""

from __future__ import annotations

from qa.bench.generative import FIRST_TOKEN_TARGET_MS
from qa.bench.models import BenchReport, LoadRun, ServiceBench, Target

MAX_P50_OVER_FLOOR = 1.15
MIN_C16_OVER_SEQUENTIAL = 2.5
MAX_STARTUP_S = 10.0
MAX_RSS_MB = 2048.0


def service_ratios(run: ServiceBench, floor_p50: float, baseline_p50: float | None) -> dict[str, float]:
    floor = floor_p50 or float("nan")
    seq = run.sequential
    found = {
        "ask_p50_over_floor_p50": seq.latency.p50 / floor,
        "cache_hit_p50_over_floor_p50": run.cache_hit.latency.p50 / floor,
    }
    for load in run.concurrent:
        rate = load.throughput / seq.throughput if seq.throughput else 0.0
        found[f"c{load.clients}_throughput_over_sequential"] = rate
        # Against one-at-a-time fp32 encoding, the rate the floor allows: 1000 / floor p50.
        found[f"c{load.clients}_throughput_over_floor_rate"] = load.throughput * floor / 1000
        if baseline_p50:  # against LangChain answering one question after another, in-process
            found[f"c{load.clients}_throughput_over_langchain_rate"] = load.throughput * baseline_p50 / 1000
    if baseline_p50:
        found["ask_p50_over_langchain_p50"] = seq.latency.p50 / baseline_p50
    return {k: round(v, 3) for k, v in found.items()}


def default_service(report: BenchReport) -> ServiceBench:
    for run in report.services:
        if run.service.backend == report.default_backend:
            return run
    return report.services[0]


def targets(report: BenchReport) -> list[Target]:
    main = default_service(report)
    r = main.ratios
    tag = f" [{main.service.backend}]"
    errors = sum(load.errors for s in report.services for load in [s.sequential, s.cache_hit, *s.concurrent])
    found = [
        Target(
            name="/ask p50 (sequential, warm, distinct) / fp32 floor p50" + tag,
            value=r["ask_p50_over_floor_p50"],
            target=f"<= {MAX_P50_OVER_FLOOR}",
            ok=r["ask_p50_over_floor_p50"] <= MAX_P50_OVER_FLOOR,
        )
    ]
    for run in report.services:
        value = run.ratios.get("c16_throughput_over_sequential")
        if value is not None:
            found.append(
                Target(
                    name=f"throughput, 16 clients / sequential [{run.service.backend}]",
                    value=value,
                    target=f">= {MIN_C16_OVER_SEQUENTIAL}",
                    ok=value >= MIN_C16_OVER_SEQUENTIAL,
                )
            )
    for run in report.services:
        s = run.service
        found += [
            Target(
                name=f"start-up: process start to /readyz 200, s [{s.backend}]",
                value=s.startup_seconds,
                target=f"<= {MAX_STARTUP_S:g}",
                ok=s.startup_seconds <= MAX_STARTUP_S,
            ),
            Target(
                name=f"service peak RSS, MB [{s.backend}]",
                value=s.peak_rss_mb,
                target=f"<= {MAX_RSS_MB:g}",
                ok=s.peak_rss_mb <= MAX_RSS_MB,
            ),
        ]
    for gen in report.generative:
        if "0.5b" in gen.model and gen.first_token_zh_short.n:
            value = gen.first_token_zh_short.p50
            found.append(
                Target(
                    name=f"generative first token, short Chinese questions, p50 ms [{gen.model}]",
                    value=value,
                    target=f"<= {FIRST_TOKEN_TARGET_MS:g}",
                    ok=value <= FIRST_TOKEN_TARGET_MS,
                )
            )
    reembedded = any(s.service.reembedded_at_start for s in report.services)
    found += [
        Target(name="errors in all load runs", value=errors, target="0", ok=errors == 0),
        Target(
            name="documents embedded when loading the index",
            value=float(reembedded),
            target="0",
            ok=not reembedded,
        ),
    ]
    if report.growth:
        from qa.bench.growth import growth_targets

        found += growth_targets(report.growth)
    return found


def _run_row(backend: str, run: LoadRun, floor: float) -> str:
    lat = run.latency
    ratio = f"{lat.p50 / floor:.2f}" if floor else "-"
    return (
        f"| {backend} | {run.label} | {run.ok}/{run.requests} | {run.errors} | {lat.p50:.1f} | "
        f"{lat.p95:.1f} | {lat.p99:.1f} | {run.throughput:.1f} | {ratio} |"
    )


def markdown(report: BenchReport) -> str:
    m = report.machine
    versions = ", ".join(f"{k} {v}" for k, v in m.versions.items())
    load = f"{m.load_average_start[0]:.2f} at the start, {m.load_average_end[0]:.2f} at the end"
    floor = report.floor.p50
    lines = [
        f"Machine: {m.cpu}, {m.cores} cores, {m.memory_gb:.0f} GB RAM, Python {m.python}, {m.platform}; "
        f"{versions}. 1-minute load average {load}. Run {report.started_at}, {report.seconds:.0f} s in all.",
        "",
        f"`/ask` over loopback HTTP (default query encoder: `{report.default_backend}`); every question "
        f"distinct except the cache-hit run. Latency in ms; the floor is bare fp32 `encode_query`, "
        f"p50 {floor:.1f} ms.",
        "",
        "| encoder | run | answered | errors | p50 | p95 | p99 | answers/s | p50 / floor |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in report.services:
        backend = run.service.backend
        lines.append(_run_row(backend, run.sequential, floor))
        lines.append(_run_row(backend, run.cache_hit, floor))
        lines += [_run_row(backend, load, floor) for load in run.concurrent]
    lines += [
        "",
        "| encoder | start-up to /readyz, s | peak RSS, MB | 16 clients / sequential | "
        "64 clients / sequential | 16 clients / floor rate | 16 clients / LangChain rate |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in report.services:
        s, r = run.service, run.ratios
        c16 = r.get("c16_throughput_over_sequential", 0)
        c64 = r.get("c64_throughput_over_sequential", 0)
        c16_floor = r.get("c16_throughput_over_floor_rate", 0)
        c16_langchain = r.get("c16_throughput_over_langchain_rate", 0)
        lines.append(
            f"| {s.backend} | {s.startup_seconds:.2f} | {s.peak_rss_mb:.0f} | {c16:.2f}x | {c64:.2f}x | "
            f"{c16_floor:.2f}x | {c16_langchain:.2f}x |"
        )
    questions = report.encoders[0].questions if report.encoders else 0
    lines += [
        "",
        "Query encoders, one question per call on the sequential questions (fp32 is the floor); "
        f"identity checked on all {questions} gold questions (same answer = text, quotes and offsets; "
        "with scores = citation scores too):",
        "",
        "| encoder | p50 ms | p95 ms | batch of 16, ms each | speed-up | min cosine | same top-1 | "
        "same answer | with scores | meets bar |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for e in report.encoders:
        lines.append(
            f"| {e.name} | {e.single.p50:.1f} | {e.single.p95:.1f} | {e.batch16_each_ms:.1f} | "
            f"{e.speedup:.2f}x | {e.cosine_min:.4f} | {e.top1_identical}/{e.questions} | "
            f"{e.answers_identical}/{e.questions} | {e.answers_identical_with_scores}/{e.questions} | "
            f"{'yes' if e.adopted else 'no'} |"
        )
    b = report.build
    export = f"; ONNX export (once) {b.onnx_export_seconds:.1f} s" if b.onnx_export_seconds else ""
    lines += [
        "",
        f"Index build from scratch: {b.seconds:.1f} s, peak RSS {b.peak_rss_mb:.0f} MB "
        f"({b.chunks} chunks, {b.sentences} sentences){export}.",
    ]
    if report.baseline:
        base = report.baseline
        main = default_service(report)
        over_floor = base.query.p50 / floor if floor else 0.0
        ask_over = main.ratios.get("ask_p50_over_langchain_p50", 0.0)
        lines += [
            "",
            "| baseline (in-process retrieval only) | build s | query p50 ms | p95 ms | p50 / floor | "
            f"`/ask` p50 [{main.service.backend}] / its p50 |",
            "|---|---:|---:|---:|---:|---:|",
            f"| {base.name} | {base.build_seconds:.1f} | {base.query.p50:.1f} | {base.query.p95:.1f} | "
            f"{over_floor:.2f} | {ask_over:.2f} |",
        ]
    if report.growth:
        from qa.bench.growth import markdown as growth_markdown

        lines += ["", growth_markdown(report.growth)]
    if report.generative or report.generative_note:
        from qa.bench.generative import markdown as generative_markdown

        lines += generative_markdown(report.generative, report.generative_note)
    lines += ["", "| target | value | goal | met |", "|---|---:|---|---|"]
    for t in report.targets:
        lines.append(f"| {t.name} | {t.value:g} | {t.target} | {'yes' if t.ok else 'NO'} |")
    if report.notes:
        lines += ["", *(f"- {note}" for note in report.notes)]
    return "\n".join(lines) + "\n"
