"""Runner, reports and export on a scripted backend (pure logic: no model, no server).

The backend here is a stand-in that answers from a small table, so the shape of the JSON,
HTML and RAGAS outputs can be checked exactly; the real engine and service are exercised
in the slow tests.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console

from qa.config import SearchMode
from qa.config_llm import AnswererName
from qa.eval.backends import QuestionRejected
from qa.eval.export import RagasSample, write_ragas
from qa.eval.gold import GoldItem
from qa.eval.html import render_html, write_html
from qa.eval.report import print_report, read_json, write_json
from qa.eval.runner import COMPARE_MODES, EvalAborted, RunSpec, run_eval, run_specs
from qa.schemas import AskResponse, Citation, Document, Hit, Section

TEXT = "标题\n\n两地直联带宽达到9540GB,建成23个千兆城市。\n\n其他内容<b>不加粗</b>。"
DOC = Document(
    doc_id="d",
    title="标题",
    source="d.txt",
    text=TEXT,
    sections=[Section(title="标题", start=0, end=len(TEXT))],
)
EVIDENCE = "两地直联带宽达到9540GB"
EV_START = TEXT.index(EVIDENCE)

GOLD = [
    GoldItem(
        id="zh-1",
        question="带宽多少?",
        language="zh",
        type="number",
        answers=["9540GB"],
        evidence=EVIDENCE,
        doc_id="d",
        section="标题",
    ),
    GoldItem(
        id="en-1",
        question="How many <gigabit> cities?",
        language="en",
        type="number",
        answers=["23个"],
        evidence="建成23个千兆城市",
        doc_id="d",
        section="标题",
    ),
    GoldItem(
        id="un-1",
        question="6G基站多少?",
        language="zh",
        type="unanswerable",
        answers=[],
        evidence="",
        doc_id="d",
        section="",
    ),
    GoldItem(
        id="rb-1",
        question="x" * 30,
        language="en",
        type="robustness",
        answers=["9540GB"],
        evidence=EVIDENCE,
        doc_id="d",
        section="标题",
    ),
]


def _hit(start: int, end: int, n: int) -> Hit:
    return Hit(
        chunk_id=f"c{n}",
        doc_id="d",
        title="标题",
        section="标题",
        text=TEXT[start:end],
        start=start,
        end=end,
        score=1.0 / (n + 1),
    )


def _citation(start: int, end: int, supporting: bool = True) -> Citation:
    return Citation(
        n=1,
        chunk_id="c0",
        doc_id="d",
        title="标题",
        section="标题",
        quote=TEXT[start:end],
        text=TEXT,
        start=start,
        end=end,
        score=1.0,
        supporting=supporting,
    )


class ScriptedBackend:
    """Answers zh-1 right, en-1 with the wrong value, refuses un-1, rejects rb-1 (422)."""

    label = "scripted"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.answerers: list[AnswererName] = []

    def search(self, question: str, top_k: int, mode: SearchMode) -> list[Hit]:
        self.calls.append(("search", question, mode.value))
        return [_hit(0, 4, 0), _hit(4, len(TEXT), 1)][:top_k]

    def ask(
        self, question: str, top_k: int, mode: SearchMode, answerer: AnswererName
    ) -> tuple[AskResponse, float]:
        self.calls.append(("ask", question, mode.value))
        self.answerers.append(answerer)
        response = self._answer(question)
        return response, {"带宽": 100.0, "Ho": 300.0}.get(question[:2], 200.0)

    def _answer(self, question: str) -> AskResponse:
        if question.startswith("x"):
            raise QuestionRejected("/ask answered 422: too odd")
        if question.startswith("6G"):
            return AskResponse(
                question=question,
                answer="报告中没有提到",
                found=False,
                language="zh",
                citations=[_citation(0, 2, supporting=False)],
            )
        wrong = question.startswith("How")
        value = "12个" if wrong else "9540GB"
        return AskResponse(
            question=question,
            answer=f"{value}。报告原文:“{EVIDENCE}”[1]",
            short_answer=value,
            found=True,
            language="zh",
            citations=[_citation(EV_START, EV_START + len(EVIDENCE))],
        )

    def document(self, doc_id: str) -> Document | None:
        return DOC if doc_id == "d" else None

    def index_id(self) -> str | None:
        return "build-1"


@pytest.fixture(scope="module")
def run():
    return run_eval(
        GOLD, ScriptedBackend(), list(COMPARE_MODES), top_k=1, gold_path="g.jsonl", progress=False
    )


def test_runner_asks_then_searches_every_question_in_every_mode():
    backend = ScriptedBackend()
    run_eval(GOLD[:2], backend, [SearchMode.BM25, SearchMode.HYBRID], progress=False)
    assert [(kind, mode) for kind, _, mode in backend.calls] == [
        ("ask", "bm25"),
        ("search", "bm25"),
        ("ask", "bm25"),
        ("search", "bm25"),
        ("ask", "hybrid"),
        ("search", "hybrid"),
        ("ask", "hybrid"),
        ("search", "hybrid"),
    ]


def test_runner_scores_the_scripted_answers(run):
    assert run.modes == ["dense", "bm25", "hybrid"] and run.questions == 4 and len(run.results) == 12
    assert run.index == "build-1" and run.backend == "scripted"
    hybrid = {r.id: r for r in run.results if r.mode == "hybrid"}
    assert hybrid["zh-1"].evidence_spans == [(EV_START, EV_START + len(EVIDENCE))]
    assert hybrid["zh-1"].failures == []
    assert hybrid["en-1"].correct is False
    assert hybrid["rb-1"].error == "/ask answered 422: too odd" and hybrid["rb-1"].found is False
    m = run.summary["hybrid"].overall
    # answerable: zh-1 right, en-1 wrong, rb-1 rejected (counts as a refusal); un-1 refused.
    assert m.answer_accuracy == pytest.approx(1 / 3)
    assert m.refusal_recall == 1.0 and m.refusal_precision == pytest.approx(1 / 2)
    assert (m.latency_p50_ms, m.latency_p95_ms) == (200.0, 290.0)  # rb-1 has no latency: it failed
    assert set(run.summary["hybrid"].by_language) == {"zh", "en"}
    assert set(run.summary["hybrid"].by_type) == {"number", "unanswerable", "robustness"}


def test_json_round_trip(run, tmp_path):
    path = tmp_path / "out" / "eval.json"
    write_json(run, path)
    assert read_json(path) == run
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data["summary"]) == {"dense", "bm25", "hybrid"}
    assert "两地直联" in path.read_text(encoding="utf-8")  # written as UTF-8, not \\u escapes


def test_console_report_has_all_tables_and_rows(run):
    buffer = io.StringIO()
    print_report(run, Console(file=buffer, width=200))
    out = buffer.getvalue()
    for header in ("Overall", "By language", "By type", "hit@5", "answer acc", "refuse F1", "p95 ms"):
        assert header in out
    assert len(re.findall(r"^\s*hybrid\s+4\s", out, re.M)) == 1
    assert "2 question(s) failed" in out  # en-1 (wrong value) and rb-1 (rejected)


def test_html_is_self_contained_with_charts_and_failures(run, tmp_path):
    page = render_html(run)
    assert page.startswith("<!doctype html>")
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    # one chart by mode, one per language, one for latency
    assert page.count("<svg") == 4
    assert page.count("<rect x=") >= 3 * 8
    # every failed (question, mode) pair is a row, and question text is escaped
    for r in run.failures():
        assert f'id="{r.id}-{r.mode}"' in page
    assert "How many &lt;gigabit&gt; cities?" in page and "<gigabit>" not in page
    assert "a refusal (the report does not say)" not in page  # un-1 was refused: not a failure
    assert "12个" in page and "23个" in page  # the answer given and the one expected
    path = tmp_path / "r.html"
    write_html(run, path)
    assert path.read_text(encoding="utf-8") == page


def test_ragas_export_writes_one_file_per_mode_with_exactly_the_sample_fields(run, tmp_path):
    paths = write_ragas(run, tmp_path / "ragas.jsonl")
    assert [p.name for p in paths] == ["ragas.dense.jsonl", "ragas.bm25.jsonl", "ragas.hybrid.jsonl"]
    rows = [json.loads(line) for line in paths[2].read_text(encoding="utf-8").splitlines()]
    assert [r["user_input"] for r in rows] == [g.question for g in GOLD]
    for row in rows:
        assert (
            set(row)
            == set(RagasSample.model_fields)
            == {"user_input", "retrieved_contexts", "response", "reference", "reference_contexts"}
        )
        assert len(row["retrieved_contexts"]) <= 1  # top_k of the run
    assert rows[0]["reference"] == EVIDENCE and rows[0]["reference_contexts"] == [EVIDENCE]
    assert rows[0]["response"].startswith("9540GB")
    assert rows[2]["reference"] == "文档中没有这个问题的答案。" and rows[2]["reference_contexts"] == []


def test_ragas_export_single_mode_uses_the_path_as_given(tmp_path):
    single = run_eval(GOLD[:1], ScriptedBackend(), [SearchMode.HYBRID], progress=False)
    assert write_ragas(single, tmp_path / "r.jsonl") == [tmp_path / "r.jsonl"]


class CrashingBackend(ScriptedBackend):
    """Crashes on the questions whose text starts with one of ``crash_on``."""

    def __init__(self, crash_on: tuple[str, ...]) -> None:
        super().__init__()
        self.crash_on = crash_on
        self.attempts = 0

    def ask(
        self, question: str, top_k: int, mode: SearchMode, answerer: AnswererName
    ) -> tuple[AskResponse, float]:
        self.attempts += 1
        if question.startswith(self.crash_on):
            raise KeyError("clause 7")
        return super().ask(question, top_k, mode, answerer)


class CachingBackend(ScriptedBackend):
    """Marks every answer after the first as served from the answer cache, in 1 ms."""

    def ask(
        self, question: str, top_k: int, mode: SearchMode, answerer: AnswererName
    ) -> tuple[AskResponse, float]:
        response, elapsed = super().ask(question, top_k, mode, answerer)
        if len(self.calls) > 1:
            response.timings_ms = {"cache_hit": 0.01, "total": 0.01}
            elapsed = 1.0
        return response, elapsed


def test_cached_answers_are_flagged_and_left_out_of_latency():
    run = run_eval(GOLD[:3], CachingBackend(), [SearchMode.HYBRID], progress=False)
    assert [r.cached for r in run.results] == [False, True, True]
    m = run.summary["hybrid"].overall
    assert (m.latency_p50_ms, m.latency_p95_ms) == (100.0, 100.0)  # only zh-1, answered afresh
    buffer = io.StringIO()
    print_report(run, Console(file=buffer, width=200))
    assert "2 answer(s) came from the service's answer cache" in buffer.getvalue()


def test_a_crash_on_one_question_is_recorded_and_the_run_goes_on():
    run = run_eval(GOLD, CrashingBackend(("带",)), [SearchMode.HYBRID], progress=False)
    crashed = {r.id: r for r in run.results}["zh-1"]
    assert crashed.error == "KeyError: 'clause 7'" and crashed.correct is False
    assert [r.id for r in run.results] == [g.id for g in GOLD]


def test_five_failures_in_a_row_stop_the_run():
    gold = [g.model_copy(update={"id": f"zh-{n}"}) for n in range(10) for g in GOLD[:1]]
    backend = CrashingBackend(("带",))
    with pytest.raises(EvalAborted, match="the last 5 questions all failed; the latest with KeyError"):
        run_eval(gold, backend, [SearchMode.HYBRID], progress=False)
    assert backend.attempts == 5  # of the 10 questions, the run stopped after the fifth


def test_each_column_asks_its_own_answerer():
    backend = ScriptedBackend()
    specs = run_specs(SearchMode.HYBRID, AnswererName.GENERATIVE, compare=True)
    run = run_eval(GOLD[:2], backend, specs, progress=False)
    assert run.modes == ["hybrid", "generative"]
    assert backend.answerers == [AnswererName.EXTRACTIVE] * 2 + [AnswererName.GENERATIVE] * 2
    assert isinstance(specs[1], RunSpec) and specs[1].mode is SearchMode.HYBRID
