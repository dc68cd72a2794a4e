"""Distinct questions for the load runs, so the answer cache cannot flatter the figures.

The gold questions come first, then light rewordings of them ("请问…", "Please tell me:
…"), which normalize to different cache keys but ask the same thing; the order is
shuffled once with a fixed seed so every run and every concurrency level sees a mix of
Chinese and English questions.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from qa.text import detect_language, normalize_query

_ZH_FORMS = ["{q}", "请问,{q}", "根据报告,{q}", "我想了解:{q}"]
_EN_FORMS = ["{q}", "Please tell me: {q}", "According to the report, {q}", "I would like to know: {q}"]


def gold_questions(path: Path) -> list[str]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            question = json.loads(line).get("question")
            if isinstance(question, str) and question.strip():
                questions.append(question.strip())
    if not questions:
        raise SystemExit(f"error: no questions in {path}")
    return questions


def distinct_questions(gold: list[str], count: int, seed: int = 0) -> list[str]:
    """``count`` questions with distinct cache keys: the gold ones, then their rewordings."""
    seen: set[str] = set()
    pool: list[str] = []
    for form in range(len(_ZH_FORMS)):
        batch = []
        for question in gold:
            forms = _ZH_FORMS if detect_language(question).value == "zh" else _EN_FORMS
            text = forms[form].format(q=question)
            key = normalize_query(text)
            if key not in seen:
                seen.add(key)
                batch.append(text)
        random.Random(seed + form).shuffle(batch)
        pool.extend(batch)
        if len(pool) >= count:
            break
    if len(pool) < count:
        raise SystemExit(f"error: only {len(pool)} distinct questions, {count} needed; ask for fewer")
    return pool[:count]


def take(pool: list[str], n: int) -> tuple[list[str], list[str]]:
    """The first ``n`` questions, and the rest (each question is used once per run)."""
    if n > len(pool):
        raise SystemExit(f"error: the bench ran out of distinct questions ({len(pool)} left, {n} needed)")
    return pool[:n], pool[n:]


def generative_questions(gold: list[str], count: int) -> list[str]:
    """``count`` gold questions as users type them, Chinese and English alternating (the same for
    every model, so their timings compare), plus one warm-up question in front."""
    zh = [q for q in gold if detect_language(q).value == "zh"]
    en = [q for q in gold if detect_language(q).value == "en"]
    mixed = [q for pair in zip(zh, en, strict=False) for q in pair]
    return mixed[: count + 1]
