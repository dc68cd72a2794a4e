"""Answer spans that are not figures: the people and places a sentence names, with offsets.

"Who" and "where" questions are answered by a name the sentence states and the question
does not. A name is found by jieba's part-of-speech tags, merged across the dots of a
transliterated name (哈兰·艾里森, 萨蒂亚·纳德拉), so a foreign name is one span, not
three words none of which starts with a Chinese surname.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from qa.answer.terms import tagged
from qa.lang import TABLES, ZH, alternation
from qa.text import detect_language, word_frequency


def _tokens(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, word, flag) for each jieba word of ``text``."""
    out, pos = [], 0
    for word, flag in tagged(text):
        out.append((pos, pos + len(word), word, flag))
        pos += len(word)
    return out


def _translit(word: str) -> bool:
    return bool(word) and all(c in ZH.translit_chars for c in word)


def _dot_names(tokens: list[tuple[int, int, str, str]]) -> list[tuple[int, int]]:
    """Names whose parts jieba cut around a dot (拉津德 · 帕乔 里): the words on both sides of each
    dot, widened over neighbouring words spelled with transliteration characters (古列 尔莫)."""
    spans = []
    i = 0
    while i < len(tokens):
        j = i
        while (
            j + 2 < len(tokens) and tokens[j + 1][2].strip() in ZH.name_joiners and tokens[j + 1][2].strip()
        ):
            if not (_cjk(tokens[j][2]) or tokens[j][2].isalpha()) or not _cjk(tokens[j + 2][2]):
                break
            j += 2
        if j == i:
            i += 1
            continue
        first, last = i, j
        while first > 0 and _translit(tokens[first - 1][2]) and len(tokens[first - 1][2]) <= 3:
            first -= 1
        while last + 1 < len(tokens) and _translit(tokens[last + 1][2]) and len(tokens[last + 1][2]) <= 2:
            last += 1
        spans.append((tokens[first][0], tokens[last][1]))
        i = last + 1
    return spans


def _is_joiner(word: str) -> bool:
    return bool(word.strip()) and word.strip() in ZH.name_joiners


def _cjk(word: str) -> bool:
    return bool(word) and all("\u3400" <= c <= "\u9fff" for c in word)


def person_spans(text: str, common_word_freq: int) -> list[tuple[int, int]]:
    """Spans of person names: dot-joined transliterations, and tagged names that look like names.

    jieba's dictionary tags some common words nr (卫星, 建立健全), so a lone nr word counts
    only when it starts with a surname and is not a common word; nrfg/nrt are its
    well-known names.
    """
    tokens = _tokens(text)
    spans = _dot_names(tokens)
    for start, end, word, flag in tokens:
        if any(s < end and start < e for s, e in spans):
            continue
        if 2 <= len(word) <= 4 and (
            flag in ("nrfg", "nrt") or (flag == "nr" and _looks_like_name(word, common_word_freq))
        ):
            spans.append((start, end))
    return sorted(spans)


def place_spans(text: str, named: str) -> list[tuple[int, int]]:
    """Places the sentence names that ``named`` (the question) does not already name."""
    return [
        (start, end)
        for start, end, word, flag in _tokens(text)
        if flag == "ns" and word not in named and word.rstrip("市省县区") not in named
    ]


def _looks_like_name(word: str, common_word_freq: int) -> bool:
    """A surname and a given name that is not a common word (高水平 is 高 + 水平, not a name)."""
    given = word[1:]
    return word[0] in ZH.surnames and not (len(given) >= 2 and word_frequency(given) >= common_word_freq)


_STOP = '，,。；;（(”"》」'
_NAMED = re.compile(
    rf"(?:{alternation(ZH.naming_verbs)})\s?[“\"《「]?"
    rf"(?P<name>[^{_STOP}、\s][^{_STOP}]{{0,24}}?)[”\"》」]?\s?(?=[，,。；;（(]|$)"
)


def named_spans(text: str) -> list[tuple[int, int]]:
    """What a naming verb introduces ("名为 Abilene", "被命名为布鲁黑文"), up to the clause end."""
    spans = []
    for m in _NAMED.finditer(text):
        start, end = m.span("name")
        end -= len(text[start:end]) - len(text[start:end].rstrip())
        spans.append((start, end))
    return spans


def nearest(spans: list[tuple[int, int]], anchors: list[int]) -> tuple[int, int] | None:
    """The span closest to any anchor (where the question's words stand in the sentence)."""
    if not spans:
        return None
    if not anchors:
        return spans[0]
    return min(spans, key=lambda sp: min(min(abs(sp[0] - a), abs(sp[1] - a)) for a in anchors))


def entity_answer(
    kind: str,
    text: str,
    question: str,
    anchors: list[int],
    common_word_freq: int,
    pinyin_named: list[str] | None = None,
    named: Callable[[str], bool] | None = None,
) -> tuple[int, int] | None:
    """The span answering a who/where/what-is-it-called question: a name the question does not state,
    nearest the question's own words in the sentence."""
    if kind == "place":
        # An English question names Chinese places in pinyin (Chongqing): those are not answers.
        spans = [
            (a, b)
            for a, b in place_spans(text, question)
            if _spelled(text[a:b]) not in set(pinyin_named or []) and text[a:b] not in ZH.generic_places
        ]
        return nearest(spans, anchors) if len({text[a:b] for a, b in spans}) == 1 else None
    if kind == "person":
        spans = person_spans(text, common_word_freq)
    elif kind == "name":
        spans = named_spans(text)
    else:
        return None
    spelled = set(pinyin_named or [])
    spans = [
        (a, b)
        for a, b in spans
        if text[a:b].strip()
        and text[a:b] not in question
        and _spelled(text[a:b]) not in spelled
        and not (named and named(text[a:b]))
    ]
    return nearest(spans, anchors)


def negated(text: str, language: str) -> bool:
    """Whether ``text`` states a negation, by whole words of the language table (不断 is not 不)."""
    table = TABLES[language]
    if language == "en":
        words = re.findall(r"[a-z]+(?:'t)?|n't", text.lower())
        return any(w in table.negations or w.endswith("n't") for w in words)
    return any(word in table.negations for word, _ in tagged(text))


def yes_or_no(question: str, question_language: str, evidence: str) -> str:
    """是/否 (Yes/No): yes when the evidence states what is asked, no when exactly one of the
    question and the evidence is negated ("都通5G了吗" against "未实现…")."""
    table = TABLES[question_language]
    flipped = negated(question, question_language) != negated(evidence, detect_language(evidence).value)
    return table.no if flipped else table.yes


def _spelled(word: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word.rstrip("市省县区"))).lower()
