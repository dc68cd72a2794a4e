"""RAGAS-style samples, so a run can go into common RAG evaluation tools without glue.

One JSON object per line with exactly the single-turn sample fields RAGAS reads:
``user_input`` (the question), ``retrieved_contexts`` (texts of the top_k retrieved
passages), ``response`` (the answer as returned), ``reference`` (the gold evidence passage,
a full sentence that states every accepted answer; for unanswerable questions a refusal)
and ``reference_contexts`` (the evidence, empty when unanswerable). Lines follow the order
of the gold file; with several modes each mode gets its own file (``name.<mode>.jsonl``),
because a RAGAS dataset is one system's answers. No other keys are written, since some
loaders reject unknown fields.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from qa.eval.metrics import QuestionResult
from qa.eval.runner import EvalRun

REFUSAL_REFERENCE = {
    "zh": "文档中没有这个问题的答案。",
    "en": "The documents do not say.",
}


class RagasSample(BaseModel):
    user_input: str
    retrieved_contexts: list[str]
    response: str
    reference: str
    reference_contexts: list[str]


def to_sample(result: QuestionResult, top_k: int) -> RagasSample:
    return RagasSample(
        user_input=result.question,
        retrieved_contexts=[p.text for p in result.retrieved[:top_k]],
        response=result.answer,
        reference=result.evidence if result.answerable else REFUSAL_REFERENCE.get(result.language, ""),
        reference_contexts=[result.evidence] if result.answerable else [],
    )


def samples(run: EvalRun, mode: str) -> list[RagasSample]:
    return [to_sample(r, run.top_k) for r in run.results if r.mode == mode]


def export_paths(run: EvalRun, path: Path) -> dict[str, Path]:
    """The file each mode goes to: ``path`` itself for one mode, ``stem.<mode>.jsonl`` for several."""
    if len(run.modes) == 1:
        return {run.modes[0]: path}
    return {mode: path.with_name(f"{path.stem}.{mode}{path.suffix or '.jsonl'}") for mode in run.modes}


def write_ragas(run: EvalRun, path: Path) -> list[Path]:
    written = []
    for mode, target in export_paths(run, path).items():
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = [s.model_dump_json() for s in samples(run, mode)]
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(target)
    return written
