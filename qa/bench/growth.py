"""Corpus growth: full builds (today's code path against the current one), one document added
and removed, and peak memory of builds and of the service with either vector store.

The larger corpus is the bundled report plus the first N articles of the CMRC 2018 trial set
(one ``.txt`` per article: title, then its paragraphs); the next article is the one added, so
asking for all 256 builds 255 and adds the 256th. Every build is ``qa build-index`` in
its own process, so its wall time (model load included) and peak RSS are its own:

- *today's path*: the PyTorch fp32 passage encoder (QA_EMBED_BACKEND=torch) and an empty
  embedding cache (sentence-transformers sorts each call's texts by length itself);
- *current path*: the ONNX Runtime passage encoder, token-length batches, an empty cache;
- *add one*: one more article, into the current path's index (its cache holds the rest);
- *that document alone*: an index of just that article, empty cache (the cost to beat x1.5);
- *remove it*: must embed nothing;
- *Milvus Lite*: the same corpus written to Milvus Lite (vectors from the cache).

Then the service is started over the FAISS build and over the Milvus build, asked a few
questions, and its peak RSS (VmHWM) read (Milvus Lite runs inside the service's process).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from pathlib import Path

from qa.bench.load import run_load
from qa.bench.models import GrowthBuild, GrowthResult, Target
from qa.bench.service import Service, _run_measured, child_env
from qa.config import ROOT

REPORT = ROOT / "corpus" / "cq-ict-14th-five-year-review.txt"
DATASET = ROOT.parent / "shared" / "datasets" / "cmrc2018_trial.json"
QUESTIONS = [
    "重庆5G基站有多少个?",
    "重庆和成都两地直联带宽达到多少?",
    "千兆光网覆盖了多少家庭?",
    "泡泡战士是什么?",
    "What is the bandwidth between Chongqing and Chengdu?",
    "How many 5G base stations were built?",
]


def articles(dataset: Path) -> list[tuple[str, str]]:
    """(file name, text) per article of a SQuAD-format file, in the file's order."""
    data = json.loads(dataset.read_text(encoding="utf-8"))["data"]
    found = []
    for i, article in enumerate(data):
        title = str(article.get("title") or f"article {i}").strip()
        body = "\n\n".join(p["context"].strip() for p in article["paragraphs"])
        found.append((f"cmrc-{i:03d}.txt", f"{title}\n\n{body}\n"))
    return found


def write_corpus(folder: Path, docs: list[tuple[str, str]]) -> int:
    """The report plus ``docs``; returns the corpus's characters."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(REPORT, folder / REPORT.name)
    for name, text in docs:
        (folder / name).write_text(text, encoding="utf-8")
    return sum(len(p.read_text(encoding="utf-8")) for p in folder.iterdir())


def build(label: str, work: Path, corpus: Path, index: Path, cache: Path, env: dict[str, str]) -> GrowthBuild:
    log = work / f"build-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.log"
    extra = {"QA_CORPUS_DIR": str(corpus), "QA_EMBED_CACHE_DIR": str(cache), **env}
    command = [sys.executable, "-m", "qa.cli", "build-index"]
    seconds, rss = _run_measured(command, child_env(index, extra), log)
    from qa.index import current_build_dir

    manifest = json.loads((current_build_dir(index) / "manifest.json").read_text(encoding="utf-8"))
    chars = sum(len(p.read_text(encoding="utf-8")) for p in corpus.iterdir() if p.is_file())
    return GrowthBuild(
        label=label,
        seconds=round(seconds, 2),
        peak_rss_mb=round(rss, 1),
        documents=manifest["counts"]["documents"],
        characters=chars,
        chars_per_second=round(chars / seconds, 1),
        embedded=int(manifest.get("embedding", {}).get("embedded", -1)),
        texts=sum(manifest["counts"][k] for k in ("chunks", "sentences", "clauses")),
    )


def service_rss(work: Path, index: Path, corpus: Path, env: dict[str, str], label: str) -> tuple[float, int]:
    """(service VmHWM, failed questions) after a few questions. Milvus Lite 3 runs inside the
    process that opens its file (a gRPC server on a thread), so its memory is in the figure."""
    service = Service(index, {"QA_CORPUS_DIR": str(corpus), **env}, work / f"service-{label}.log")
    try:
        service.wait_ready(timeout=300)
        run = run_load(service.url, f"questions [{label}]", QUESTIONS, 2, 120)
        return service.peak_rss_mb(), run.errors
    finally:
        service.stop()


def measure(work: Path, dataset: Path, n_articles: int, say: object = print) -> GrowthResult:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    pool = articles(dataset)
    n_articles = min(n_articles, len(pool) - 1)  # one more article is held back to be added
    sample, extra = pool[:n_articles], pool[n_articles]
    corpus, single = work / "corpus", work / "corpus-one"
    chars = write_corpus(corpus, sample)
    note = say if callable(say) else print
    note(f"corpus growth: report + {len(sample)} of {len(pool)} CMRC articles, {chars} characters")
    torch_env = {"QA_EMBED_BACKEND": "torch"}
    today = build(
        "today: torch fp32, no cache", work, corpus, work / "index-today", work / "cache-today", torch_env
    )
    note(f"  today's path: {today.seconds:.1f} s, {today.chars_per_second:.0f} chars/s")
    cache = work / "cache"
    full = build("current: onnx, empty cache", work, corpus, work / "index", cache, {})
    note(f"  current path: {full.seconds:.1f} s, {full.chars_per_second:.0f} chars/s")
    again = build("rebuild, nothing changed", work, corpus, work / "index", cache, {})
    (corpus / extra[0]).write_text(extra[1], encoding="utf-8")
    added = build("add one document", work, corpus, work / "index", cache, {})
    write_corpus(single, [])
    (single / REPORT.name).unlink()
    (single / extra[0]).write_text(extra[1], encoding="utf-8")
    alone = build("that document alone", work, single, work / "index-one", work / "cache-one", {})
    note(f"  add one: {added.seconds:.1f} s (embedded {added.embedded}); alone: {alone.seconds:.1f} s")
    (corpus / extra[0]).unlink()
    removed = build("remove it", work, corpus, work / "index", cache, {})
    milvus_env = {"QA_VECTOR_STORE": f"milvus://{work / 'milvus' / 'vectors.db'}"}
    milvus = build("milvus lite, from the cache", work, corpus, work / "index-milvus", cache, milvus_env)
    note("  service peak RSS: faiss, then milvus lite")
    faiss_rss, faiss_errors = service_rss(
        work, work / "index", corpus, {"QA_EMBED_CACHE_DIR": str(cache)}, "faiss"
    )
    milvus_rss, milvus_errors = service_rss(
        work, work / "index-milvus", corpus, {"QA_EMBED_CACHE_DIR": str(cache), **milvus_env}, "milvus"
    )
    return GrowthResult(
        articles=len(sample),
        articles_available=len(pool),
        builds=[today, full, again, added, alone, removed, milvus],
        speedup=round(full.chars_per_second / today.chars_per_second, 2),
        add_over_alone=round(added.seconds / alone.seconds, 2),
        service_peak_rss_mb={"faiss": faiss_rss, "milvus lite (in the process)": milvus_rss},
        service_errors=faiss_errors + milvus_errors,
    )


MIN_BUILD_SPEEDUP = 3.0
MAX_ADD_OVER_ALONE = 1.5


def growth_targets(result: GrowthResult) -> list[Target]:
    removed = next(b for b in result.builds if b.label == "remove it")
    return [
        Target(
            name="full build chars/s, current / today's path",
            value=result.speedup,
            target=f">= {MIN_BUILD_SPEEDUP:g}",
            ok=result.speedup >= MIN_BUILD_SPEEDUP,
        ),
        Target(
            name="adding one document / building it alone, s",
            value=result.add_over_alone,
            target=f"<= {MAX_ADD_OVER_ALONE:g}",
            ok=result.add_over_alone <= MAX_ADD_OVER_ALONE,
        ),
        Target(
            name="texts embedded to remove a document",
            value=removed.embedded,
            target="0",
            ok=removed.embedded == 0,
        ),
        Target(
            name="failed questions (growth services)",
            value=result.service_errors,
            target="0",
            ok=result.service_errors == 0,
        ),
    ]


def markdown(result: GrowthResult) -> str:
    lines = [
        f"Corpus growth (report + {result.articles} of {result.articles_available} CMRC 2018 trial "
        "articles; each build is `qa build-index` in its own process, model load included):",
        "",
        "| build | documents | characters | texts | embedded | s | chars/s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for b in result.builds:
        lines.append(
            f"| {b.label} | {b.documents} | {b.characters} | {b.texts} | {b.embedded} | {b.seconds:.1f} | "
            f"{b.chars_per_second:.0f} | {b.peak_rss_mb:.0f} |"
        )
    rss = ", ".join(f"{k} {v:.0f} MB" for k, v in result.service_peak_rss_mb.items())
    by_label = {b.label: b for b in result.builds}
    stores = [("faiss", "rebuild, nothing changed"), ("milvus lite", "milvus lite, from the cache")]
    build_rss = ", ".join(f"{k} {by_label[v].peak_rss_mb:.0f} MB" for k, v in stores if v in by_label)
    removed = by_label.get("remove it")
    lines += [
        "",
        f"Full build speed, current / today's path: {result.speedup:.2f}x; adding one document / "
        f"building that document alone: {result.add_over_alone:.2f}x; texts embedded to remove one: "
        f"{removed.embedded if removed else 'n/a'}. Build peak RSS from the cache: {build_rss}. "
        f"Service peak RSS: {rss}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m qa.bench.growth``: this section alone (``make bench`` runs it too)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench-growth")
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument(
        "--articles",
        type=int,
        default=256,
        help="CMRC articles beside the report (all 256: the issue's corpus).",
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    result = measure(args.out / "work", args.dataset, args.articles)
    text = markdown(result)
    (args.out / "growth.json").write_text(result.model_dump_json(indent=2), encoding="utf-8")
    (args.out / "growth.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"({time.perf_counter() - began:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
