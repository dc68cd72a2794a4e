"""The generative section of ``make bench``: which models can run, the questions, the table."""

from __future__ import annotations

from qa.bench.generative import available, markdown
from qa.bench.models import GenerativeResult, Latency
from qa.bench.questions import generative_questions


def test_questions_alternate_languages_with_one_warm_up_in_front():
    gold = ["重庆有多少基站?", "How many base stations?", "带宽多少?", "What bandwidth?", "哪一年?"]
    assert generative_questions(gold, 3) == gold[:4]


def test_an_unknown_size_is_reported_not_measured(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    runnable, note = available(["0.5b"])
    assert runnable == [] and "make install-llm" in (note or "")


def test_the_table_has_a_row_per_model_and_says_what_was_not_measured():
    lat = Latency.of([100.0, 200.0, 300.0])
    result = GenerativeResult(
        model="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        load_seconds=0.5,
        questions=3,
        first_token=lat,
        total=lat,
        first_token_zh_short=lat,
        extractive=lat,
        generative_answers=2,
        repaired=1,
        fell_back=1,
    )
    lines = markdown([result], "no GGUF for 1.5b (make llm)")
    row = next(line for line in lines if line.startswith("| qwen2.5-coder-0.5b"))
    assert "| 3 |" in row and row.endswith("| 2 / 1 / 1 |")
    assert lines[-1] == "\nNot measured: no GGUF for 1.5b (make llm)."
