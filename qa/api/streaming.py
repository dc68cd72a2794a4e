"""Cutting an answer into pieces for streaming.

The extractive answerer computes the whole answer at once, so streaming is honest about
it: nothing is sent until the answer exists, then the citations go first and the text
follows in clause-sized pieces. Pieces end after punctuation or after a ``[n]`` marker and
never split a marker, so a client that renders markers as it goes never sees half of one.
"""

from __future__ import annotations

import re

from qa.text import CLAUSE_END

_MARKER = re.compile(r"\[\d+\]")
_CLAUSE_END = frozenset(CLAUSE_END + "、")
MAX_PIECE_CHARS = 32
_TOKEN = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9]+|[^\sA-Za-z0-9\u3400-\u9fff]")


def _marker_next(text: str, i: int) -> bool:
    """A marker starts at ``i`` (or right after one space, as in English answers)."""
    return bool(_MARKER.match(text, i + 1 if text[i : i + 1] == " " else i))


def split_answer(text: str, max_chars: int = MAX_PIECE_CHARS) -> list[str]:
    """Clause-sized pieces whose concatenation is ``text``; no piece cuts a ``[n]`` marker,
    and a marker stays with the quote before it."""
    pieces: list[str] = []
    start = i = 0
    while i < len(text):
        marker = _MARKER.match(text, i)
        if marker:
            i = marker.end()
            cut = True
        else:
            cut = text[i] in _CLAUSE_END or i + 1 - start >= max_chars
            i += 1
        if cut and not _marker_next(text, i):
            pieces.append(text[start:i])
            start = i
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def count_tokens(text: str) -> int:
    """A tokenizer-free count for OpenAI's ``usage``: CJK characters, words and symbols."""
    return len(_TOKEN.findall(text))
