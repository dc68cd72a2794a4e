"""An answer cut into claims: its sentences, each with the passages it cites.

The guard checks an answer sentence by sentence, against the passages that sentence cites, so the
cut decides what a figure is checked against. Citation markers take the forms models write:
``[1]``, ``[1][2]``, ``[1, 2]``, ``[1-3]``, ``【1】`` and full-width ``［1］``. A marker placed
right after the sentence's end punctuation ("…9540GB. [1]") belongs to that sentence, as does a
line holding only markers. A decimal point (4.22) or a list number ("1. ", "2、") does not end a
sentence; a line break does, so each item of a list is a claim of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGIT = "0-9０-９"
_MARKER = (
    rf"[\[［【]\s*[{_DIGIT}]+(?:\s*[,，、\-–~]\s*[{_DIGIT}]+)*\s*[\]］】]"  # [1] [1, 2] [1-3] 【1】 ［1］
)
MARKER = re.compile(_MARKER)
_CLOSERS = "\"'”’」』)）*"
# A sentence ends at 。！？!? or at a period that is not a decimal point, with any closing quotes,
# brackets or bold marks after it, and then any markers that follow (with or without a space).
_END = re.compile(rf"(?:[。！？!?]+|\.+(?![{_DIGIT}]))[{re.escape(_CLOSERS)}]*(?:[ \t]*{_MARKER})*")
_BULLET = re.compile(r"^\s*(?:[-*•·]\s+|\d{1,2}(?:[.)]\s+|[、)）]\s*)|[(（]\d{1,2}[)）]\s*)")
# "passage 1", "段落2", "第3段": a model naming a passage in words; its number is no figure.
_REFERENCE = re.compile(
    rf"(?i)\bpassages?\s*[{_DIGIT}]+(?:\s*(?:,|and|&)\s*[{_DIGIT}]+)*|段落\s*[{_DIGIT}]+|第\s*[{_DIGIT}]+\s*段"
)
_RANGE_LIMIT = 50  # "[1-99999]" names its ends, not a hundred thousand passages


@dataclass(frozen=True)
class Claim:
    """One answer sentence, without its markers, and the passage numbers it cites (in order, once each)."""

    text: str
    cites: list[int]


def _numbers(marker: str) -> list[int]:
    found: list[int] = []
    for part in re.split(r"\s*[,，、]\s*", marker.strip("[]［］【】 \t")):
        ends = [int(n) for n in re.split(r"\s*[\-–~]\s*", part) if n]
        if len(ends) == 2 and 0 <= ends[1] - ends[0] <= _RANGE_LIMIT:
            found.extend(range(ends[0], ends[1] + 1))
        else:
            found.extend(ends)
    return found


def cites_of(text: str) -> list[int]:
    """Every passage number the markers in ``text`` name, in order of first mention."""
    found: list[int] = []
    for match in MARKER.finditer(text):
        found.extend(n for n in _numbers(match.group()) if n not in found)
    return found


def strip_markers(text: str) -> str:
    """``text`` without citation markers (and the spaces or tabs written before them)."""
    return re.sub(rf"[ \t]*{_MARKER}", "", text)


def without_references(text: str) -> str:
    """``text`` without passages named in words ("according to passage 1"), for reading its figures."""
    return _REFERENCE.sub("", text)


def sentences(line: str) -> list[str]:
    """The sentences of one line, as written (markers and punctuation kept; joined, they are the line)."""
    pieces: list[str] = []
    start = 0
    for match in _END.finditer(line):
        pieces.append(line[start : match.end()])
        start = match.end()
    pieces.append(line[start:])
    return [p for p in pieces if p]


def split_claims(answer: str) -> list[Claim]:
    """The answer's sentences as claims, each with the passages its markers cite."""
    claims: list[Claim] = []
    for line in answer.splitlines():
        for sentence in sentences(_BULLET.sub("", line)):
            cites = cites_of(sentence)
            text = strip_markers(sentence).strip()
            if not text and claims:  # markers alone (on their own line): the sentence before cites them
                last = claims[-1]
                claims[-1] = Claim(last.text, [*last.cites, *(n for n in cites if n not in last.cites)])
            elif text:
                claims.append(Claim(text, cites))
    return claims
