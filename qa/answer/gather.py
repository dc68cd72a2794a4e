"""The evidence stage: candidate sentences from the retrieved passages, scored and checked.

Candidates are the sentences of the top passages plus the best sentences by dense
similarity anywhere (a figure's sentence can sit in a chunk that ranked low). Each is
scored by ``qa.answer.evidence`` and judged by the named checks of ``qa.answer.checks``;
the best one whose checks all pass is chosen, with its neighbours for lists and open
questions.
"""

from __future__ import annotations

import numpy as np

from qa.answer.checks import check_subject, run_checks
from qa.answer.evidence import Candidate, score_candidate
from qa.answer.lexicon import Lexicon
from qa.answer.policy import Policy
from qa.answer.question import Asked, Question
from qa.index.store import Index
from qa.retrieve import Retrieval

BEST_SENTENCES = 10


class Gatherer:
    """Builds, scores and checks candidate sentences over one loaded index."""

    def __init__(self, index: Index, lexicon: Lexicon, policy: Policy) -> None:
        self.index = index
        self.lexicon = lexicon
        self.policy = policy

    def candidates(self, q: Question, retrieval: Retrieval, top_k: int) -> list[Candidate]:
        """Every candidate, best score first, with its checks run."""
        index = self.index
        chunk_rank = {hit.chunk_id: rank for rank, hit in enumerate(retrieval.hits)}
        positions: set[int] = set()
        for hit in retrieval.hits[:top_k]:
            positions.update(index.sentences_by_chunk.get(hit.chunk_id, []))
        best = sorted(retrieval.sentence_scores.items(), key=lambda kv: -kv[1])[:BEST_SENTENCES]
        positions.update(pos for pos, _ in best)
        if q.asks_publication:
            positions.update(self._publication_sentences({h.doc_id for h in retrieval.hits[:top_k]}))
        order = sorted(positions)
        vector = retrieval.query_vector
        sims = index.sentence_matrix[order] @ vector[0] if vector is not None else np.zeros(len(order))
        bar = self.policy.support_bar(q.language.value, q.asked.wants_figure)
        found = []
        for pos, sim in zip(order, sims, strict=True):
            sentence = index.sentences[pos]
            ranks = [chunk_rank.get(c, len(chunk_rank)) for c in index.chunk_ids_of_sentence.get(pos, [])]
            cand = Candidate(pos, sentence, float(sim), min(ranks, default=len(chunk_rank)))
            cand.clause_sims = self._clause_sims(pos, vector)
            score_candidate(q, cand, index.documents[sentence.doc_id], self.lexicon, self.policy)
            cand.checks = run_checks(q, cand, bar, self.policy.veto_rules)
            found.append(cand)
        closest = max((c.dense for c in found), default=0.0)
        subject = check_subject(q, closest, self.policy.subject_bar(q.language.value))
        for cand in found:
            cand.checks.insert(0, subject)
        return sorted(found, key=lambda c: -c.score)

    def choose(self, q: Question, candidates: list[Candidate]) -> list[Candidate]:
        """The best supported candidate; for lists and open questions, close neighbours too."""
        supported = [c for c in candidates if c.supported]
        if not supported:
            return []
        best = supported[0]
        chosen = [best]
        if q.asked in (Asked.LIST, Asked.OPEN):
            for cand in supported[1:3]:
                if (
                    cand.score >= self.policy.extra_sentence_ratio * best.score
                    and cand.sentence.doc_id == best.sentence.doc_id
                    and abs(cand.pos - best.pos) <= 2
                ):
                    chosen.append(cand)
        return sorted(chosen, key=lambda c: c.pos)

    def _clause_sims(self, pos: int, query_vector: np.ndarray | None) -> dict[tuple[int, int], float]:
        index = self.index
        ids = index.clauses_of_sentence.get(pos, [])
        if not ids or query_vector is None or index.clause_vectors is None:
            return {}
        sims = index.clause_matrix[ids] @ query_vector[0]
        return {
            (index.clauses[i].start, index.clauses[i].end): float(s) for i, s in zip(ids, sims, strict=True)
        }

    def _publication_sentences(self, doc_ids: set[str]) -> list[int]:
        """Sentences that state a document's publication date (asked for with "when published")."""
        found = []
        for pos, sentence in enumerate(self.index.sentences):
            published = self.index.documents[sentence.doc_id].published
            if sentence.doc_id in doc_ids and published and published in sentence.text:
                found.append(pos)
        return found
