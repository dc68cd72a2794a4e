"""Value spans: quantities, percentages and dates, found exactly as written."""

from __future__ import annotations

import pytest

from qa.text.values import ValueKind, find_values, is_end_state, qualified_span, strip_qualifiers


def spans(text: str) -> list[tuple[str, ValueKind]]:
    return [(v.text, v.kind) for v in find_values(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("两地直联带宽达到9540GB。", [("9540GB", ValueKind.QUANTITY)]),
        ("生产效率达84%以上", [("84%", ValueKind.PERCENT)]),
        ("移动接入流量82.8亿G", [("82.8亿G", ValueKind.QUANTITY)]),
        ("20余万个感知设备接入", [("20余万个", ValueKind.QUANTITY)]),
        ("发布时间:2025-12-02 18:06", [("2025-12-02", ValueKind.DATE)]),
        ("累计投入超50亿元", [("50亿元", ValueKind.QUANTITY)]),
        ("22.31万亩脆李果园", [("22.31万亩", ValueKind.QUANTITY)]),
        ("主城都市区1毫秒", [("1毫秒", ValueKind.QUANTITY)]),
        ("形成创新应用案例超2500。", [("2500", ValueKind.QUANTITY)]),
        ("千分比为1.5‰", [("1.5‰", ValueKind.PERCENT)]),
    ],
)
def test_value_span_as_written(text, expected):
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "加快5G-A演进及应用研发",
        "5G网络全覆盖",
        "5G+工业互联网",
        "10G-PON端口",
        "华为P30手机",
        "下午12:30开会",
    ],
)
def test_technology_names_and_clock_times_are_not_values(text):
    assert find_values(text) == []


@pytest.mark.parametrize(
    "text",
    ["2024年", "2020年底", "2025年12月2日", "2025年12月", "2025-12-02"],
)
def test_dates(text):
    assert spans(text) == [(text, ValueKind.DATE)]


def test_bare_year_is_a_date():
    assert spans("截至2024,") == [("2024", ValueKind.DATE)]


def test_count_of_years_is_a_quantity_not_a_date():
    assert spans("满意度连续7年达满意水平") == [("7年", ValueKind.QUANTITY)]


@pytest.mark.parametrize(
    ("text", "value"),
    [("提前两年实现", "两年"), ("百余个项目获得", "百余个"), ("形成三大功能节点和十五类场景", "十五类")],
)
def test_chinese_numeral_with_measure_word(text, value):
    assert spans(text) == [(value, ValueKind.QUANTITY)]


@pytest.mark.parametrize("text", ["第一个项目", "推动一体化发展", "一标杆、一高地"])
def test_ordinals_and_words_are_not_chinese_quantities(text):
    assert find_values(text) == []


def test_values_in_order_with_offsets():
    text = "2024年移动接入流量82.8亿G,较2020年底翻一番"
    found = find_values(text)
    assert [v.text for v in found] == ["2024年", "82.8亿G", "2020年底"]
    assert all(text[v.start : v.end] == v.text for v in found)


def test_date_wins_over_a_quantity_in_years():
    # "2025年" would also read as a count of years; the date claims the span first.
    assert spans("2025年12月发布") == [("2025年12月", ValueKind.DATE)]


@pytest.mark.parametrize(
    ("text", "unit"),
    [("9540GB", "GB"), ("50亿元", "元"), ("20余万个", "个"), ("84%", "%"), ("2500", ""), ("百余个", "个")],
)
def test_unit_strips_number_and_multiplier(text, unit):
    (value,) = find_values(text)
    assert value.unit == unit


def test_from_side_of_from_to_is_not_the_end_state():
    text = "普及率从9%提升至84%"
    start, end = find_values(text)
    assert not is_end_state(text, start)
    assert is_end_state(text, end)


def test_you_marks_a_from_side_too():
    text = "用户数由4.5万户增长至422万户"
    start, end = find_values(text)
    assert (is_end_state(text, start), is_end_state(text, end)) == (False, True)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("共有68,511户家庭", "68,511户"),  # a thousands separator is part of the number
        ("人口为1,345,596,", "1,345,596"),
        ("他走了31步", "31步"),  # units outside any one report's vocabulary
        ("全长340英里", "340英里"),
        ("派出两支队伍", "两支"),  # counts in words
        ("共有390 名学生", "390 名"),  # a space between number and unit
    ],
)
def test_general_quantities(text, value):
    assert [v.text for v in find_values(text)] == [value]


@pytest.mark.parametrize(
    ("text", "value"),
    [("特斯拉于1943 年去世", "1943 年"), ("生于1856年7月10日", "1856年7月10日"), ("7月10日开幕", "7月10日")],
)
def test_dates_with_spaces_and_days(text, value):
    assert spans(text) == [(value, ValueKind.DATE)]


def test_per_ten_thousand_is_not_a_count():
    assert [v.text for v in find_values("每万人拥有5G基站数超38个")] == ["38个"]


@pytest.mark.parametrize(
    ("text", "qualified"),
    [("推动超4000座通信塔", "超4000座"), ("生产效率达90%以上", "90%以上"), ("约300人左右", "约300人左右")],
)
def test_qualifiers_belong_to_the_figure(text, qualified):
    value = find_values(text)[0]
    lo, hi = qualified_span(text, value)
    assert text[lo:hi] == qualified


@pytest.mark.parametrize(("text", "bare"), [("超38个", "38个"), ("90%以上", "90%"), ("more than 40", "40")])
def test_strip_qualifiers(text, bare):
    assert strip_qualifiers(text) == bare
