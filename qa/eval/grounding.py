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

_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|「[^」]*」|『[^』]*』|\[\d+\]")


def is_english(text: str) -> bool:
    """An English sentence around any quoted term: outside quotes, Latin words outnumber CJK characters."""
    bare = _QUOTED.sub(" ", text)
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
