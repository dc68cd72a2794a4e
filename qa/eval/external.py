"""``qa eval --dataset``: the service on a SQuAD-format corpus it was never tuned on.

Every question is asked twice over the same index:

* **project**: the product's answerer (``InProcessBackend.open``, as ``qa eval`` uses),
  timed end to end;
* **baseline**: the naive answer a plain vector search gives — the sentence with the
  highest dense similarity among ``Retrieval.sentence_scores`` of the same
  ``HybridRetriever.retrieve`` call; it never refuses and has no short answer. Its latency
  is that retrieval call, embedding the question afresh. The same call's top 5 passages
  give hit@5 (a reference answer inside a passage's text).

With ``--answerer generative`` the project is the generative answerer and the extractive one
is asked too (column **extractive**), so the two compare in one run over one index.

Questions of held-out articles are out of corpus: the right response is a refusal.
Metrics are defined in ``qa.eval.external_metrics``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from tqdm import tqdm

from qa.config import SearchMode
from qa.config_llm import AnswererName
from qa.errors import QAError
from qa.eval.backends import InProcessBackend, _LastQueryMemo
from qa.eval.external_index import IndexInfo
from qa.eval.external_metrics import Summary, Verdict, hit_at_k, judge, mean, summarize
from qa.eval.grounding import GuardSummary, Outcome
from qa.eval.runner import MAX_ERRORS_IN_A_ROW, EvalAborted, policy_of
from qa.eval.squad import SquadDataset, SquadQuestion
from qa.schemas import AskResponse

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.embed import Embedder

HIT_DEPTH = 5


class CitedQuote(BaseModel):
    n: int
    title: str
    quote: str
    supporting: bool


class ExternalResult(BaseModel):
    """One question: what was asked and expected, both systems' answers and verdicts."""

    id: str
    question: str
    title: str = Field(description="Title of the article the question is about.")
    answerable: bool = Field(description="False when the article is held out (out of corpus).")
    answers: list[str]
    project: Verdict
    citations: list[CitedQuote] = Field(default_factory=list)
    baseline_sentence: str = ""
    baseline_title: str = ""
    baseline: Verdict
    retrieved_titles: list[str] = Field(default_factory=list)
    hit_at_5: bool | None = None
    answerer: str = "extractive"
    grounded: bool = True
    violations: list[str] = Field(default_factory=list)
    extractive: Verdict | None = Field(
        None, description="The extractive answer, when the project is generative."
    )


class ExternalRun(BaseModel):
    created_at: str
    dataset: str
    questions_from: str | None
    question_language: str
    context_language: str
    articles: int
    held_out_articles: list[str]
    answerable: int
    held_out: int
    skipped_no_answer: int
    dropped_no_translation: int
    mode: str
    top_k: int
    index: IndexInfo
    seconds: float
    hit_at_5: float | None
    project: Summary
    baseline: Summary
    answerer: str = "extractive"
    extractive: Summary | None = None
    guard: GuardSummary | None = None
    results: list[ExternalResult]
    policy: dict[str, Any] | None = None


def _forget(backend: InProcessBackend) -> None:
    if isinstance(backend.retriever.embedder, _LastQueryMemo):
        backend.retriever.embedder.forget()


def _project(
    backend: InProcessBackend,
    q: SquadQuestion,
    mode: SearchMode,
    top_k: int,
    language: str,
    answerer: AnswererName = AnswererName.EXTRACTIVE,
) -> tuple[Verdict, list[CitedQuote], AskResponse | None]:
    try:
        response, latency_ms = backend.ask(q.question, top_k, mode, answerer)
    except QAError:
        raise
    except Exception as exc:  # one question's crash is that question's failure, not the run's
        error = f"{type(exc).__name__}: {exc}"
        verdict = judge(
            found=False, answer="", short_answer=None, quotes=[], references=q.answers,
            answerable=q.answerable, default_language=language, error=error,
        )  # fmt: skip
        return verdict, [], None
    citations = [
        CitedQuote(n=c.n, title=c.title, quote=c.quote, supporting=c.supporting) for c in response.citations
    ]
    verdict = judge(
        found=response.found,
        answer=response.answer,
        short_answer=response.short_answer,
        quotes=[c.quote for c in citations if c.supporting],
        references=q.answers,
        answerable=q.answerable,
        default_language=language,
        latency_ms=latency_ms,
    )
    return verdict, citations, response


def ask_one(
    backend: InProcessBackend,
    q: SquadQuestion,
    mode: SearchMode,
    top_k: int,
    language: str,
    answerer: AnswererName = AnswererName.EXTRACTIVE,
) -> ExternalResult:
    project, citations, response = _project(backend, q, mode, top_k, language, answerer)
    extractive = None
    if answerer is AnswererName.GENERATIVE:
        extractive = _project(backend, q, mode, top_k, language)[0]
    _forget(backend)  # the baseline pays for its own embedding
    began = time.perf_counter()
    retrieval = backend.retriever.retrieve(q.question, max(top_k, HIT_DEPTH), mode)
    latency_ms = (time.perf_counter() - began) * 1000
    index = backend.retriever.index
    sentence, title = "", ""
    if retrieval.sentence_scores:
        best = max(retrieval.sentence_scores.items(), key=lambda kv: kv[1])[0]
        sentence = index.sentences[best].text
        title = index.documents[index.sentences[best].doc_id].title
    baseline = judge(
        found=True,
        answer=sentence,
        short_answer=None,
        quotes=[sentence] if sentence else [],
        references=q.answers,
        answerable=q.answerable,
        default_language=language,
        latency_ms=latency_ms,
    )
    passages = [h.text for h in retrieval.hits[:HIT_DEPTH]]
    return ExternalResult(
        id=q.id,
        question=q.question,
        title=q.title,
        answerable=q.answerable,
        answers=q.answers,
        project=project,
        citations=citations,
        baseline_sentence=sentence,
        baseline_title=title,
        baseline=baseline,
        retrieved_titles=[h.title for h in retrieval.hits[:HIT_DEPTH]],
        hit_at_5=hit_at_k(passages, q.answers, HIT_DEPTH) if q.answerable else None,
        extractive=extractive,
        **({"answerer": response.answerer, "grounded": response.grounded, "violations": response.violations}
           if response else {}),
    )  # fmt: skip


def run_external(
    dataset: SquadDataset,
    backend: InProcessBackend,
    index_info: IndexInfo,
    *,
    mode: SearchMode = SearchMode.HYBRID,
    top_k: int = 5,
    progress: bool = True,
    answerer: AnswererName = AnswererName.EXTRACTIVE,
) -> ExternalRun:
    """Ask every question of the dataset; both systems' verdicts and their summaries."""
    began = time.perf_counter()
    language = dataset.context_language
    results: list[ExternalResult] = []
    english = dataset.question_language == "en"
    for q in tqdm(dataset.questions, unit="q", desc="eval", disable=not progress, dynamic_ncols=True):
        results.append(ask_one(backend, q, mode, top_k, language, answerer))
        last = results[-MAX_ERRORS_IN_A_ROW:]
        if len(last) == MAX_ERRORS_IN_A_ROW and all(r.project.error for r in last):
            raise EvalAborted(
                f"stopped: the last {MAX_ERRORS_IN_A_ROW} questions all failed: {last[-1].project.error}"
            )
    answerable = [r.answerable for r in results]
    return ExternalRun(
        policy=policy_of(backend),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        dataset=dataset.path,
        questions_from=dataset.questions_from,
        question_language=dataset.question_language,
        context_language=dataset.context_language,
        articles=len(dataset.articles),
        held_out_articles=[a.display_title for a in dataset.articles if a.held_out],
        answerable=sum(answerable),
        held_out=len(results) - sum(answerable),
        skipped_no_answer=dataset.skipped_no_answer,
        dropped_no_translation=dataset.dropped_no_translation,
        mode=mode.value,
        top_k=top_k,
        index=index_info,
        seconds=round(time.perf_counter() - began, 2),
        hit_at_5=mean(r.hit_at_5 for r in results if r.answerable),
        project=summarize([r.project for r in results], answerable),
        baseline=summarize([r.baseline for r in results], answerable),
        results=results,
        answerer=answerer.value,
        **(
            {
                "extractive": summarize([r.extractive or r.project for r in results], answerable),
                "guard": GuardSummary.of(
                    Outcome(r.answerer, r.violations, r.grounded, r.project.found, r.project.answer, english)
                    for r in results
                ),
            }
            if answerer is AnswererName.GENERATIVE
            else {}
        ),
    )


def evaluate_dataset(
    path: Path,
    *,
    questions_from: Path | None = None,
    holdout: int = 0,
    limit: int | None = None,
    mode: SearchMode | None = None,
    top_k: int | None = None,
    cache_root: Path | None = None,
    progress: bool = True,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    answerer: AnswererName | None = None,
) -> ExternalRun:
    """Load the dataset, open (or build) its cached index and run it: what ``qa eval --dataset`` does."""
    from qa.config import get_settings
    from qa.engine import load_embedder
    from qa.eval.external_index import DEFAULT_CACHE, open_dataset_engine
    from qa.eval.squad import load_squad

    dataset = load_squad(path, questions_from=questions_from, holdout=holdout, limit=limit)
    settings = settings or get_settings()
    embedder = embedder or load_embedder(settings)
    engine, info = open_dataset_engine(dataset, settings, embedder, cache_root or DEFAULT_CACHE, progress)
    backend = InProcessBackend.open(engine)
    return run_external(
        dataset,
        backend,
        info,
        mode=SearchMode(mode or settings.search_mode),
        top_k=top_k or settings.top_k,
        progress=progress,
        answerer=answerer or settings.answerer,
    )
