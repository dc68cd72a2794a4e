"""How the generative answerer's grounding guard fared over a run, for both evaluations.

Counted from the responses' own ``answerer``, ``violations`` and ``grounded`` fields: an answer
the model wrote after a repair turn, one the guard replaced by the extractive answer, and one
delivered ungrounded (the target is none). The issue's language target is counted here too:
English questions get English answers, "an English sentence around any quoted term".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel

_PAIRS = {"“": "”", "「": "」", "『": "』", '"': '"'}
_CLOSERS = set(_PAIRS.values())
_MARKER = re.compile(r"\[\d+\]")


def strip_quoted(text: str) -> str:
    """``text`` with every quotation replaced by a space, nested ones inside it included.

    A quote of the report often holds quotes of its own (“…“十四五”期间…”), so pairs are matched
    as brackets are, not by the first closing mark. What is left unbalanced — an opening mark never
    closed, a closing mark never opened, as in the report's own “走出去“引进来” — quotes nothing
    itself; the pairs that do close are still removed."""
    stack: list[int] = []  # positions of the opening marks not yet closed
    spans: list[tuple[int, int]] = []
    for i, ch in enumerate(text):
        top = text[stack[-1]] if stack else None
        if top is not None and ch == _PAIRS[top]:
            start = stack.pop()
            spans = [s for s in spans if s[0] < start] + [(start, i + 1)]  # drops the pairs inside
        elif ch in _PAIRS:
            stack.append(i)
        elif ch in _CLOSERS and ch in (_PAIRS[text[j]] for j in stack):
            while _PAIRS[text[stack[-1]]] != ch:  # openers of other kinds inside never closed
                stack.pop()
            start = stack.pop()
            spans = [s for s in spans if s[0] < start] + [(start, i + 1)]
    for start, end in reversed(spans):
        text = text[:start] + " " + text[end:]
    return text


def is_english(text: str) -> bool:
    """An English sentence around any quoted term: outside quotes, Latin words outnumber CJK characters."""
    bare = _MARKER.sub(" ", strip_quoted(text))
    words = len(re.findall(r"[A-Za-z]{2,}", bare))
    cjk = len(re.findall(r"[\u3400-\u9fff]", bare))
    return words >= 2 and words > cjk


@dataclass(frozen=True)
class Outcome:
    """What the guard's counts need of one answer."""

    answerer: str
    violations: list[str]
    grounded: bool
    found: bool
    answer: str
    english_question: bool


class GuardSummary(BaseModel):
    repaired: int = 0
    fell_back: int = 0
    ungrounded: int = 0
    english_answers: float | None = None

    @classmethod
    def of(cls, outcomes: Iterable[Outcome]) -> GuardSummary:
        rows = list(outcomes)
        english = [is_english(o.answer) for o in rows if o.found and o.english_question]
        return cls(
            repaired=sum(o.answerer == "generative" and bool(o.violations) for o in rows),
            fell_back=sum(o.answerer == "extractive" and bool(o.violations) for o in rows),
            ungrounded=sum(not o.grounded for o in rows),
            english_answers=sum(english) / len(english) if english else None,
        )
