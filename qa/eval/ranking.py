"""How good can choosing the answer sentence get with the signals we have? ``python -m qa.eval.ranking``

The external targets (answer contains gold ≥ baseline + 0.10) are a question of ranking: some
candidate sentence holds the gold answer for 0.91–0.996 of the development questions, but the
pipeline's best-scored one does for only 0.75–0.81. This study measures the ceiling of *any*
linear combination of the signals the pipeline can compute, fitted as a logistic regression on
one data set and scored (top-1 sentence holds the gold answer, answerable questions, never
refusing) on the others, so that the figure is not a fit to the data it is read on.

Signals per candidate: the pipeline's own (dense similarity, word coverage, focus share, kind
of value, chunk rank, code match, missing terms), plus what it does not use today: the best
clause's similarity, the previous and next sentences' similarity, the similarity of the chunk
holding the sentence, the fused retrieval score, character-bigram overlap with the question,
length, and each signal relative to the question's best candidate. It reads the indexes cached
by ``make eval-external`` (and builds them if missing). ``--prompts`` compares instead the
encoder's query task prompts by the top-1 dense sentence over the whole corpus. scikit-learn comes with
sentence-transformers; this script is the only user of it.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import numpy as np

from qa.eval.replay import fold

SIGNALS = (
    *("dense", "soft", "focus", "kind", "rank", "code", "missing"),  # the pipeline's own
    *("clause", "prev", "next", "chunk", "fused", "bigram", "length"),  # more of the same question
    *("dense_rel", "chunk_rel", "clause_rel", "soft_rel", "bigram_rel"),  # against its best candidate
)
_KEEP = re.compile(r"[^\u4e00-\u9fff0-9A-Za-z]")


def bigrams(text: str) -> set[str]:
    text = _KEEP.sub("", text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def features(pipeline: Any, question: str, chunks: np.ndarray) -> list[dict[str, float]]:
    """Every candidate's signals for one question (the pipeline's own stages, then extras);
    ``chunks`` are the index's chunk vectors as one array."""
    index = pipeline.index
    plan = pipeline.analyse(question)
    retrieval = pipeline.retrieve(plan, 5)
    vector = plan.query.vector[0]
    fused = {h.chunk_id: h.score for h in retrieval.hits}
    asked = bigrams(question)

    def near(pos: int, doc_id: str) -> float:
        ok = 0 <= pos < len(index.sentences) and index.sentences[pos].doc_id == doc_id
        return float(index.sentence_matrix[pos] @ vector) if ok else 0.0

    rows = []
    for c in pipeline.evidence(plan, retrieval, 5):
        ids = index.chunk_ids_of_sentence.get(c.pos, [])
        rows.append(
            {
                "dense": c.dense,
                "soft": c.soft,
                "focus": c.focus,
                "kind": float(c.kind_ok),
                "rank": 1 / (1 + c.chunk_rank),
                "code": float(c.code_match),
                "missing": float(any(c.missing_by_rule.values())),
                "clause": max(c.clause_sims.values(), default=c.dense),
                "prev": near(c.pos - 1, c.sentence.doc_id),
                "next": near(c.pos + 1, c.sentence.doc_id),
                "chunk": max((float(chunks[index.chunk_pos[i]] @ vector) for i in ids), default=0.0),
                "fused": max((fused.get(i, 0.0) for i in ids), default=0.0),
                "bigram": len(asked & bigrams(c.sentence.text)) / max(1, len(asked)),
                "length": float(np.log1p(len(c.sentence.text))),
                "pipeline": c.score,
                "text": c.sentence.text,  # type: ignore[dict-item]
            }
        )
    for name in ("dense", "chunk", "clause", "soft", "bigram"):
        best = max((r[name] for r in rows), default=0.0)
        for r in rows:
            r[f"{name}_rel"] = r[name] - best
    return rows


def gather(datasets_dir: Path) -> dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """Per development set: (signals, holds gold, pipeline score) for each answerable question."""
    from qa.answer.pipeline import build_pipeline
    from qa.config import get_settings
    from qa.engine import load_embedder
    from qa.eval.calibrate import development_engines
    from qa.index.store import _as_matrix

    settings = get_settings()
    embedder = load_embedder(settings)
    sets: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for name, dataset, engine in development_engines(datasets_dir, settings, embedder):
        pipeline = build_pipeline(engine)
        chunks = _as_matrix(engine.index.chunk_vectors)  # once per index, not per question
        sets[name] = []
        for q in dataset.answerable:
            rows = features(pipeline, q.question, chunks)
            if not rows:
                continue
            wanted = [fold(a) for a in q.answers]
            holds = np.array([any(a in fold(str(r["text"])) for a in wanted) for r in rows])
            signals = np.array([[r[s] for s in SIGNALS] for r in rows], dtype=float)
            sets[name].append((signals, holds, np.array([r["pipeline"] for r in rows])))
        print(f"{name}: {len(sets[name])} questions", flush=True)
    return sets


PROMPTS = {  # EmbeddingGemma's query task prompts (its model card); the product asks with "search result"
    "search result": "task: search result | query: ",
    "question answering": "task: question answering | query: ",
    "fact checking": "task: fact checking | query: ",
}


def prompt_study(datasets_dir: Path) -> None:
    """Top-1 sentence by dense similarity over the whole corpus, per query task prompt."""
    from qa.config import get_settings
    from qa.embed import make_embedder
    from qa.eval.calibrate import development_engines

    settings = get_settings()
    embedder = make_embedder(settings.embed_model, settings.embed_batch_size, backend="torch")
    model = embedder._model  # type: ignore[attr-defined]
    found: dict[str, list[float]] = {p: [] for p in PROMPTS}
    names = []
    for name, dataset, engine in development_engines(datasets_dir, settings, embedder):
        names.append(name)
        index = engine.index
        texts = [fold(s.text) for s in index.sentences]
        for prompt_name, prompt in PROMPTS.items():
            vectors = model.encode(
                [prompt + q.question for q in dataset.answerable], normalize_embeddings=True
            )
            best = (vectors @ index.sentence_matrix.T).argmax(1)
            pairs = zip(dataset.answerable, best, strict=True)
            holds = [any(fold(a) in texts[b] for a in q.answers) for q, b in pairs]
            found[prompt_name].append(float(np.mean(holds)))
    print(f"{'query prompt':34}" + "".join(f"{name:>10}" for name in names))
    for name, shares in found.items():
        print(f"{name:34}" + "".join(f"{x:10.3f}" for x in shares))


def top1(cases: list[tuple[np.ndarray, np.ndarray, np.ndarray]], weights: np.ndarray | None) -> float:
    """Share of questions whose best candidate holds the answer (``weights`` None: the pipeline's score)."""
    hits = [h[int(np.argmax(x @ weights if weights is not None else s))] for x, h, s in cases]
    return float(np.mean(hits))


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--prompts", action="store_true", help="Compare the encoder's query task prompts.")
    args = parser.parse_args()
    if args.prompts:
        prompt_study(args.datasets)
        return
    sets = gather(args.datasets)
    names = list(sets)
    print("top-1 sentence holds the gold answer (answerable questions, never refusing)")
    print(f"{'ranker':34}" + "".join(f"{n:>10}" for n in names))
    print(
        f"{'oracle (some candidate holds it)':34}"
        + "".join(f"{np.mean([h.any() for _, h, _ in sets[n]]):10.3f}" for n in names)
    )
    print(
        f"{'dense similarity only':34}"
        + "".join(f"{top1(sets[n], np.eye(len(SIGNALS))[0]):10.3f}" for n in names)
    )
    print(
        f"{'the pipeline (qa/answer/policy.py)':34}" + "".join(f"{top1(sets[n], None):10.3f}" for n in names)
    )
    for train in names:
        x = np.vstack([c[0] for c in sets[train]])
        y = np.concatenate([c[1] for c in sets[train]])
        weights = LogisticRegression(C=1.0, max_iter=5000).fit(x, y).coef_[0]
        label = f"linear, all signals, fit on {train}"
        print(f"{label:34}" + "".join(f"{top1(sets[n], weights):10.3f}" for n in names))


if __name__ == "__main__":
    main()
