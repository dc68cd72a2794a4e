"""The generative answerer's latency, per local model: first token and total, in process.

Each model answers the same distinct questions one by one over the bench's index, after one
warm-up question (which pays for evaluating the system prompt once; llama.cpp then reuses it
from its KV cache, as a serving process does). First token is measured from the question's
arrival, so it includes analysis, retrieval and the prompt's evaluation; the issue's target is
≤ 2 s with the 0.5B model for a short Chinese question. The extractive answerer's p50 is
measured on the same questions in the same run, for the ratio.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from qa.bench.models import GenerativeResult, Latency
from qa.config import Settings
from qa.config_llm import LLM_DIR, LLM_FILES

FIRST_TOKEN_TARGET_MS = 2000.0


def available(sizes: list[str]) -> tuple[list[str], str | None]:
    """The sizes that can run here, and why the others can't (None when all can)."""
    if importlib.util.find_spec("llama_cpp") is None:
        return [], "llama-cpp-python is not installed (make install-llm)"
    here = [s for s in sizes if (LLM_DIR / LLM_FILES[s]).is_file()]
    missing = sorted(set(sizes) - set(here))
    return here, f"no GGUF for {', '.join(missing)} (make llm)" if missing else None


def measure(settings: Settings, index_dir: Path, questions: list[str], size: str) -> GenerativeResult:
    """One model over ``questions`` (the first one warms up and is not counted)."""
    from qa.answer.pipeline import build_pipeline
    from qa.engine import open_engine
    from qa.generate.answerer import open_generative
    from qa.generate.llm import open_chat_model
    from qa.text import has_cjk

    local = settings.model_copy(update={"index_dir": index_dir, "llm_model_path": LLM_DIR / LLM_FILES[size]})
    engine = open_engine(local, rebuild=False)
    pipeline = build_pipeline(engine)
    began = time.perf_counter()
    model = open_chat_model(local)
    load_seconds = time.perf_counter() - began
    answerer = open_generative(pipeline, local, model)
    answerer.answer(questions[0])
    first, total, zh_short, extractive = [], [], [], []
    written = repaired = fell_back = 0
    for question in questions[1:]:
        response = answerer.answer(question)
        if "first_token" in response.timings_ms:
            first.append(response.timings_ms["first_token"])
            if has_cjk(question) and len(question) <= 20:
                zh_short.append(first[-1])
        total.append(response.timings_ms["total"])
        written += response.answerer == "generative" and response.found
        repaired += response.answerer == "generative" and bool(response.violations)
        fell_back += response.answerer == "extractive" and bool(response.violations)
        began = time.perf_counter()
        pipeline.answer(question)
        extractive.append((time.perf_counter() - began) * 1000)
    return GenerativeResult(
        model=LLM_FILES[size],
        load_seconds=round(load_seconds, 2),
        questions=len(questions) - 1,
        first_token=Latency.of(first or [0.0]),
        total=Latency.of(total),
        first_token_zh_short=Latency.of(zh_short or [0.0]),
        extractive=Latency.of(extractive),
        generative_answers=written,
        repaired=repaired,
        fell_back=fell_back,
    )


def markdown(results: list[GenerativeResult], note: str | None) -> list[str]:
    """The report's section: one row per model."""
    lines = [
        "",
        "Generative answerer (`answerer: generative`), in process, one question at a time, after one "
        "warm-up; first token counts from the question's arrival. Latency in ms.",
        "",
        "| model | load, s | questions | first token p50 | p95 | short zh first token p50 | total p50 | "
        "p95 | extractive p50 | written / repaired / fell back |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.model} | {r.load_seconds:.1f} | {r.questions} | {r.first_token.p50:.0f} | "
            f"{r.first_token.p95:.0f} | {r.first_token_zh_short.p50:.0f} | {r.total.p50:.0f} | "
            f"{r.total.p95:.0f} | {r.extractive.p50:.0f} | {r.generative_answers} / {r.repaired} / "
            f"{r.fell_back} |"
        )
    if note:
        lines.append(f"\nNot measured: {note}.")
    return lines
