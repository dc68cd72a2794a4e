"""Words: what the corpus says, how rare a word is, and how much of a question a text covers.

Chinese questions share words with the report, so coverage is counted on jieba words and
their two-character parts (IDF-weighted: "携号转网" says more than "数量"). English
questions are matched through dictionary glosses (qa.answer.gloss), which the Lexicon
holds too.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

from qa.answer.gloss import Glossary, Memo
from qa.answer.question import Question
from qa.text import normalize_query


@lru_cache(maxsize=4096)
def pinyin_of(text: str) -> str:
    """Pinyin of each jieba word, "|"-separated, so names match whole words only.

    Without the separators, "主城都市区" would spell "...chengdu..." and pass for 成都.
    """
    from pypinyin import lazy_pinyin

    from qa.text import _jieba

    words = [w for w in _jieba().lcut_for_search(text) if w.strip()]
    spelled = ["".join(lazy_pinyin(w)).lower() for w in words]
    pairs = [a + b for a, b in itertools.pairwise(spelled)]
    return "|" + "|".join(spelled) + "|" + "|".join(pairs) + "|"


class Lexicon:
    """What the corpus says at all, and how rare each word is in it.

    A question term the corpus never uses may be a paraphrase ("许可" for "持证"), so it
    cannot by itself refuse; one the corpus uses elsewhere but the evidence lacks
    (成都 in a sentence about Chongqing) marks the evidence as answering another question.
    """

    def __init__(self, sentences: list[str]) -> None:
        self.df: Memo[str, int] = Memo(self._df, 8192)  # per lexicon: freed with it on reload
        self.sentences = [normalize_query(s).lower() for s in sentences]
        self.text = "\n".join(self.sentences)
        self.spelled = pinyin_of.__wrapped__(self.text)  # not cached: a reload must not keep old corpora
        self.glossary = Glossary(sentences)

    def subject_words(self, words: list[str], share: float) -> frozenset[str]:
        """The words of ``words`` in more than ``share`` of the corpus's sentences: what the corpus
        is about as a whole (its place, its field), so they single out no passage."""
        limit = share * len(self.sentences)
        return frozenset(w for w in words if self.df(w) > limit)

    def knows(self, term: str) -> bool:
        return term.lower() in self.text

    def knows_pinyin(self, name: str) -> bool:
        return f"|{name}|" in self.spelled

    def _df(self, term: str) -> int:
        """How many sentences of the corpus use ``term``."""
        term = term.lower()
        return sum(1 for s in self.sentences if term in s)

    def idf(self, term: str) -> float:
        return math.log((len(self.sentences) + 1) / (self.df(term) + 1)) + 1.0


def soft_coverage(question: Question, text: str, lexicon: Lexicon) -> float:
    """IDF-weighted share of the question's content words found in ``text`` (bigrams count half)."""
    if not question.soft_terms:
        return 0.0
    norm = normalize_query(text)
    got = total = 0.0
    for term in question.soft_terms:
        weight = lexicon.idf(term)
        total += weight
        if term in norm:
            got += weight
        elif any(term[i : i + 2] in norm for i in range(len(term) - 1)):
            got += weight / 2
    return got / total if total else 0.0


def focus_coverage(question: Question, text: str) -> float:
    """Share of the focus terms (what is measured) found in ``text``; 1.0 when there are none."""
    if not question.focus_terms:
        return 1.0
    norm = normalize_query(text)
    got = 0.0
    for term in question.focus_terms:
        if term in norm:
            got += 1
        elif any(term[i : i + 2] in norm for i in range(len(term) - 1)):
            got += 0.5
    return got / len(question.focus_terms)


def has_part(term: str, text: str) -> bool:
    """The term, or one of its two-character parts (用户数 ~ 用户), in ``text``."""
    norm = normalize_query(text)  # memoized in qa.text
    return term in norm or any(term[i : i + 2] in norm for i in range(len(term) - 1))
