"""Pure parts of the compose stage (qa.answer.compose): what of a value is the short answer."""

from __future__ import annotations

import pytest

from qa.answer.compose import year_of
from qa.text.values import find_values


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("特斯拉于 1943 年 1 月 7 日去世", "1943 年"),  # the year as written, space kept
        ("1886年3月,特斯拉与罗伯特·莱恩合作", "1886年"),
        ("2019-05-03 发布", "2019"),
        ("截至2024年底", "2024年"),
    ],
)
def test_the_year_of_a_date_is_its_start_as_written(text, year):
    value = next(v for v in find_values(text) if v.kind.value == "date")
    assert year_of(text, value) == year
    assert text.index(year) == value.start  # a span of the source, never a rewrite


def test_a_quantity_has_no_year():
    text = "共有 390 名学生"
    assert year_of(text, find_values(text)[0]) is None
