"""Language knowledge as data: one table per language, used by every rule that reads text.

Code holds mechanisms (find a value, read a question); the words those mechanisms look
for live in ``qa.lang.zh`` and ``qa.lang.en``. Adding a language means adding a table
(and its tests), not editing the answerer. Nothing here names a corpus's places or topics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.lang import en, zh


@dataclass(frozen=True)
class LanguageTable:
    """What the rules of one language need: units, qualifiers, question words."""

    code: str
    count_measures: tuple[str, ...]
    counted_nouns: tuple[str, ...]
    time_units: tuple[str, ...]
    units: tuple[str, ...]
    qualifiers_before: tuple[str, ...]
    qualifiers_after: tuple[str, ...]
    surnames: frozenset[str]
    name_joiners: str
    translit_chars: str
    naming_verbs: tuple[str, ...]
    asks: tuple[tuple[str, str], ...]
    yes_no: str
    negations: frozenset[str]
    yes: str
    no: str
    generic_places: frozenset[str]
    measured: tuple[tuple[str, tuple[str, ...]], ...]
    generic_measures: frozenset[str]
    publication: str
    magnitude: str
    focus_skip: frozenset[str]
    how_many: str
    magnitudes: tuple[str, ...]
    rate_asked: str
    growth_asked: str
    question_words: str
    followup_frames: dict[str, str]
    asks_year: str
    year_of_date: str

    @property
    def count_family(self) -> tuple[str, ...]:
        """Units of a count: measure words, counted nouns, years, or none (\"\")."""
        return ("", *self.count_measures, *self.counted_nouns, "年") if self.count_measures else ()

    @property
    def counts(self) -> tuple[str, ...]:
        """Measure words and counted nouns: the units a count may carry."""
        return (*self.count_measures, *self.counted_nouns)

    @property
    def all_units(self) -> tuple[str, ...]:
        return (*self.units, *self.time_units, *self.count_measures, *self.counted_nouns)


def _table(module: object) -> LanguageTable:
    return LanguageTable(
        code=module.CODE,  # type: ignore[attr-defined]
        count_measures=tuple(module.COUNT_MEASURES),  # type: ignore[attr-defined]
        counted_nouns=tuple(module.COUNTED_NOUNS),  # type: ignore[attr-defined]
        time_units=tuple(module.TIME_UNITS),  # type: ignore[attr-defined]
        units=tuple(module.UNITS),  # type: ignore[attr-defined]
        qualifiers_before=tuple(module.QUALIFIERS_BEFORE),  # type: ignore[attr-defined]
        qualifiers_after=tuple(module.QUALIFIERS_AFTER),  # type: ignore[attr-defined]
        surnames=frozenset(module.SURNAMES),  # type: ignore[attr-defined]
        name_joiners=module.NAME_JOINERS,  # type: ignore[attr-defined]
        translit_chars=module.TRANSLIT_CHARS,  # type: ignore[attr-defined]
        naming_verbs=tuple(module.NAMING_VERBS),  # type: ignore[attr-defined]
        asks=tuple(module.ASKS),  # type: ignore[attr-defined]
        yes_no=module.YES_NO,  # type: ignore[attr-defined]
        negations=frozenset(module.NEGATIONS),  # type: ignore[attr-defined]
        yes=module.YES,  # type: ignore[attr-defined]
        no=module.NO,  # type: ignore[attr-defined]
        generic_places=frozenset(module.GENERIC_PLACES),  # type: ignore[attr-defined]
        measured=tuple((p, tuple(u)) for p, u in module.MEASURED),  # type: ignore[attr-defined]
        generic_measures=frozenset(module.GENERIC_MEASURES),  # type: ignore[attr-defined]
        publication=module.PUBLICATION,  # type: ignore[attr-defined]
        magnitude=module.MAGNITUDE,  # type: ignore[attr-defined]
        focus_skip=frozenset(module.FOCUS_SKIP),  # type: ignore[attr-defined]
        how_many=module.HOW_MANY,  # type: ignore[attr-defined]
        magnitudes=tuple(module.MAGNITUDES),  # type: ignore[attr-defined]
        rate_asked=module.RATE_ASKED,  # type: ignore[attr-defined]
        growth_asked=module.GROWTH_ASKED,  # type: ignore[attr-defined]
        question_words=module.QUESTION_WORDS,  # type: ignore[attr-defined]
        followup_frames=dict(module.FOLLOWUP_FRAMES),  # type: ignore[attr-defined]
        asks_year=module.ASKS_YEAR,  # type: ignore[attr-defined]
        year_of_date=module.YEAR_OF_DATE,  # type: ignore[attr-defined]
    )


ZH = _table(zh)
EN = _table(en)
TABLES = {"zh": ZH, "en": EN}


def either(attribute: str) -> str:
    """One pattern of every table's ``attribute`` (a regular expression), for text in any language."""
    return "|".join(f"(?:{getattr(t, attribute)})" for t in TABLES.values() if getattr(t, attribute))


def alternation(words: tuple[str, ...] | list[str]) -> str:
    """A regex alternation of ``words``, longest first so 万亩 wins over 亩."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))
