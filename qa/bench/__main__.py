"""``python -m qa.bench --out reports/bench``: the whole benchmark in one run (see qa.bench)."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from qa.bench import questions as qs
from qa.bench.load import run_load
from qa.bench.models import BenchReport, Machine, ServiceBench, ServiceResult
from qa.bench.report import markdown, service_ratios, targets
from qa.bench.service import Service, build_index, export_onnx
from qa.config import ROOT, EmbedBackend, get_settings

_STARTED = time.perf_counter()
OPTIONAL_ENCODERS = {"int8", "bf16"}  # measured for the record; neither is a backend
RESERVED_FOR_ENCODERS_S = 300.0  # what the encoder comparisons and the baseline take on a busy machine


def say(message: str) -> None:
    print(f"[bench {time.perf_counter() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def machine() -> Machine:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    versions = {}
    for name in ("torch", "sentence-transformers", "onnxruntime", "faiss-cpu", "langchain-community"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "n/a"
    return Machine(
        cpu=cpu,
        cores=os.cpu_count() or 0,
        memory_gb=round(memory_kb / 1024 / 1024, 1),
        python=platform.python_version(),
        platform=platform.platform(terse=True),
        versions=versions,
        load_average_start=[round(x, 2) for x in os.getloadavg()],
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the qa service (see qa/bench/__init__.py).")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench")
    parser.add_argument("--questions", type=Path, default=ROOT / "corpus" / "gold" / "gold.jsonl")
    parser.add_argument(
        "--backends", default="torch,onnx", help="Query encoders to serve with, one service each."
    )
    parser.add_argument("--sequential", type=int, default=60, help="Distinct questions asked one by one.")
    parser.add_argument("--cache-hits", type=int, default=30, help="Sequential questions asked again.")
    parser.add_argument("--levels", default="1,4,16,64", help="Concurrent clients per run.")
    parser.add_argument("--per-client", type=int, default=3, help="Questions per client and run (min 32).")
    parser.add_argument("--level-seconds", type=float, default=60.0, help="Time limit of each run.")
    parser.add_argument("--encoders", default="onnx,int8,bf16", help="Encoders compared with fp32.")
    parser.add_argument("--no-baseline", action="store_true", help="Skip the LangChain baseline.")
    parser.add_argument(
        "--growth-articles",
        type=int,
        default=256,
        help="CMRC articles beside the report (all 256: the issue's corpus); 0 skips growth.",
    )
    parser.add_argument(
        "--generative", default="0.5b,1.5b", help='Local LLMs timed as the generative answerer ("" for none).'
    )
    parser.add_argument("--generative-questions", type=int, default=12, help="Questions per LLM.")
    parser.add_argument("--strict", action="store_true", help="Exit 1 when a target is missed.")
    parser.add_argument(
        "--budget", type=float, default=540.0, help="Seconds; the int8/bf16 comparisons are dropped past it."
    )
    args = parser.parse_args(argv)
    args.levels = [int(x) for x in args.levels.split(",") if x.strip()]
    args.encoders = [x.strip() for x in args.encoders.split(",") if x.strip()]
    args.backends = [x.strip() for x in args.backends.split(",") if x.strip()]
    known = {b.value for b in EmbedBackend}
    if not set(args.backends) <= known:
        parser.error(f"--backends takes {', '.join(sorted(known))}")
    if any(n < 1 or n > 128 for n in args.levels) or args.sequential < 16:
        parser.error("levels must be 1..128 clients and --sequential at least 16")
    return args


def bench_service(
    args: argparse.Namespace,
    out: Path,
    index_dir: Path,
    backend: str,
    warm: list[str],
    sequential: list[str],
    levels: list[list[str]],
) -> ServiceBench:
    """One service process: start-up, sequential, cache hits, each concurrency level, memory.

    Every process starts with an empty cache, so each backend gets the same questions.
    """
    say(f"starting the service (query encoder: {backend})")
    service = Service(index_dir, {"QA_EMBED_BACKEND": backend}, out / f"service-{backend}.log")
    try:
        startup = service.wait_ready(timeout=300)
        say(f"ready in {startup:.2f} s at {service.url}")
        run_load(service.url, "warm-up", warm, 1, args.level_seconds)
        seq_run = run_load(service.url, "sequential", sequential, 1, args.level_seconds)
        say(f"  sequential: p50 {seq_run.latency.p50:.1f} ms, {seq_run.throughput:.1f} answers/s")
        hits = sequential[: args.cache_hits]
        hit_run = run_load(service.url, "cache hits (repeats)", hits, 1, args.level_seconds, expect_hit=True)
        concurrent = []
        for clients, questions in zip(args.levels, levels, strict=True):
            label = f"{clients} concurrent client{'s' if clients > 1 else ''}"
            run = run_load(service.url, label, questions, clients, args.level_seconds)
            concurrent.append(run)
            say(f"  {clients} clients: {run.throughput:.1f} answers/s, p50 {run.latency.p50:.0f} ms")
        result = ServiceResult(
            backend=backend,
            startup_seconds=round(startup, 2),
            peak_rss_mb=service.peak_rss_mb(),
            reembedded_at_start=service.reembedded(),
            env=service.env,
        )
    finally:
        service.stop()
    return ServiceBench(service=result, sequential=seq_run, cache_hit=hit_run, concurrent=concurrent)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    began_at = datetime.now(UTC).isoformat(timespec="seconds")
    host = machine()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    index_dir = out / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    settings = get_settings().model_copy(update={"index_dir": index_dir})
    default_backend = str(settings.embed_backend)
    backends = args.backends or [default_backend]
    gold = qs.gold_questions(args.questions)
    counts = [max(32, args.per_client * n) for n in args.levels]
    pool = qs.distinct_questions(gold, 8 + args.sequential + sum(counts))
    warm, pool = qs.take(pool, 8)
    sequential, pool = qs.take(pool, args.sequential)
    levels = []
    for n in counts:
        level, pool = qs.take(pool, n)
        levels.append(level)

    say(f"building the index from scratch into {index_dir}")
    build = build_index(index_dir, out)
    say(f"built in {build.seconds:.1f} s, peak RSS {build.peak_rss_mb:.0f} MB")
    if EmbedBackend.ONNX.value in backends or "onnx" in args.encoders:
        from qa.embed import folder_weights_hash
        from qa.embed_onnx import is_exported

        folder = Path(settings.embed_model)
        if not is_exported(folder, folder_weights_hash(folder)):
            say("exporting the ONNX query encoder (once)")
            build.onnx_export_seconds = export_onnx(out)

    services = [bench_service(args, out, index_dir, b, warm, sequential, levels) for b in backends]

    from qa.bench import encoders, generative

    notes = []
    optional = [k for k in args.encoders if k in OPTIONAL_ENCODERS]
    if optional and time.perf_counter() - _STARTED > args.budget - RESERVED_FOR_ENCODERS_S:
        args.encoders = [k for k in args.encoders if k not in OPTIONAL_ENCODERS]
        notes.append(f"skipped the {', '.join(optional)} encoders to stay within {args.budget:.0f} s")
    say(f"encoders: fp32 floor and {', '.join(args.encoders) or 'nothing else'}")
    floor, encoder_results = encoders.measure(settings, index_dir, sequential, gold, args.encoders)
    baseline = None
    if not args.no_baseline:
        from qa.bench import baseline as langchain

        say("LangChain baseline")
        baseline = langchain.measure(settings, index_dir, sequential)

    growth = None
    if args.growth_articles > 0:
        from qa.bench import growth as corpus_growth

        growth = corpus_growth.measure(out / "growth", corpus_growth.DATASET, args.growth_articles, say)
        shutil.rmtree(out / "growth" / "work", ignore_errors=True)

    sizes = [x.strip() for x in args.generative.split(",") if x.strip()]
    runnable, generative_note = generative.available(sizes)
    generative_results = []
    for size in runnable:
        say(f"generative answerer with the {size} model")
        asked = qs.generative_questions(gold, args.generative_questions)
        generative_results.append(generative.measure(settings, index_dir, asked, size))

    host.load_average_end = [round(x, 2) for x in os.getloadavg()]
    report = BenchReport(
        started_at=began_at,
        seconds=round(time.perf_counter() - _STARTED, 1),
        machine=host,
        build=build,
        default_backend=default_backend,
        services=services,
        floor=floor,
        encoders=encoder_results,
        baseline=baseline,
        growth=growth,
        targets=[],
        generative=generative_results,
        generative_note=generative_note,
    )
    for run in report.services:
        run.ratios = service_ratios(run, floor.p50, baseline.query.p50 if baseline else None)
    report.targets = targets(report)
    report.notes.extend(notes)
    if host.load_average_start[0] > 1.0:  # at the end the bench's own load counts too
        report.notes.append(
            "the machine was busy with other work when the bench started (load average above): "
            "timings are noisy, rerun when quiet"
        )
    text = markdown(report)
    (out / "bench.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
    (out / "bench.md").write_text(text, encoding="utf-8")
    shutil.rmtree(index_dir, ignore_errors=True)
    print(text)
    say(f"wrote {out / 'bench.json'} and {out / 'bench.md'}")
    return 1 if args.strict and not all(t.ok for t in report.targets) else 0


if __name__ == "__main__":
    sys.exit(main())
