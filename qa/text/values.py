"""Value spans in text: quantities, percentages and dates, exactly as written.

An answer quotes numbers character for character from the source, so these patterns
only locate spans; nothing is parsed into a float and printed again. A thousands
separator is part of its number (68,511户 is one value, not 68 and 511), a space may
stand between a number and its unit (1943 年, 390 名), and the units and measure words
come from the language tables (``qa.lang``), so a unit the bundled report never uses
(31步, 340英里) is still a unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from qa.lang import EN, ZH, alternation


class ValueKind(StrEnum):
    PERCENT = "percent"
    QUANTITY = "quantity"
    DATE = "date"


_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
_AFTER = alternation(ZH.qualifiers_after[:2])  # 余, 多: inside the multiplier (20余万个, 100多家)
_MULT = rf"(?:{_AFTER})?(?:\s?[十百千万亿]+)?(?:{_AFTER})?"
_UNITS = alternation((*ZH.all_units, *EN.units))
# "G" alone only after 万/亿 ("82.8亿G"), so that "5G" (a technology) is not read as a quantity.
_VALUE = re.compile(
    rf"(?<![A-Za-z0-9.\-+:第])(?P<v>{_NUM}(?:\s?%|‰|{_MULT}\s?(?:{_UNITS})|[万亿]G(?![A-Za-z])|{_MULT}))"
    r"(?![A-Za-z0-9\-+:])"
)
_DATE = re.compile(
    r"(?<![\d,])(?P<v>\d{4}-\d{1,2}-\d{1,2}|\d{3,4}\s?年\s?\d{1,2}\s?月(?:\s?\d{1,2}\s?[日号])?|"
    r"\d{1,2}\s?月\s?\d{1,2}\s?[日号]|\d{1,2}\s?世纪(?:\s?\d{1,2}\s?年代)?|\d{4}\s?年代|"
    r"(?:1\d|20)\d{2}\s?年(?:底|初|末|中)?)(?!\d)"
)
# Chinese numerals with a measure word ("两年", "百余个", "两支"); "第一" (an ordinal) and words
# like 一体化 (no measure word) are not quantities.
_CN_MEASURES = alternation((*ZH.count_measures, *ZH.time_units, *(u for u in ZH.units if not u.isascii())))
_CN_VALUE = re.compile(
    r"(?<![第一二两三四五六七八九十百千万亿])(?P<v>(?:[一二两三四五六七八九十]+[十百千万亿]*|[十百千万]+)"
    rf"(?:{_AFTER})?(?:{_CN_MEASURES})|[一二两三四五六七八九十][十百千]*[万亿](?:{_AFTER})?(?:{_CN_MEASURES})?)"
)
_SUM = re.compile(r"(?<![A-Za-z0-9.+\-])(?P<v>\d+\+\d+)(?![A-Za-z0-9.+\-])")
_YEAR_ONLY = re.compile(r"^(?:1\d|20)\d{2}$")
_LEADING = re.compile(
    rf"^(?:\d+\+\d+|[\d,.]+|[一二两三四五六七八九十百千万]+)(?:{_AFTER})?(?:[十百千万亿]+)?(?:{_AFTER})?"
)
_QUALIFIER_BEFORE = re.compile(
    rf"(?:{alternation((*ZH.qualifiers_before, *EN.qualifiers_before))})\s?$", re.I
)
_QUALIFIER_AFTER = re.compile(rf"^\s?(?:{alternation(ZH.qualifiers_after[2:] + EN.qualifiers_after)})", re.I)
_SETTING_BEFORE = ("从", "由")
ANALYSER_VERSION = 4  # bump when what find_values returns changes: indexed clauses depend on it


@dataclass(frozen=True)
class Value:
    text: str
    kind: ValueKind
    start: int
    end: int

    @property
    def unit(self) -> str:
        return _LEADING.sub("", self.text).strip()


def find_values(text: str) -> list[Value]:
    """Every quantity, percentage and date in ``text``, left to right, non-overlapping."""
    found: list[Value] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], kind: ValueKind | None = None) -> None:
        start, end = match.start("v"), match.end("v")
        if any(s < end and start < e for s, e in taken):
            return
        span = match.group("v")
        if kind is None:
            if _YEAR_ONLY.match(span):
                kind = ValueKind.DATE
            elif span.endswith(("%", "‰")):
                kind = ValueKind.PERCENT
            else:
                kind = ValueKind.QUANTITY
        found.append(Value(span, kind, start, end))
        taken.append((start, end))

    for match in _DATE.finditer(text):
        add(match, ValueKind.DATE)
    for match in _VALUE.finditer(text):
        add(match)
    for match in _SUM.finditer(text):  # "9+1"个: a count written as a sum, quoted as is
        add(match, ValueKind.QUANTITY)
    for match in _CN_VALUE.finditer(text):
        add(match, ValueKind.QUANTITY)
    return sorted(found, key=lambda v: v.start)


def qualified_span(text: str, value: Value) -> tuple[int, int]:
    """The value's span with the qualifiers that are part of it (超38个, 约300人, 100万以上)."""
    start, end = value.start, value.end
    before = _QUALIFIER_BEFORE.search(text[max(0, start - 12) : start])
    if before:
        start -= len(before.group())
    after = _QUALIFIER_AFTER.match(text[end : end + 8])
    if after:
        end += len(after.group())
    return start, end


_LEAD_QUALIFIER = re.compile(rf"^(?:{alternation((*ZH.qualifiers_before, *EN.qualifiers_before))})\s?", re.I)


def strip_qualifiers(text: str) -> str:
    """``text`` without a leading or trailing qualifier (超38个 → 38个, 90%以上 → 90%)."""
    text = _LEAD_QUALIFIER.sub("", text.strip())
    return re.sub(rf"(?:{alternation(ZH.qualifiers_after[2:] + EN.qualifiers_after)})$", "", text).strip()


def is_end_state(text: str, value: Value) -> bool:
    """False for the "from" side of "from X to Y" ("从9%提升至84%"), True otherwise."""
    return not text[max(0, value.start - 2) : value.start].endswith(_SETTING_BEFORE)
