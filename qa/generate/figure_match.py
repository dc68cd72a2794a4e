"""Figures in text, and whether a passage states an answer's figure (the guard's figure rule).

A figure is found by the index's own analyser (``qa.text.values``: quantities, percentages, dates,
with the qualifiers that belong to them) plus every other digit run (the 10 of 10G-PON, the 5 of
5G), and is cut into atoms: one number each, with the multiplier (万, 亿, million), the unit and the
qualifier written with it. "2024年3月" is two atoms; "超38个" is one, qualified.

An answer's atom is stated by a passage's atom when:

- *as written*: the digits are the same, thousands separators included (1545 is not 1,545), the
  multiplier is the same, and the unit is the same when the answer gives one. Not differences:
  space before a unit or % (84% and 84 %), "percent" for %, 年 after a year (2024 and 2024年), and,
  in an English answer, a Chinese unit put into words (9540公里 → 9540 km, 422万户 → 422万 households:
  the guard cannot judge a translation, so a Chinese unit accepts any English one);
- *rendered* (English answers only): the passage writes a Chinese multiplier (万 ×10^4, 亿 ×10^8,
  万亿 ×10^12) or a Chinese numeral (十年, 百余个; 十四五 for an ordinal like 14th), and the answer's
  value is exactly the same number: 422万 → 4.22 million, 4,220,000 or 4220 thousand; 4.22万 → 42.2
  thousand. 4.2 million is a rounding, not a rendering. An ASCII unit stays as it is (9540GB).

A Chinese answer gets no renderings: it writes the figure as the passage does (4万, not 40,000).
Which passages count, and what a qualifier demands, is the guard's part (``qa.generate.guard``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from qa.text import has_cjk
from qa.text.values import Value, ValueKind, find_values, qualified_span

_NUMBER = re.compile(r"(?<!\d)(?<!\d\.)(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?!\d)")
_CN_SCALE = {"十": 1, "百": 2, "千": 3, "万": 4, "亿": 8}
_EN_SCALE = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12}
# After a number: a qualifier inside it (30余个), a multiplier (not the 千 of 千米 or the 百 of 百分点),
# another qualifier (20余万个), then the unit.
_TAIL = re.compile(
    r"^(?P<q1>余|多)?\s?(?P<scale>(?:[十万亿]|百(?!分)|千(?![米克瓦卡]))+|(?:thousand|million|billion|trillion)\b)?"
    r"(?P<q2>余|多)?\s?(?P<unit>.*)$",
    re.S,
)
_ORDINAL = re.compile(r"^(?:st|nd|rd|th)\b")
_CN_DIGITS = dict(zip("〇零一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_CN_RUN = re.compile(rf"[{''.join(_CN_DIGITS)}十百千万亿]+")
_PERCENT = {"percent": "%", "per cent": "%", "％": "%"}
_YEAR = re.compile(r"^(?:1\d|20)\d{2}$")
_YEAR_PART = ("底", "初", "末")  # not 中: "2024年中国…" is a year before a name


@dataclass(frozen=True)
class Figure:
    """One number as written in a text, with what is written with it."""

    text: str  # as written, qualifier included: "超38个", "more than 38", "10G-PON"
    number: str  # the digits as written ("1,545", "4.22"); "" for a Chinese numeral
    scale: str  # 万, 亿, 万亿, million, …; "" when none
    unit: str  # "GB", "户", "%", "年"; "" when none
    qualified: bool  # a qualifier is part of it (超, 约, 余, 以上, more than, about, …)
    value: Decimal | None  # number × scale, for renderings
    ordinal: bool = False  # 14th; for a passage: a bare run of Chinese numerals (十四五), for ordinals only


def _scale_value(scale: str) -> int:
    if scale in _EN_SCALE:
        return 10 ** _EN_SCALE[scale]
    return 10 ** sum(_CN_SCALE[c] for c in scale)


def chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral (十四 → 14, 三亿五千万 → 350000000); None if it is not one."""
    total = section = number = 0
    pending = False
    for char in text:
        if char in "〇零":
            pending = False
        elif char in _CN_DIGITS:
            if pending:
                return None
            number, pending = _CN_DIGITS[char], True
        elif char in "十百千":
            section += (number if pending else 1) * 10 ** _CN_SCALE[char]
            number, pending = 0, False
        elif char == "万":
            total += (section + number) * 10**4
            section, number, pending = 0, 0, False
        elif char == "亿":
            total = (total + section + number) * 10**8
            section, number, pending = 0, 0, False
        else:
            return None
    return total + section + number if text else None


def _numeral_runs(run: str) -> list[int]:
    """Values of a run of Chinese numerals, cut greedily where it is several (十四五 → 14, 5)."""
    values: list[int] = []
    while run:
        for end in range(len(run), 0, -1):
            value = chinese_number(run[:end])
            if value is not None:
                values.append(value)
                run = run[end:]
                break
        else:
            run = run[1:]
    return values


def _atoms(text: str, value: Value) -> list[Figure]:
    """The atoms of one analysed value: one per number it writes ("2024年3月" → 2024年, 3月)."""
    start, end = qualified_span(text, value)
    shown = text[start:end]
    numbers = list(_NUMBER.finditer(value.text))
    if not numbers:  # a Chinese numeral quantity: 两年, 百余个
        run = _CN_RUN.match(value.text)
        whole = chinese_number(run.group()) if run else None
        tail = _TAIL.match(value.text[run.end() :] if run else "")
        assert tail is not None  # every group is optional
        qualified = (start, end) != (value.start, value.end) or bool(tail["q1"] or tail["q2"])
        unit = tail["unit"].strip()
        return [Figure(shown, "", "", unit, qualified, None if whole is None else Decimal(whole))]
    atoms = []
    for i, match in enumerate(numbers):
        stop = numbers[i + 1].start() if i + 1 < len(numbers) else len(value.text)
        tail = _TAIL.match(value.text[match.end() : stop])
        assert tail is not None
        scale = tail["scale"] or ""
        qualified = bool(tail["q1"] or tail["q2"])
        qualified |= (i == 0 and start < value.start) or (i == len(numbers) - 1 and end > value.end)
        amount = Decimal(match.group().replace(",", "")) * (_scale_value(scale) if scale else 1)
        unit = tail["unit"].strip()
        if unit == "年" and i == len(numbers) - 1 and text[value.end : value.end + 1] in _YEAR_PART:
            unit += text[
                value.end
            ]  # "…,2024年底": the analyser reads 2024年 after a comma (a count of years)
            shown = text[start : max(end, value.end + 1)]
        atoms.append(Figure(shown, match.group(), scale, unit, qualified, amount))
    return atoms


def _word_at(text: str, start: int, end: int) -> str:
    """The token a bare number sits in, for messages: "10G-PON" rather than "10"."""
    while start > 0 and re.match(r"[A-Za-z0-9\-+.]", text[start - 1]):
        start -= 1
    while end < len(text) and re.match(r"[A-Za-z0-9\-+]", text[end]):
        end += 1
    return text[start:end].strip(".-+")


def figures(text: str, numeral_runs: bool = False) -> list[Figure]:
    """Every figure atom in ``text`` (NFKC-folded first: full-width digits are digits).

    ``numeral_runs`` adds, for a passage an English answer is checked against, each bare run of
    Chinese numerals (十四五 → 14, 5) as an ordinal-only atom (for "14th": 四川 must not state a
    4), and each multiplier standing alone (每万人 → 10,000).
    """
    text = unicodedata.normalize("NFKC", text)
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for value in find_values(text):
        found.extend(_atoms(text, value))
        taken.append((value.start, value.end))
    for match in _NUMBER.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        start, end = qualified_span(
            text, Value(match.group(), ValueKind.QUANTITY, match.start(), match.end())
        )
        ordinal = bool(_ORDINAL.match(text[match.end() :]))
        shown = _word_at(text, match.start(), match.end())
        if (start, end) != (match.start(), match.end()):
            shown = text[start:end]
        digits = Decimal(match.group().replace(",", ""))
        found.append(Figure(shown, match.group(), "", "", (start, end) != match.span(), digits, ordinal))
    if numeral_runs:
        for match in _CN_RUN.finditer(text):
            run = match.group()
            if re.search(r"[一二两三四五六七八九十]", run):
                found.extend(
                    Figure(run, "", "", "", False, Decimal(n), ordinal=True) for n in _numeral_runs(run)
                )
            elif set(run) <= set(_CN_SCALE) and not text[: match.start()][-1:].isdigit():
                # A multiplier standing alone (每万人 → per 10,000 people, 千兆 → 1000M), not 4.5万.
                found.append(Figure(run, "", "", "", False, Decimal(_scale_value(run))))
    return found


def _norm_unit(unit: str) -> str:
    unit = re.sub(r"\s+", " ", unit.strip())
    return _PERCENT.get(unit.lower(), unit)


def _unit_ok(answer: Figure, passage: Figure, english: bool) -> bool:
    if not answer.unit:
        return True
    mine, theirs = _norm_unit(answer.unit), _norm_unit(passage.unit)
    if mine == theirs:
        return True
    if mine == "年" and _YEAR.match(answer.number) and (not theirs or theirs.startswith("年")):
        return True  # a year with 年 is the year without it
    return english and has_cjk(theirs)  # a Chinese unit put into English words


def written_as(answer: Figure, passage: Figure, english: bool) -> bool:
    """The passage writes the answer's number as the answer does."""
    if passage.ordinal and not passage.number:
        return False
    if not answer.number:  # a Chinese numeral (两年, 百余个) against the same numeral
        same = not passage.number and answer.value is not None and answer.value == passage.value
        return same and _unit_ok(answer, passage, english)
    if not (answer.number == passage.number and answer.scale == passage.scale):
        return False
    return _unit_ok(answer, passage, english)


def rendered_as(answer: Figure, passage: Figure) -> bool:
    """An English answer's exact rendering of a Chinese multiplier or numeral in the passage."""
    if answer.value is None or passage.value is None or answer.value != passage.value:
        return False
    if passage.ordinal and not passage.number:
        return answer.ordinal
    chinese = (passage.scale and has_cjk(passage.scale)) or (not passage.number and passage.value is not None)
    if not chinese:
        return False
    if not answer.unit:
        return True
    if has_cjk(passage.unit):
        return True
    return _norm_unit(answer.unit) == _norm_unit(passage.unit)


def render_en(value: Decimal) -> str:
    """The plain English rendering of an exact value: 4220000 → "4.22 million", 42200 → "42,200"."""
    for word, exponent in sorted(_EN_SCALE.items(), key=lambda kv: -kv[1]):
        if exponent >= 6 and value >= 10**exponent:
            return f"{_plain(value / 10**exponent)} {word}"
    return f"{int(value):,}" if value == int(value) else _plain(value)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
