"""Figures: which of a sentence's values answers the question.

A sentence often states several figures ("接入二级节点共55,服务西部10省,累计标识注册量超460亿个,…").
The one that answers is of the kind asked (a percentage, an amount in 元, a count), not a
rate when a total is asked, and sits in a clause that names what the question counts.
"""

from __future__ import annotations

import re

from qa.answer.gloss import contains
from qa.answer.lexicon import Lexicon, has_part
from qa.answer.question import COUNT_FAMILY, Asked, Question
from qa.lang import ZH
from qa.text import CLAUSE_MARK
from qa.text.values import Value, ValueKind

_STRICT_UNITS = ("元", "倍", "GB", "%")


# A value is a rate when its clause says so before it ("每万人拥有…38个", "年均增长7.6%").
_RATE_MARK = re.compile(ZH.rate_asked)


def matching_values(
    question: Question, text: str, values: list[Value], lexicon: Lexicon | None = None
) -> list[Value]:
    """Values of the kind, unit and (rate or total) the question asks for, of the thing counted."""
    if question.asked is Asked.PERCENT:
        found = [v for v in values if v.kind is ValueKind.PERCENT]
    elif question.asked is Asked.DATE:
        found = [v for v in values if v.kind is ValueKind.DATE]
    elif question.asked is Asked.QUANTITY:
        # A count ("用户有多少") is not answered by a share (9%), unless a rate is asked.
        kinds = (ValueKind.QUANTITY, ValueKind.PERCENT) if question.asks_rate else (ValueKind.QUANTITY,)
        found = [v for v in values if v.kind in kinds]
    else:
        return []
    if question.asks_magnitude:  # how big, not how many: a count is no answer
        counts = {*ZH.count_measures, *ZH.counted_nouns}
        found = [v for v in found if v.unit.strip().lstrip("余多") not in counts]
    if question.unit:
        found = [v for v in found if _unit_fits(question.unit, v)]
    elif question.unit_family:
        found = [v for v in found if _in_family(question.unit_family, v)]
    if not question.asks_rate and question.asked is not Asked.DATE:
        found = [v for v in found if not _is_rate(text, v)]
    if lexicon is not None and question.asked is not Asked.DATE:
        found = [v for v in found if counts_asked_thing(question, text, v, lexicon)]
    elif lexicon is not None and question.language.value == "en" and not question.asks_publication:
        found = [v for v in found if _dates_asked_thing(question, text, v, lexicon)]
    return found


def _dates_asked_thing(question: Question, text: str, value: Value, lexicon: Lexicon) -> bool:
    """A date answers "when did the villages get 5G" only in a clause about villages."""
    terms = [t for t in question.en_terms if lexicon.glossary.df(t) > 0]
    stems = lexicon.glossary.stems(value_window(text, value))
    return not terms or any(contains(stems, t) for t in terms)


def counts_asked_thing(question: Question, text: str, value: Value, lexicon: Lexicon) -> bool:
    """Whether the words around the value name what the question counts.

    "多少个5G基站" is not answered by "端口数量超68万个", nor "how many subscribers" by
    "53个城市": the figure must be of the thing asked about. Only terms the corpus uses
    are required (a word it never uses may be a paraphrase or a typo).
    """
    window = value_window(text, value)
    if question.language.value == "en":
        glossary = lexicon.glossary
        terms = [t for t in question.counted if glossary.df(t) > 0]
        return not terms or any(contains(glossary.stems(window), t) for t in terms)
    if question.unit in ZH.time_units:
        return True  # "统计了几年": what is counted is time itself
    terms = [t for t in question.focus_terms if lexicon.knows(t)]
    # One of them next to the figure (基站 vs "端口数量超68万个"); the question's other
    # nouns are often generic (规模, 数量) or name the owner stated earlier in the sentence.
    unit = value.unit.strip().lstrip("余多")
    return (
        not terms
        or any(has_part(t, window) for t in terms)
        or (
            bool(unit) and unit not in ZH.count_measures and any(t.startswith(unit) for t in question.counted)
        )
    )


def value_window(text: str, value: Value, min_lead: int = 8) -> str:
    """The value's clause, with the clause before when this one barely precedes the value ("增长92倍")."""
    lo, hi = clause_bounds(text, value.start)
    if value.start - lo < min_lead and lo > 0:
        lo = clause_bounds(text, lo - 1)[0]
    return text[lo:hi]


def _unit_fits(asked: str, value: Value) -> bool:
    unit = value.unit.strip()
    if asked in _STRICT_UNITS:
        return unit.upper().endswith(asked.upper())
    if asked in ZH.counts:
        return unit == "" or unit.endswith(asked) or unit.lstrip("余") in COUNT_FAMILY
    return unit == "" or unit.endswith(asked)


def _in_family(family: tuple[str, ...], value: Value) -> bool:
    unit = value.unit.strip().lstrip("余")
    if value.kind is ValueKind.PERCENT:
        return False
    return any(unit == u or (u and unit.endswith(u)) for u in family)


def _is_rate(text: str, value: Value) -> bool:
    lo, _ = clause_bounds(text, value.start)
    if text[max(lo, value.start - 1) : value.start] in ("至", "到"):
        return False  # "从9%提升至84%": 84% is where it ended, not a growth rate
    return (value.kind is ValueKind.PERCENT and bool(_RATE_MARK.search(text[lo : value.start]))) or bool(
        re.search(r"每|年均|平均|人均", text[lo : value.start])
    )


def names_counted(question: Question, after: str, lexicon: Lexicon) -> bool:
    """Whether the words right after a figure name what the question counts."""
    after = CLAUSE_MARK.split(after, maxsplit=1)[0]
    if not after:
        return False
    if question.language.value == "en":
        stems = lexicon.glossary.stems(after)
        return bool(question.counted) and contains(stems, question.counted[-1])
    terms = [t for t in [*question.focus_terms, *question.counted] if len(t) >= 2]
    return any(after.startswith(t[:2]) for t in terms)


def clause_bounds(text: str, offset: int) -> tuple[int, int]:
    """The clause of ``text`` around ``offset``: between clause marks, the end mark kept out."""
    lo = 0
    for mark in CLAUSE_MARK.finditer(text, 0, offset):
        lo = mark.end()
    after = CLAUSE_MARK.search(text, offset)
    hi = after.start() if after else len(text)
    return lo, hi
