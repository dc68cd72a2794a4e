"""Evidence: score candidate sentences, check support, trim to clauses, pick the value.

A sentence is good evidence when it is close to the question in meaning (dense
similarity), shares its words (soft-term coverage), names everything specific the
question names (hard terms: codes like 6G, years, places) and holds the kind of value
asked for. The last two are pass/fail checks: they decide between answering and
refusing, which similarity alone cannot (unanswerable near-misses score as high as
answerable questions on this model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from qa.answer.question import Asked, Question
from qa.answer.values import Value, ValueKind, find_values, is_end_state
from qa.schemas import Document, Sentence
from qa.text import normalize_query

W_SOFT = 0.30
W_KIND = 0.10
W_RANK = 0.05
PENALTY_HARD = 0.30
PENALTY_KIND = 0.15

_CLAUSE_END = re.compile(r"[,,;;::。!?!?]")
_STRICT_UNITS = ("元", "倍", "GB", "%")
_COUNT_UNITS = ("个", "家", "座", "条", "项", "类", "户", "次", "台", "套", "所", "件", "处", "名", "位")


@dataclass
class Candidate:
    pos: int
    sentence: Sentence
    dense: float
    chunk_rank: int
    soft: float = 0.0
    missing: list[str] = field(default_factory=list)
    values: list[Value] = field(default_factory=list)
    score: float = 0.0

    @property
    def has_value(self) -> bool:
        return bool(self.values)


@lru_cache(maxsize=4096)
def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text)).lower()


def context_of(doc: Document, sentence: Sentence) -> str:
    """The sentence with what names its subject: the sentence before it and its paragraph's first."""
    para_start = doc.text.rfind("\n\n", 0, sentence.start)
    para_start = 0 if para_start < 0 else para_start + 2
    head = doc.text[para_start : sentence.start]
    first = re.split(r"(?<=[。!?!?])", head, maxsplit=1)[0] if head else ""
    previous = re.split(r"(?<=[。!?!?;;])", head.rstrip())
    before = previous[-2] if len(previous) >= 2 and not previous[-1] else (previous[-1] if previous else "")
    return f"{first}\n{before}\n{sentence.text}"


class Lexicon:
    """What the corpus says at all: decides whether a missing term is a paraphrase or a gap."""

    def __init__(self, texts: list[str]) -> None:
        self.text = normalize_query("\n".join(texts)).lower()
        self.spelled = _pinyin(self.text)

    def knows(self, term: str) -> bool:
        return term.lower() in self.text

    def knows_pinyin(self, name: str) -> bool:
        return name in self.spelled


def missing_terms(question: Question, context: str, doc: Document, lexicon: Lexicon) -> list[str]:
    """The question's specific terms that the evidence lacks (the document's title counts)."""
    norm = normalize_query(context + "\n" + doc.title).lower()
    missing = [t for t in question.hard_terms if t.lower() not in norm]
    for term in question.entities:
        required = lexicon.knows(term) or term in question.common_places
        if required and term.lower() not in norm:
            missing.append(term)
    if question.pinyin_terms:
        spelled = _pinyin(norm)
        missing += [n for n in question.pinyin_terms if lexicon.knows_pinyin(n) and n not in spelled]
    return missing


def soft_coverage(question: Question, text: str) -> float:
    if not question.soft_terms:
        return 0.0
    norm = normalize_query(text)
    hits = 0.0
    for term in question.soft_terms:
        if term in norm:
            hits += 1
        elif len(term) >= 2 and any(term[i : i + 2] in norm for i in range(len(term) - 1)):
            hits += 0.5
    return hits / len(question.soft_terms)


def matching_values(question: Question, values: list[Value]) -> list[Value]:
    """Values of the kind (and unit) the question asks for."""
    if question.asked is Asked.PERCENT:
        found = [v for v in values if v.kind is ValueKind.PERCENT]
    elif question.asked is Asked.DATE:
        found = [v for v in values if v.kind is ValueKind.DATE]
    elif question.asked is Asked.QUANTITY:
        found = [v for v in values if v.kind in (ValueKind.QUANTITY, ValueKind.PERCENT)]
    else:
        return []
    if question.unit:
        found = [v for v in found if _unit_fits(question.unit, v)]
    return found


def _unit_fits(asked: str, value: Value) -> bool:
    unit = value.unit.strip()
    if asked in _STRICT_UNITS:
        return unit.upper().endswith(asked.upper())
    if asked in _COUNT_UNITS:
        return unit == "" or unit.endswith(asked) or unit in _COUNT_UNITS
    return unit == "" or unit.endswith(asked)


def score_candidate(question: Question, cand: Candidate, doc: Document, lexicon: Lexicon) -> None:
    text = cand.sentence.text
    cand.soft = soft_coverage(question, text + cand.sentence.section)
    cand.missing = missing_terms(question, context_of(doc, cand.sentence), doc, lexicon)
    cand.values = matching_values(question, find_values(text))
    kind_ok = cand.has_value or not question.asked.wants_value
    cand.score = (
        cand.dense
        + W_SOFT * cand.soft
        + W_KIND * (1.0 if kind_ok and question.asked.wants_value else 0.0)
        + W_RANK / (1 + cand.chunk_rank)
        - (PENALTY_HARD if cand.missing else 0.0)
        - (0.0 if kind_ok else PENALTY_KIND)
    )


def best_value(question: Question, cand: Candidate) -> Value | None:
    """The value to give as the short answer: in the clause sharing most words with the question."""
    if not cand.values:
        return None
    text = cand.sentence.text

    def rank(value: Value) -> tuple[float, int, int]:
        lo, hi = clause_bounds(text, value.start)
        overlap = soft_coverage(question, text[lo:hi])
        return (overlap, int(is_end_state(text, value)), -value.start)

    return max(cand.values, key=rank)


def clause_bounds(text: str, offset: int) -> tuple[int, int]:
    """The clause of ``text`` around ``offset``: between clause marks, the end mark kept out."""
    lo = 0
    for match in _CLAUSE_END.finditer(text, 0, offset):
        lo = match.end()
    match = _CLAUSE_END.search(text, offset)
    hi = match.start() if match else len(text)
    return lo, hi


def trim(question: Question, cand: Candidate, value: Value | None, max_chars: int = 60) -> tuple[int, int]:
    """Relative (start, end) of the quote inside the sentence.

    Short sentences are quoted whole: they read well and keep their subject. Long ones
    are cut to the value's clause, with the clause before it when the value's own clause
    is too short to say what the value is of.
    """
    text = cand.sentence.text
    end = len(text.rstrip("。;;,,"))
    if len(text) <= max_chars or value is None:
        return 0, end
    lo, hi = clause_bounds(text, value.start)
    if hi - lo < 18 or soft_coverage(question, text[lo:hi]) == 0:
        lo = clause_bounds(text, max(0, lo - 2))[0] if lo > 0 else lo
    return lo, hi
