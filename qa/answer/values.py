"""Value spans in text: quantities, percentages and dates, exactly as written.

An answer quotes numbers character for character from the source, so these patterns
only locate spans; nothing is parsed into a float and printed again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ValueKind(StrEnum):
    PERCENT = "percent"
    QUANTITY = "quantity"
    DATE = "date"


_NUM = r"\d+(?:\.\d+)?"
_MULT = r"(?:余)?(?:[十百千万亿]+)?(?:余)?"
# Units that follow a number in Chinese reports; "G" alone only after 万/亿 ("82.8亿G"),
# so that "5G" (a technology) is not read as a quantity.
_UNITS = (
    "GB|TB|PB|Gbps|Mbps|Tbps|MHz|GHz|"
    "亿元|万元|千元|元|美元|"
    "万亩|亩|平方公里|公里|千米|米|"
    "毫秒|秒|分钟|小时|天|个月|年|"
    "万户|户|万人|人次|人|个|家|座|条|项|类|次|倍|台|套|所|部|款|强|件|张|处|批|期|种|份|名|位|节点|端口|"
    "省|城市|区县|县|村|行业"
)
_VALUE = re.compile(
    rf"(?<![A-Za-z0-9.\-+:])(?P<v>{_NUM}(?:%|‰|{_MULT} ?(?:{_UNITS})|[万亿]G(?![A-Za-z])|{_MULT}))"
    r"(?![A-Za-z0-9\-+:])"
)
_DATE = re.compile(
    r"(?<!\d)(?P<v>\d{4}-\d{1,2}-\d{1,2}|\d{4}年\d{1,2}月(?:\d{1,2}日)?|"
    r"(?:19|20)\d{2}年(?:底|初|末)?)(?!\d)"
)
# Chinese numerals with a measure word ("两年", "百余个"); "第一" (an ordinal) and words like
# 一体化 (no measure word) are not quantities.
_CN_VALUE = re.compile(
    r"(?<![第一二两三四五六七八九十百千万亿])(?P<v>(?:[一二两三四五六七八九十]+[十百千万亿]*|[十百千万]+)余?"
    r"(?:个|年|项|家|座|条|类|次|倍|批|期|名|位|户|届))"
)
_SUM = re.compile(r"(?<![A-Za-z0-9.+\-])(?P<v>\d+\+\d+)(?![A-Za-z0-9.+\-])")
_YEAR_ONLY = re.compile(r"^(?:19|20)\d{2}$")
_SETTING_BEFORE = ("从", "由")


@dataclass(frozen=True)
class Value:
    text: str
    kind: ValueKind
    start: int
    end: int

    @property
    def unit(self) -> str:
        return re.sub(
            r"^(?:\d+\+\d+|[\d.]+|[一二两三四五六七八九十百千万]+)(?:余)?(?:[十百千万亿]+)?(?:余)?",
            "",
            self.text,
        )


def find_values(text: str) -> list[Value]:
    """Every quantity, percentage and date in ``text``, left to right, non-overlapping."""
    found: list[Value] = []
    taken: list[tuple[int, int]] = []
    for match in _DATE.finditer(text):
        found.append(Value(match.group("v"), ValueKind.DATE, match.start("v"), match.end("v")))
        taken.append((match.start("v"), match.end("v")))
    for match in _VALUE.finditer(text):
        start, end = match.start("v"), match.end("v")
        if any(s < end and start < e for s, e in taken):
            continue
        span = match.group("v")
        if _YEAR_ONLY.match(span):
            kind = ValueKind.DATE
        elif span.endswith(("%", "‰")):
            kind = ValueKind.PERCENT
        else:
            kind = ValueKind.QUANTITY
        found.append(Value(span, kind, start, end))
        taken.append((start, end))
    for match in _SUM.finditer(text):  # "9+1"个: a count written as a sum, quoted as is
        start, end = match.start("v"), match.end("v")
        if not any(s < end and start < e for s, e in taken):
            found.append(Value(match.group("v"), ValueKind.QUANTITY, start, end))
            taken.append((start, end))
    for match in _CN_VALUE.finditer(text):
        start, end = match.start("v"), match.end("v")
        if not any(s < end and start < e for s, e in taken):
            found.append(Value(match.group("v"), ValueKind.QUANTITY, start, end))
    return sorted(found, key=lambda v: v.start)


def is_end_state(text: str, value: Value) -> bool:
    """False for the "from" side of "from X to Y" ("从9%提升至84%"), True otherwise."""
    return not text[max(0, value.start - 2) : value.start].endswith(_SETTING_BEFORE)
