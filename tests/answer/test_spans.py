"""Answer spans for who/where/what-is-it-called: names as written, across transliteration dots."""

from __future__ import annotations

import pytest

from qa.answer.spans import entity_answer, named_spans, nearest, person_spans, yes_or_no


def names(text: str) -> list[str]:
    return [text[a:b] for a, b in person_spans(text, 5000)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("1901 年，古列尔莫·马可尼首次完成了跨大西洋无线电传输", "古列尔莫·马可尼"),
        ("苏丹在哈桑·阿卜杜拉·图拉比的领导下建立了政权。", "哈桑·阿卜杜拉·图拉比"),
        ("微软首席执行官萨蒂亚·纳德拉 ，甲骨文公司创始人", "萨蒂亚·纳德拉"),
        ("IPCC 历任主席为：拉津德·帕乔里，于 2002 年", "拉津德·帕乔里"),
        ("哈兰·艾里森写了这部小说", "哈兰·艾里森"),
        ("韩国经济学家李会晟自 2015 年起担任主席", "李会晟"),
    ],
)
def test_person_names_as_written(text, name):
    assert name in names(text)


@pytest.mark.parametrize("text", ["坚持惠企和利民并重", "推动一体化发展"])
def test_common_words_are_not_names(text):
    assert names(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("于1998年建立了第一个Internet2网络，名为 Abilene，是主要投资者", "Abilene"),
        ("该网络将被重新命名为 ABC -杜蒙 ”，为期5年", "ABC -杜蒙"),
        ("该市被称为“山城”。", "山城"),
    ],
)
def test_what_a_naming_verb_introduces(text, name):
    assert [text[a:b] for a, b in named_spans(text)] == [name]


def test_the_answer_is_not_a_name_the_question_states():
    text = (
        "选举前，IPCC 由其副主席伊斯梅尔·埃尔·吉周里领导，吉周里在前主席拉津德·帕乔里辞职后被任命为代理主席。"
    )
    span = entity_answer("person", text, "拉津德·帕乔里辞职后谁被任命为代理主席？", [text.find("代理")], 5000)
    assert span is not None and text[span[0] : span[1]] == "伊斯梅尔·埃尔·吉周里"


def test_nearest_span_to_the_question_words():
    assert nearest([(0, 2), (10, 12)], [9]) == (10, 12)
    assert nearest([], [1]) is None


@pytest.mark.parametrize(
    ("question", "language", "evidence", "expected"),
    [
        ("重庆所有行政村都通5G了吗?", "zh", "全市所有行政村实现5G网络通达", "是"),
        ("重庆所有行政村都通5G了吗?", "zh", "部分行政村尚未实现5G网络覆盖", "否"),
        ("Were there any regional network outages?", "en", "全市未发生区域性通信网络中断", "No"),
        ("Did network capacity keep growing?", "en", "网络能力不断提升", "Yes"),  # 不断 is not 不
    ],
)
def test_yes_or_no_from_the_evidence(question, language, evidence, expected):
    assert yes_or_no(question, language, evidence) == expected


def test_where_gives_one_particular_place_or_none():
    text = "在万州、九龙坡区开展验证"
    assert entity_answer("place", text, "在哪里开展验证?", [0], 5000) is None  # two places: none shown
    one = "在九龙坡区建成万兆网络街区"
    span = entity_answer("place", one, "万兆网络街区建在什么地方?", [0], 5000)
    assert span is not None and one[span[0] : span[1]] == "九龙坡区"
    assert entity_answer("place", "主城都市区1毫秒时延圈", "时延圈在哪里?", [0], 5000) is None


def test_a_name_the_english_question_already_names_is_no_answer():
    text = "1886 年，特斯拉与两位商人罗伯特·莱恩和本杰明·威尔合作"
    span = entity_answer(
        "person", text, "who did tesla partner with?", [0], 5000, named=lambda s: s == "特斯拉"
    )
    assert span is not None and text[span[0] : span[1]] != "特斯拉"
