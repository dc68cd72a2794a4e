"""Figure atoms and the two ways a passage states one: as written, or rendered exactly in English."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qa.generate.figure_match import chinese_number, figures, render_en, rendered_as, written_as


def one(text: str, **kwargs):
    found = figures(text, **kwargs)
    assert len(found) == 1, found
    return found[0]


def test_atoms_keep_multiplier_unit_and_qualifier():
    atom = one("用户增长至422万户")
    assert (atom.number, atom.scale, atom.unit, atom.qualified, atom.value) == (
        "422",
        "万",
        "户",
        False,
        4220000,
    )
    atom = one("每万人拥有基站数超38个")
    assert (atom.text, atom.number, atom.unit, atom.qualified) == ("超38个", "38", "个", True)
    assert one("共有30余个平台").qualified
    assert one("覆盖率90%以上").qualified
    assert one("more than 38 platforms").qualified
    assert one("4.22 million households").value == 4220000


def test_a_date_is_one_atom_per_number():
    assert [(f.number, f.unit) for f in figures("2024年3月5日")] == [("2024", "年"), ("3", "月"), ("5", "日")]


def test_bare_digits_are_figures_too():
    assert [(f.text, f.number) for f in figures("10G-PON ports and 5G")] == [("10G-PON", "10"), ("5G", "5")]
    assert one("the 14th Five-Year Plan").ordinal


@pytest.mark.parametrize(
    ("answer", "passage", "english", "stated"),
    [
        ("1545", "1,545个", True, False),
        ("1,545", "1545个", True, False),
        ("1,545个", "1,545个", False, True),
        ("84 %", "84%", False, True),
        ("84 percent", "84%", True, True),
        ("2024", "2024年", False, True),
        ("2024年", "in 2024", False, True),
        ("2024年初", "2024年底", False, False),
        ("9540MB", "9540GB", True, False),
        ("9540 km", "9540公里", True, True),  # a Chinese unit in English words: not judged
        ("5 km", "全长5千米", True, True),  # 千米 is a unit, not 千 × 米
        ("9540公顷", "9540公里", False, False),
        ("422", "422万户", True, False),  # the multiplier is part of the figure
    ],
)
def test_written_as(answer, passage, english, stated):
    assert written_as(one(answer), one(passage), english) is stated


@pytest.mark.parametrize(
    ("answer", "passage", "stated"),
    [
        ("4.22 million", "422万户", True),
        ("4,220,000", "422万户", True),
        ("4220 thousand", "422万户", True),
        ("4.2 million", "422万户", False),
        ("42.2 thousand", "4.22万", True),
        ("1.2 billion", "12亿元", True),
        ("8.28 billion", "82.8亿G", True),
        ("82.8 billion", "82.8亿G", False),  # 亿 is 10^8, not a billion
        ("40,000", "4万", True),
        ("40,000", "40,000", False),  # no multiplier: nothing to render, only as written counts
        ("10 years", "十年", True),
        ("67 billion yuan", "670亿元", True),
        ("over 200,000", "20余万个", True),  # (the qualifier is the guard's to check)
    ],
)
def test_rendered_as(answer, passage, stated):
    first = figures(passage, numeral_runs=True)[0]  # (十年 also yields the bare run 十, for ordinals)
    assert rendered_as(one(answer), first) is stated


def test_ordinals_and_lone_multipliers_from_chinese_numerals():
    passage = figures("“十四五”期间每万人拥有基站数", numeral_runs=True)
    assert any(rendered_as(one("the 14th plan"), p) for p in passage)
    assert any(rendered_as(one("per 10,000 people"), p) for p in passage)
    assert not any(rendered_as(one("4 plans"), p) for p in figures("四川", numeral_runs=True))


def test_chinese_numbers():
    assert chinese_number("十四") == 14
    assert chinese_number("二十") == 20
    assert chinese_number("一百零五") == 105
    assert chinese_number("三亿五千万") == 350_000_000
    assert chinese_number("一万二千") == 12_000
    assert chinese_number("十四五") is None


def test_render_en():
    assert render_en(Decimal(4_220_000)) == "4.22 million"
    assert render_en(Decimal(42_200)) == "42,200"
    assert render_en(Decimal("1.2e9")) == "1.2 billion"
