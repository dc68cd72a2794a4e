"""The bench's verdict: ratios, targets, and the Markdown table the README carries."""

from __future__ import annotations

from qa.bench.models import BenchReport, LoadRun, Target

MAX_P50_OVER_FLOOR = 1.15
MIN_C16_OVER_SEQUENTIAL = 2.5
MAX_STARTUP_S = 10.0
MAX_RSS_MB = 2048.0


def ratios(report: BenchReport) -> dict[str, float]:
    floor = report.floor.p50 or float("nan")
    seq = report.sequential
    found = {
        "ask_p50_over_floor_p50": seq.latency.p50 / floor,
        "cache_hit_p50_over_floor_p50": report.cache_hit.latency.p50 / floor,
    }
    for run in report.concurrent:
        rate = run.throughput / seq.throughput if seq.throughput else 0.0
        found[f"c{run.clients}_throughput_over_sequential"] = rate
    if report.baseline:
        base = report.baseline.query.p50
        found["ask_p50_over_langchain_p50"] = seq.latency.p50 / base if base else 0.0
        found["langchain_p50_over_floor_p50"] = base / floor
    return {k: round(v, 3) for k, v in found.items()}


def targets(report: BenchReport) -> list[Target]:
    r = report.ratios
    runs = [report.sequential, report.cache_hit, *report.concurrent]
    errors = sum(run.errors for run in runs)
    found = [
        Target(
            name="/ask p50 (sequential, warm, distinct) / fp32 floor p50",
            value=r["ask_p50_over_floor_p50"],
            target=f"<= {MAX_P50_OVER_FLOOR}",
            ok=r["ask_p50_over_floor_p50"] <= MAX_P50_OVER_FLOOR,
        ),
        Target(
            name="startup: process start to /readyz 200 (s)",
            value=report.service.startup_seconds,
            target=f"<= {MAX_STARTUP_S:g}",
            ok=report.service.startup_seconds <= MAX_STARTUP_S,
        ),
        Target(
            name="service peak RSS (MB)",
            value=report.service.peak_rss_mb,
            target=f"<= {MAX_RSS_MB:g}",
            ok=report.service.peak_rss_mb <= MAX_RSS_MB,
        ),
        Target(name="errors in all load runs", value=errors, target="0", ok=errors == 0),
        Target(
            name="no re-embedding when loading the index",
            value=float(report.service.reembedded_at_start),
            target="0",
            ok=not report.service.reembedded_at_start,
        ),
    ]
    key = "c16_throughput_over_sequential"
    if key in r:
        found.insert(
            1,
            Target(
                name="throughput, 16 clients / sequential",
                value=r[key],
                target=f">= {MIN_C16_OVER_SEQUENTIAL}",
                ok=r[key] >= MIN_C16_OVER_SEQUENTIAL,
            ),
        )
    return found


def _run_row(run: LoadRun, floor: float) -> str:
    lat = run.latency
    ratio = f"{lat.p50 / floor:.2f}" if floor else "-"
    return (
        f"| {run.label} | {run.clients} | {run.ok}/{run.requests} | {run.errors} | {lat.p50:.1f} | "
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
        f"`/ask` over loopback HTTP, service backend `{report.service.backend}`, every question distinct "
        "unless marked as cache hits. Latency in ms.",
        "",
        "| run | clients | answered | errors | p50 | p95 | p99 | answers/s | p50 / floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        _run_row(report.sequential, floor),
        _run_row(report.cache_hit, floor),
        *(_run_row(run, floor) for run in report.concurrent),
        "",
        "Query encoders, one question per call on the same questions (the fp32 row is the floor), "
        f"checked on {report.encoders[0].questions if report.encoders else 0} gold questions:",
        "",
        "| encoder | p50 ms | p95 ms | batch of 16, ms each | speed-up | min cosine to fp32 | "
        "same top-1 | same answer | meets bar |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for e in report.encoders:
        lines.append(
            f"| {e.name} | {e.single.p50:.1f} | {e.single.p95:.1f} | {e.batch16_each_ms:.1f} | "
            f"{e.speedup:.2f}x | {e.cosine_min:.4f} | {e.top1_identical}/{e.questions} | "
            f"{e.answers_identical}/{e.questions} | {'yes' if e.adopted else 'no'} |"
        )
    b, s = report.build, report.service
    export = f"; ONNX export (once) {b.onnx_export_seconds:.1f} s" if b.onnx_export_seconds else ""
    lines += [
        "",
        f"Index build from scratch: {b.seconds:.1f} s, peak RSS {b.peak_rss_mb:.0f} MB "
        f"({b.chunks} chunks, {b.sentences} sentences){export}. "
        f"Service start to `/readyz` 200: {s.startup_seconds:.2f} s; "
        f"service peak RSS {s.peak_rss_mb:.0f} MB.",
    ]
    if report.baseline:
        base = report.baseline
        lines += [
            "",
            "| baseline | build s | query p50 ms | p95 ms | `/ask` p50 / its p50 |",
            "|---|---:|---:|---:|---:|",
            f"| {base.name} | {base.build_seconds:.1f} | {base.query.p50:.1f} | {base.query.p95:.1f} | "
            f"{report.ratios.get('ask_p50_over_langchain_p50', 0):.2f} |",
        ]
    lines += ["", "| target | value | goal | met |", "|---|---:|---|---|"]
    for t in report.targets:
        lines.append(f"| {t.name} | {t.value:g} | {t.target} | {'yes' if t.ok else 'NO'} |")
    if report.notes:
        lines += ["", *(f"- {note}" for note in report.notes)]
    return "\n".join(lines) + "\n"
