"""The answer cache: hits equal misses, copies protect it, keys follow what changes an answer."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from qa.answer.cache import HIT, CachedAnswerer, serving_answerer, settings_fingerprint
from qa.config import ROOT, EmbedBackend, SearchMode, Settings
from qa.schemas import AskResponse, Citation


def gold_questions() -> list[str]:
    lines = (ROOT / "corpus" / "gold" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


class CountingAnswerer:
    """A stand-in answerer: the answer names the question, top_k and mode it was asked with."""

    def __init__(self, build_id: str = "b1") -> None:
        self.index = SimpleNamespace(manifest=SimpleNamespace(build_id=build_id))
        self.calls: list[tuple[str, int, SearchMode | None]] = []

    def answer(
        self, question: str, top_k: int = 5, mode: SearchMode | None = None, debug: bool = False, **_: Any
    ) -> AskResponse:
        self.calls.append((question, top_k, mode))
        citation = Citation(
            n=1,
            chunk_id="c1",
            doc_id="d",
            title="t",
            section="s",
            quote="q",
            text="text",
            start=0,
            end=1,
            score=0.9,
        )
        return AskResponse(
            question=question,
            answer=f"answer to {question} k={top_k} mode={mode}",
            found=True,
            language="zh",
            citations=[citation],
            timings_ms={"embed": 70.0, "total": 80.0},
        )


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None)


def test_a_repeated_question_is_served_from_the_cache(settings):
    inner = CountingAnswerer()
    cache = CachedAnswerer(inner, settings)
    first = cache.answer("重庆有多少5G基站?", 5)
    second = cache.answer("重庆有多少5G基站?", 5)
    assert len(inner.calls) == 1
    assert first.timings_ms == {"embed": 70.0, "total": 80.0}  # a miss is the answerer's own
    assert HIT in second.timings_ms and "embed" not in second.timings_ms
    assert second.model_dump(exclude={"timings_ms"}) == first.model_dump(exclude={"timings_ms"})
    assert cache.stats.hits == 1 and cache.stats.misses == 1 and cache.stats.size == 1


def test_callers_cannot_change_what_the_cache_holds(settings):
    cache = CachedAnswerer(CountingAnswerer(), settings)
    first = cache.answer("问题", 5)
    first.answer = "tampered"
    first.citations[0].quote = "tampered"
    first.citations.append(first.citations[0])
    second = cache.answer("问题", 5)
    second.citations.clear()
    third = cache.answer("问题", 5)
    assert third.answer.startswith("answer to 问题") and len(third.citations) == 1
    assert third.citations[0].quote == "q"


def test_width_and_script_variants_share_an_entry_and_echo_their_own_question(settings):
    inner = CountingAnswerer()
    cache = CachedAnswerer(inner, settings)
    cache.answer("重庆有多少5G基站?", 5)
    variant = cache.answer("  重慶有多少５Ｇ基站?", 5)  # traditional 慶, full-width digits
    assert len(inner.calls) == 1
    assert variant.question == "  重慶有多少５Ｇ基站?"


def test_top_k_mode_and_index_build_are_part_of_the_key(settings):
    inner = CountingAnswerer()
    cache = CachedAnswerer(inner, settings)
    cache.answer("q", 5)
    cache.answer("q", 3)
    cache.answer("q", 5, SearchMode.BM25)
    cache.answer("q", 5, SearchMode(settings.search_mode))  # the default said explicitly: same key
    assert len(inner.calls) == 3
    inner.index.manifest.build_id = "b2"  # a reload published another build
    cache.answer("q", 5)
    assert len(inner.calls) == 4


def test_least_recently_used_answers_are_dropped_first(settings):
    inner = CountingAnswerer()
    cache = CachedAnswerer(inner, settings, max_size=2)
    cache.answer("a")
    cache.answer("b")
    cache.answer("a")  # a is now the most recent
    cache.answer("c")  # evicts b
    assert cache.stats.size == 2
    cache.answer("a")
    cache.answer("b")
    assert [c[0] for c in inner.calls] == ["a", "b", "c", "b"]


def test_settings_that_change_answers_change_the_fingerprint():
    base = Settings(_env_file=None)
    same = settings_fingerprint(base)
    for speed_only in ({"port": 9999}, {"answer_cache_size": 5}, {"batch_max_wait_ms": 9.0}):
        assert settings_fingerprint(base.model_copy(update=speed_only)) == same, speed_only
    changes = [{"rrf_k": 10}, {"candidate_k": 7}, {"search_mode": SearchMode.DENSE}, {"embed_dim": 256}]
    for change in [*changes, {"embed_backend": EmbedBackend.TORCH}]:
        assert settings_fingerprint(base.model_copy(update=change)) != same, change


def test_serving_answerer_warms_up_then_caches_unless_turned_off(settings):
    inner = CountingAnswerer()
    wrapped = serving_answerer(inner, settings)
    assert isinstance(wrapped, CachedAnswerer) and len(inner.calls) == 1  # the warm-up
    plain = CountingAnswerer()
    assert serving_answerer(plain, settings.model_copy(update={"answer_cache_size": 0})) is plain


def test_a_failing_warm_up_does_not_stop_the_service(settings):
    class Failing(CountingAnswerer):
        def answer(
            self, question: str, top_k: int = 5, mode: SearchMode | None = None, debug: bool = False
        ) -> AskResponse:
            raise RuntimeError("boom")

    assert isinstance(serving_answerer(Failing(), settings), CachedAnswerer)


def test_invalid_size_is_refused(settings):
    with pytest.raises(ValueError):
        CachedAnswerer(CountingAnswerer(), settings, max_size=0)


@pytest.mark.slow
def test_cached_answers_equal_uncached_ones_on_the_gold_set(engine):
    """Every gold question: the hit equals the miss, and the miss is the answerer's own answer."""
    from qa.answer.pipeline import build_pipeline

    answerer = build_pipeline(engine)
    cache = CachedAnswerer(answerer, engine.settings)
    questions = gold_questions()
    for question in questions:
        miss = cache.answer(question, 5)
        hit = cache.answer(question, 5)
        assert HIT in hit.timings_ms and HIT not in miss.timings_ms
        assert hit.model_dump(exclude={"timings_ms"}) == miss.model_dump(exclude={"timings_ms"}), question
    assert cache.stats.hits == len(questions)
    for question in questions[:5]:  # a cached answer equals the answerer's own, computed afresh
        direct = answerer.answer(question, 5)
        assert cache.answer(question, 5).model_dump(exclude={"timings_ms"}) == direct.model_dump(
            exclude={"timings_ms"}
        )
