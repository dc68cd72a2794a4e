"""Question analysis: the kind of answer asked for, its unit, and the terms evidence must contain."""

from __future__ import annotations

import pytest

from qa.answer.question import COUNT_FAMILY, Asked, analyze
from qa.answer.terms import is_pinyin
from qa.text import EN_STOPWORDS, Language


def _full_width(text: str) -> str:
    """ASCII letters, digits and punctuation as their full-width forms (Ｈｏｗ ｍａｎｙ？)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("重庆有多少个6G基站?", Asked.QUANTITY),
        ("普及率是多少", Asked.PERCENT),
        ("5G移动电话用户普及率是多少?", Asked.PERCENT),
        ("每年平均增长几个百分点", Asked.PERCENT),
        ("满意度连续几年达到满意", Asked.QUANTITY),
        ("哪几个数据中心", Asked.LIST),
        ("哪几个数据中心相继投入使用?", Asked.LIST),
        ("成渝地区有哪两类典型应用?", Asked.LIST),
        ("设在重庆哪个区", Asked.PLACE),
        ("民主村设在重庆哪个区?", Asked.PLACE),
        ("报告的发布时间是什么?", Asked.DATE),
        ("总经理是谁?", Asked.PERSON),
        ("介绍一下工业互联网", Asked.OPEN),
        ("How many base stations were built in Chongqing?", Asked.QUANTITY),
        ("What is the 5G penetration rate in Chengdu?", Asked.PERCENT),
        ("When was the report published?", Asked.DATE),
        ("Who is the director?", Asked.PERSON),
        ("Which projects were selected?", Asked.LIST),
        ("Which districts host data centers?", Asked.PLACE),
        ("Where is the Minzhu village?", Asked.PLACE),
    ],
)
def test_asked_kind(text, asked):
    assert analyze(text).asked is asked


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("重庆有多少个6G基站?", "个"),
        ("每年平均增长几个百分点", "%"),
        ("满意度连续几年达到满意", "年"),
        ("累计投入超过多少亿元", "元"),  # 亿元 is folded to 元
        ("移动物联网终端用户有多少万户?", "户"),  # 万户 is folded to 户
        ("千兆宽带用户增长了多少倍?", "倍"),
        ("How many times did gigabit users grow?", "倍"),
        ("How much money in yuan was invested?", "元"),
        # Any unit of the language table, after a magnitude or not, as the table writes it.
        ("果园有多少万亩?", "亩"),
        ("工期是几个月?", "个月"),  # the longer unit, not 个
        ("直联带宽达到多少gb?", "GB"),
        ("这条河有多少公里长?", "公里"),
        ("他写了多少首诗?", "首"),
    ],
)
def test_unit_named_after_the_question_word(text, unit):
    assert analyze(text).unit == unit


def test_unit_dropped_when_the_question_wants_no_value():
    # "哪几个" names 个, but a list question has no unit to match.
    assert analyze("哪几个数据中心相继投入使用?").unit is None


def test_percentage_points_make_a_percent_question_even_under_a_quantity_word():
    question = analyze("电信业务收入每年平均增长几个百分点?")
    assert (question.asked, question.unit) == (Asked.PERCENT, "%")


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("How many mobile phone subscribers are there?", COUNT_FAMILY),
        ("直联带宽是多少?", ("GB", "TB", "PB", "G", "T", "M", "Gbps", "Mbps", "Tbps")),
        ("2023年重庆电信业务收入是多少?", ("元",)),
        ("重庆有多少个6G基站?", ()),  # an explicit unit replaces the family
        ("普及率是多少", ()),  # only quantity questions have a family
    ],
)
def test_unit_family(text, family):
    assert analyze(text).unit_family == family


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电信业务收入每年平均增长几个百分点?", True),
        ("What is the 5G penetration rate in Chengdu?", True),
        ("5G移动电话用户普及率是多少?", False),
    ],
)
def test_asks_rate(text, expected):
    assert analyze(text).asks_rate is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("报告的发布时间是什么?", True),
        ("When was the report published?", True),
        ("5G移动电话用户普及率是多少?", False),
    ],
)
def test_asks_publication(text, expected):
    assert analyze(text).asks_publication is expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("重庆有多少个6G基站?", Language.ZH),
        ("How many base stations were built in Chongqing?", Language.EN),
    ],
)
def test_language(text, language):
    assert analyze(text).language is language


def test_code_is_a_hard_term():
    assert analyze("重庆有多少个6G基站?").hard_terms == ["6G"]


def test_year_is_a_hard_term_without_its_suffix():
    assert analyze("2023年重庆电信业务收入是多少?").hard_terms == ["2023"]


def test_arabic_count_stated_in_a_chinese_question_is_a_hard_term():
    assert "23个" in analyze("23个全国千兆城市具体是哪些").hard_terms


def test_chinese_numeral_count_is_not_a_hard_term():
    assert analyze("成渝地区有哪两类典型应用?").hard_terms == []


def test_ordinal_is_not_a_hard_term():
    assert analyze("What did the 14th plan achieve?").hard_terms == []


def test_place_is_an_entity_and_a_common_place():
    question = analyze("重庆有多少个6G基站?")
    assert "重庆" in question.entities
    assert "重庆" in question.common_places


def test_focus_is_the_noun_before_the_question_word():
    # 重庆 is the corpus's subject (in more than Policy.subject_share of its sentences): no focus.
    assert analyze("重庆有多少个6G基站?", subject_words=frozenset({"重庆"})).focus_terms == ["基站"]
    assert "重庆" in analyze("重庆有多少个6G基站?").focus_terms


def test_focus_terms_only_for_chinese():
    assert analyze("How many base stations were built in Chongqing?").focus_terms == []


def test_counted_stems_of_an_english_question():
    assert analyze("How many base stations were built in Chongqing?").counted == ["base", "station"]


def test_en_terms_are_stemmed_content_words():
    assert analyze("How many base stations were built in Chongqing?").en_terms == ["base", "station", "built"]


def test_en_terms_exclude_stopwords():
    terms = analyze("How many mobile phone subscribers are there in the city?").en_terms
    assert terms
    assert not set(terms) & EN_STOPWORDS


def test_en_terms_exclude_pinyin_names():
    question = analyze("Where is the Minzhu village?")
    assert question.pinyin_terms == ["minzhu"]
    assert "minzhu" not in question.en_terms


def test_pinyin_terms_name_chinese_places():
    question = analyze("What is the bandwidth between Chongqing and Chengdu?")
    assert question.pinyin_terms == ["chongqing", "chengdu"]


def test_capitalised_first_word_is_not_a_pinyin_name():
    assert analyze("Chongqing has how many base stations?").pinyin_terms == []


def test_pinyin_terms_only_for_english():
    assert analyze("重庆有多少个6G基站?").pinyin_terms == []


def test_full_width_question_is_analysed_as_its_ascii_form():
    ascii_text = "How many base stations were built in Chongqing?"
    full, plain = analyze(_full_width(ascii_text)), analyze(ascii_text)
    assert full.normalized == ascii_text
    assert full.pinyin_terms == plain.pinyin_terms == ["chongqing"]
    assert full.counted == plain.counted


def test_original_text_is_kept():
    text = _full_width("How many?")
    assert analyze(text).text == text


@pytest.mark.parametrize("word", ["chongqing", "chengdu", "wanzhou", "jiulongpo"])
def test_is_pinyin(word):
    assert is_pinyin(word)


@pytest.mark.parametrize("word", ["bandwidth", "station", "ma", "xyz"])
def test_is_not_pinyin(word):
    # "ma" is one syllable: a name needs two or more.
    assert not is_pinyin(word)


@pytest.mark.parametrize(
    ("kind", "wants"),
    [
        (Asked.PERCENT, True),
        (Asked.QUANTITY, True),
        (Asked.DATE, True),
        (Asked.LIST, False),
        (Asked.OPEN, False),
    ],
)
def test_wants_value(kind, wants):
    assert kind.wants_value is wants


@pytest.mark.parametrize(
    ("text", "counted"),
    [
        ("顶级节点的服务范围覆盖西部多少个省级地区?", ["省级地区"]),
        ("电信普遍服务的中央财政补助惠及了多少个区县?", ["区县"]),
        ("网络建设持续了几年?", []),
        ("满意度连续几年达到满意?", []),
    ],
)
def test_chinese_counted_noun_follows_the_question_word(text, counted):
    assert analyze(text).counted == counted


def test_which_two_asks_a_list():
    assert analyze("行业为哪两个领域建立健全了网络安全制度机制?").asked is Asked.LIST


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("重庆所有行政村都通5G了吗?", "yes_no"),
        ("Were there any regional network outages?", "yes_no"),
        ("卫星便携设备在应急保障中实现了什么?", "open"),  # 什么 ends in 么 but asks no yes or no
        ("电信服务质量用户满意度怎么样?", "open"),  # a rate topic without 多少 asks how it is, not a figure
        ("5G用户普及率是多少?", "percent"),
        ("在哪个世纪，传教士在南非建立了教会学校?", "date"),
    ],
)
def test_kinds_from_the_language_tables(question, kind):
    assert analyze(question).asked.value == kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("特斯拉是哪一年去世的?", True),
        ("What year did Tesla die?", True),
        ("In which year was it built?", True),
        ("特斯拉什么时候去世?", False),  # when: the whole date
        ("在哪一年代转为彩色?", False),  # a decade
        ("When did he die?", False),
    ],
)
def test_asks_year(text, expected):
    assert analyze(text).asks_year is expected
