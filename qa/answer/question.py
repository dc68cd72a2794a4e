"""Question analysis: the language, the kind of thing asked for, and the terms it names.

The answerer needs to know what a good answer must contain: a percentage for
"普及率是多少", an amount in 元 for "多少亿元", a date for "when". It also needs the
question's specific terms (6G, 成都, Chengdu, 2023年), because an answer about 5G, about
Chongqing or about another year does not answer the question, however similar it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from qa.answer.gloss import question_terms
from qa.answer.policy import DEFAULT_POLICY, Policy
from qa.answer.terms import (
    asking_part,
    counted_en,
    counted_zh,
    focus_terms,
    list_measure,
    pinyin_names,
    split_terms,
)
from qa.lang import EN, TABLES, ZH, alternation, either
from qa.text import Language, detect_language, normalize_query


class Asked(StrEnum):
    """What kind of answer the question asks for."""

    PERSON = "person"
    PERCENT = "percent"
    QUANTITY = "quantity"
    DATE = "date"
    LIST = "list"
    PLACE = "place"
    NAME = "name"
    YES_NO = "yes_no"
    OPEN = "open"

    @property
    def wants_value(self) -> bool:
        return self in (Asked.PERCENT, Asked.QUANTITY, Asked.DATE)

    @property
    def wants_figure(self) -> bool:
        """A quantity or a percentage: the kinds held to the policy's higher figure bar."""
        return self in (Asked.PERCENT, Asked.QUANTITY)


def _patterns() -> list[tuple[Asked, re.Pattern[str]]]:
    """Each kind's question words from every language table, in the tables' order of kinds."""
    kinds: dict[str, list[str]] = {}
    for table in TABLES.values():
        for kind, pattern in table.asks:
            kinds.setdefault(kind, []).append(pattern)
    return [(Asked(kind), re.compile("|".join(p), re.I)) for kind, p in kinds.items()]


_PATTERNS = _patterns()
_YES_NO = re.compile("|".join(t.yes_no for t in TABLES.values()), re.I)


COUNT_FAMILY = ZH.count_family


_ATTRIBUTE_UNITS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(pattern, re.I), units) for table in TABLES.values() for pattern, units in table.measured
]


_HOW_MANY = re.compile(rf"{EN.how_many}|(?:{ZH.how_many})(?:{alternation(ZH.count_measures)})", re.I)


_RATE_ASKED = re.compile(either("rate_asked"), re.I)
_GROWTH_ASKED = re.compile(either("growth_asked"), re.I)
_MAGNITUDE = re.compile("|".join(t.magnitude for t in TABLES.values()), re.I)
_ASKS_YEAR = re.compile(either("asks_year"), re.I)
_PUBLICATION = re.compile("|".join(t.publication for t in TABLES.values()), re.I)


# A unit named right after 多少/几 pins the answer's unit: "多少亿元" is not answered by "7.6%".
_ASKED_UNIT = re.compile(
    rf"(?:{ZH.how_many})\s*(?:{alternation(ZH.magnitudes)})?"
    rf"(个?百分点|%|{alternation(ZH.units + ZH.time_units + ZH.counts)})",
    re.I,
)


_EN_UNIT = {
    r"\byuan\b|\brmb\b|\bcny\b": "元",
    r"how many times|\bfold\b": "倍",
    r"how many (?:\w+ )?years": "年",
    r"how many (?:\w+ )?days": "天",
    r"how many (?:\w+ )?months": "个月",
}


@dataclass
class Question:
    text: str
    normalized: str
    language: Language
    asked: Asked
    unit: str | None = None
    unit_family: tuple[str, ...] = ()
    asks_rate: bool = False
    asks_publication: bool = False
    hard_terms: list[str] = field(default_factory=list)
    soft_terms: list[str] = field(default_factory=list)
    focus_terms: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    common_places: list[str] = field(default_factory=list)
    pinyin_terms: list[str] = field(default_factory=list)
    en_terms: list[str] = field(default_factory=list)
    counted: list[str] = field(default_factory=list)
    list_measure: str | None = None
    asks_magnitude: bool = False
    asks_year: bool = False


def analyze(
    text: str, policy: Policy = DEFAULT_POLICY, subject_words: frozenset[str] = frozenset()
) -> Question:
    normalized = normalize_query(text)
    language = detect_language(normalized)
    asked = Asked.OPEN
    for kind, pattern in _PATTERNS:
        if pattern.search(normalized):
            asked = kind
            break
    else:
        if _YES_NO.search(normalized):
            asked = Asked.YES_NO
    unit = _asked_unit(normalized)
    if unit == "%":
        asked = Asked.PERCENT
    elif unit and asked in (Asked.PERCENT, Asked.QUANTITY):
        asked = Asked.QUANTITY  # "满意度连续几年": the unit named after 几 decides, not the topic
    elif asked is not Asked.QUANTITY:
        unit = None
    hard, soft, entities, common = split_terms(normalized, language, policy.common_place_freq)
    focus = focus_terms(normalized, subject_words) if language is Language.ZH else []
    pinyin = pinyin_names(normalized) if language is Language.EN else []
    en_terms = (
        [t for t in question_terms(asking_part(normalized)) if t not in pinyin]
        if language is Language.EN
        else []
    )
    return Question(
        text,
        normalized,
        language,
        asked,
        unit,
        _unit_family(normalized, asked, unit),
        bool(_RATE_ASKED.search(normalized)),
        bool(_PUBLICATION.search(normalized)),
        hard,
        soft,
        focus,
        entities,
        common,
        pinyin,
        en_terms,
        counted_en(normalized) if language is Language.EN else counted_zh(normalized),
        list_measure(normalized),
        bool(_MAGNITUDE.search(normalized)),
        asked is Asked.DATE and bool(_ASKS_YEAR.search(normalized)),
    )


def _unit_family(text: str, asked: Asked, unit: str | None) -> tuple[str, ...]:
    """Units an answer may carry, from what is measured ("带宽" wants GB, "how many" a count)."""
    if asked is not Asked.QUANTITY or unit:
        return ()
    if _HOW_MANY.search(text):
        return COUNT_FAMILY
    if _GROWTH_ASKED.search(text):
        return ()  # "收入年均增长多少" asks a growth rate, not an amount in 元
    for pattern, family in _ATTRIBUTE_UNITS:
        if pattern.search(text):
            return family
    return ()


def _asked_unit(text: str) -> str | None:
    match = _ASKED_UNIT.search(text)
    if match:
        unit = match.group(1)
        if unit.isascii():  # as the table writes it: gb → GB
            unit = next((u for u in ZH.units if u.lower() == unit.lower()), unit)
        if unit.endswith("百分点"):
            return "%"
        return "元" if unit.endswith("元") else unit
    for pattern, unit in _EN_UNIT.items():
        if re.search(pattern, text, re.I):
            return unit
    return None
