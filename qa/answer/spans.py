"""Answer spans that are not figures: the people and places a sentence names, with offsets.

"Who" and "where" questions are answered by a name the sentence states and the question
does not. A name is found by jieba's part-of-speech tags, merged across the dots of a
transliterated name (哈兰·艾里森, 萨蒂亚·纳德拉), so a foreign name is one span, not
three words none of which starts with a Chinese surname.
"""

from __future__ import annotations

import re

from qa.answer.terms import tagged
from qa.lang import ZH
from qa.text import word_frequency


def _tokens(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, word, flag) for each jieba word of ``text``."""
    out, pos = [], 0
    for word, flag in tagged(text):
        out.append((pos, pos + len(word), word, flag))
        pos += len(word)
    return out


_TRANSLIT = f"[{re.escape(ZH.translit_chars)}]"
_JOIN = rf"\s?[{re.escape(ZH.name_joiners)}]\s?"
_FOREIGN_NAME = re.compile(rf"(?:[A-Z]\.?{_JOIN})?{_TRANSLIT}+(?:{_JOIN}{_TRANSLIT}+)+")


def person_spans(text: str, common_word_freq: int) -> list[tuple[int, int]]:
    """Spans of person names: dot-joined transliterations, and tagged names that look like names.

    jieba's dictionary tags some common words nr (卫星, 建立健全), so a lone nr word counts
    only when it starts with a surname and is not a common word; nrfg/nrt are its
    well-known names.
    """
    spans = [m.span() for m in _FOREIGN_NAME.finditer(text)]
    for start, end, word, flag in _tokens(text):
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
