"""The compose stage: the answer text, the short answer and the citations, or a refusal.

Extractive: every word of evidence is quoted from the source by offsets, so a quote is
always ``document.text[start:end]`` and a figure is never changed on the way. A refusal
names its reason (the first failed check of the best candidate) and lists the nearest
passages as not answering.
"""

from __future__ import annotations

import re

from qa.answer.checks import first_failure
from qa.answer.evidence import Candidate, best_value, trim
from qa.answer.gloss import contains
from qa.answer.lexicon import Lexicon
from qa.answer.policy import Policy
from qa.answer.question import Asked, Question
from qa.answer.spans import entity_answer, yes_or_no
from qa.index.store import Index
from qa.lang import either
from qa.prompts import Templates
from qa.schemas import AskResponse, Citation
from qa.text import normalize_query
from qa.text.values import Value, ValueKind, qualified_span

_RANGE = re.compile(r"\s?(?:至|到|~|～|-|—|–)\s?")
_YEAR_OF_DATE = re.compile(either("year_of_date"))


def year_of(text: str, value: Value) -> str | None:
    """The year a date ``value`` of ``text`` starts with, as written ("1943 年" of "1943 年 1 月 7 日")."""
    if value.kind is not ValueKind.DATE:
        return None
    year = _YEAR_OF_DATE.match(text, value.start, value.end)
    return text[value.start : year.end()] if year else None


_FROM_TO = re.compile(r"从.*(?:到|至)|from .* to|\bchange|变化|提升了多少|增长了多少", re.I)


class ExtractiveComposer:
    """Quotes the chosen sentences; gives the asked value as the short answer when there is one."""

    name = "extractive"

    def __init__(
        self, index: Index, templates: dict[str, Templates], lexicon: Lexicon, policy: Policy
    ) -> None:
        self.index = index
        self.templates = templates
        self.lexicon = lexicon
        self.policy = policy

    def compose(self, q: Question, chosen: list[Candidate]) -> AskResponse:
        t = self.templates[q.language.value]
        short = None
        citations = []
        for n, cand in enumerate(chosen, start=1):
            value = best_value(q, cand, self.lexicon) if q.asked.wants_value and n == 1 else None
            lo, hi = trim(q, cand, value, self.lexicon, self.policy.trim_chars)
            if q.asked is Asked.OPEN:
                hi = self._extend(cand)
            if value is not None:
                short = self._short_answer(q, cand, value)
                v_lo, v_hi = qualified_span(cand.sentence.text, value)
                lo, hi = min(lo, v_lo), max(hi, v_hi)
            elif n == 1 and q.asked is Asked.YES_NO:
                short = yes_or_no(q.normalized, q.language.value, cand.sentence.text)
            elif n == 1 and q.asked in (Asked.PERSON, Asked.PLACE, Asked.NAME):
                span = self._entity(q, cand)
                if span is not None:
                    short = cand.sentence.text[span[0] : span[1]]
                    lo, hi = min(lo, span[0]), max(hi, span[1])
            citations.append(self.citation(n, cand, lo, hi, supporting=True))
        quotes = t.quotes([(c.n, c.quote) for c in citations])
        answer = (
            t.answer_with_value.format(short_answer=short, quotes=quotes)
            if short
            else t.answer.format(quotes=quotes)
        )
        return AskResponse(
            question=q.text,
            answer=answer,
            short_answer=short,
            found=True,
            language=q.language.value,
            citations=citations,
        )

    def refuse(self, q: Question, candidates: list[Candidate]) -> AskResponse:
        t = self.templates[q.language.value]
        vetoed = [c.vetoed(self.policy.veto_rules) for c in candidates[:3]]
        missing = list(dict.fromkeys(m for terms in vetoed for m in terms))
        missing = [m for m in missing if all(m in terms for terms in vetoed)]
        answer = t.refusal_terms.format(terms=t.terms(missing)) if missing else t.refusal
        citations = []
        for n, cand in enumerate(candidates[: self.policy.nearest_shown], start=1):
            citations.append(self.citation(n, cand, 0, len(cand.sentence.text), supporting=False))
        if citations:
            answer = f"{answer} {t.nearest_note}" if q.language.value == "en" else answer + t.nearest_note
        failed = first_failure(candidates[0].checks) if candidates else None
        return AskResponse(
            question=q.text,
            answer=answer,
            short_answer=None,
            found=False,
            language=q.language.value,
            citations=citations,
            refusal_reason=f"{failed.name}: {failed.detail}" if failed else "no passage retrieved",
        )

    def citation(self, n: int, cand: Candidate, lo: int, hi: int, supporting: bool) -> Citation:
        sentence = cand.sentence
        chunk = self.index.chunks[self.index.chunk_pos[self._chunk_for(cand)]]
        doc = self.index.documents[sentence.doc_id]
        start, end = sentence.start + lo, sentence.start + hi
        return Citation(
            n=n,
            chunk_id=chunk.chunk_id,
            doc_id=doc.doc_id,
            title=doc.title,
            section=sentence.section,
            quote=doc.text[start:end],
            text=chunk.text,
            start=start,
            end=end,
            score=round(cand.score, 4),
            page=doc.page_at(start),
            supporting=supporting,
        )

    def _chunk_for(self, cand: Candidate) -> str:
        """The chunk that holds the whole sentence, preferring the best-ranked one."""
        ids = self.index.chunk_ids_of_sentence.get(cand.pos, [cand.sentence.chunk_id])
        s = cand.sentence
        whole = [
            c
            for c in ids
            if self.index.chunks[self.index.chunk_pos[c]].start <= s.start
            and s.end <= self.index.chunks[self.index.chunk_pos[c]].end
        ]
        return (whole or ids)[0]

    def _extend(self, cand: Candidate) -> int:
        """End offset (relative to the sentence) after following sentences of the same paragraph.

        An open question ("how did X develop?") is poorly served by a paragraph's lead
        sentence alone ("国际信息通信能力持续提升。"): the facts follow it.
        """
        doc = self.index.documents[cand.sentence.doc_id]
        end = cand.sentence.end
        last = min(cand.pos + self.policy.open_max_sentences, len(self.index.sentences))
        for pos in range(cand.pos + 1, last):
            nxt = self.index.sentences[pos]
            if end - cand.sentence.start >= self.policy.open_min_chars or nxt.doc_id != doc.doc_id:
                break
            if "\n" in doc.text[end : nxt.start]:
                break
            end = nxt.end
        return end - cand.sentence.start

    def _entity(self, q: Question, cand: Candidate) -> tuple[int, int] | None:
        """A name for who/where/what-is-it-called, near where the question's words stand."""
        text = cand.sentence.text
        folded = normalize_query(text)
        anchors = [m for t in q.soft_terms + q.entities if (m := folded.find(t)) >= 0]
        named = None
        if q.language.value == "en":  # "Who did Tesla partner with?" is not answered by 特斯拉
            asked = set(q.en_terms)

            def named(span: str) -> bool:
                return any(contains(self.lexicon.glossary.stems(span), t) for t in asked)

        return entity_answer(
            q.asked.value, text, q.normalized, anchors, self.policy.common_word_freq, q.pinyin_terms, named
        )

    def _short_answer(self, q: Question, cand: Candidate, value: Value) -> str:
        """The value as written, with its qualifiers (超38个); for "from X to Y" questions, X to Y."""
        text = cand.sentence.text
        lo, hi = qualified_span(text, value)
        year = year_of(text, value) if q.asks_year else None
        if year:  # 哪一年 / what year: the date's year, as written
            return year
        if _FROM_TO.search(q.normalized):
            same_clause = [v for v in cand.values if v.end <= value.start and value.start - v.end <= 12]
            if same_clause:
                first = same_clause[-1]
                lo = first.start - 1 if text[first.start - 1 : first.start] in "从由" else first.start
        # A range is one answer: "100米至2,800米", "3-5年".
        upper = next((v for v in cand.values if v.start > hi and _RANGE.fullmatch(text[hi : v.start])), None)
        if upper is not None:
            hi = qualified_span(text, upper)[1]
        return text[lo:hi]
