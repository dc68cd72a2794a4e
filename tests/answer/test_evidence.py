"""Evidence rules: clauses, the values a question accepts, and what a sentence must name."""

from __future__ import annotations

import pytest

from qa.answer.evidence import _has_new_place, _has_person, context_of, kind_present, missing_by_rule
from qa.answer.figures import clause_bounds, counts_asked_thing, matching_values, value_window
from qa.answer.lexicon import Lexicon, focus_coverage, soft_coverage
from qa.answer.question import analyze
from qa.schemas import Document, Sentence
from qa.text.values import find_values

PORTS = "每万人拥有5G基站数超38个,10G-PON及以上端口数量超68万个,基本建成主城都市区全光底座。"
STATIONS = "全市建成5G基站12万个。"
CITIES = "重庆骨干直联点实现与53个城市直联。"
PHONES = "移动电话用户数达到4000万户。"
CENTERS = "中国电信云计算重庆基地、中国联通西南数据中心等数据中心相继投入使用。"
VILLAGE = "走进重庆市九龙坡区民主村,万兆网络街区在此落地。"
LINK = "持续优化重庆、成都国家级互联网骨干直联点网络能力,两地直联带宽达到9540GB。"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon([PORTS, STATIONS, CITIES, PHONES, CENTERS, VILLAGE, LINK])


def value(text: str, written: str):
    return next(v for v in find_values(text) if v.text == written)


def texts(values) -> list[str]:
    return [v.text for v in values]


# clause_bounds, value_window


@pytest.mark.parametrize(
    ("offset", "clause"),
    [
        (0, "每万人拥有5G基站数超38个"),
        (20, "10G-PON及以上端口数量超68万个"),
        (40, "基本建成主城都市区全光底座"),
    ],
)
def test_clause_bounds_keep_the_marks_out(offset, clause):
    lo, hi = clause_bounds(PORTS, offset)
    assert PORTS[lo:hi] == clause


@pytest.mark.parametrize("mark", [",", "，", ";", "；", ":", "：", "。", "!", "！", "?", "？"])
def test_clause_bounds_split_at_ascii_and_full_width_marks(mark):
    text = f"建成5G基站12万个{mark}普及率达到84%"
    assert clause_bounds(text, text.index("84%")) == (text.index(mark) + 1, len(text))


def test_clause_bounds_without_marks_is_the_whole_text():
    assert clause_bounds("abc", 1) == (0, 3)


def test_value_window_is_the_values_clause():
    assert value_window(PORTS, value(PORTS, "68万个")) == "10G-PON及以上端口数量超68万个"


def test_value_window_adds_the_clause_before_when_the_value_starts_its_clause():
    text = "累计建成5G基站,达到12万个。"
    assert value_window(text, value(text, "12万个")) == "累计建成5G基站,达到12万个"


def test_value_window_has_no_clause_before_the_first():
    text = "12万个基站建成,覆盖全市。"
    assert value_window(text, value(text, "12万个")) == "12万个基站建成"


# matching_values, counts_asked_thing


def test_figure_of_another_thing_is_dropped(lexicon):
    question = analyze("有多少个5G基站?")
    assert not counts_asked_thing(question, PORTS, value(PORTS, "68万个"), lexicon)


def test_figure_of_the_counted_thing_is_kept(lexicon):
    question = analyze("有多少个5G基站?")
    assert texts(matching_values(question, STATIONS, find_values(STATIONS), lexicon)) == ["12万个"]


def test_without_a_lexicon_the_counted_thing_is_not_checked():
    question = analyze("有多少个5G基站?")
    assert texts(matching_values(question, PORTS, find_values(PORTS))) == ["68万个"]


def test_rate_is_dropped_when_a_total_is_asked(lexicon):
    # The clause names 基站, but counts them per 10,000 people.
    text = "每万人拥有5G基站数超38个。"
    question = analyze("有多少个5G基站?")
    assert texts(matching_values(question, text, find_values(text), lexicon)) == []


def test_rate_is_kept_when_a_rate_is_asked(lexicon):
    text = "电信业务总量年均增长20.3%,电信业务收入年均增长7.6%。"
    question = analyze("电信业务收入每年平均增长几个百分点?")
    assert "7.6%" in texts(matching_values(question, text, find_values(text), lexicon))


def test_question_term_the_corpus_never_uses_is_not_required(lexicon):
    question = analyze("有多少个卫星终端?")  # neither 卫星 nor 终端 is in the lexicon
    assert question.focus_terms
    assert counts_asked_thing(question, STATIONS, value(STATIONS, "12万个"), lexicon)


def test_counting_years_needs_no_counted_thing(lexicon):
    # 持续 is a focus term the corpus uses, and the clause of "5年" lacks it: time is what is counted.
    text = "网络建设成效显著,全市各区县已经连续推进了5年。"
    question = analyze("网络建设持续了几年?")
    assert lexicon.knows("持续")
    assert counts_asked_thing(question, text, value(text, "5年"), lexicon)


def test_english_counted_thing_must_be_glossed_near_the_figure(lexicon):
    question = analyze("How many mobile phone subscribers are there?")
    assert not counts_asked_thing(question, CITIES, value(CITIES, "53个"), lexicon)
    assert counts_asked_thing(question, PHONES, value(PHONES, "4000万户"), lexicon)


def test_percent_question_takes_only_percentages():
    text = "全市建成5G基站12万个,普及率达到84%。"
    assert texts(matching_values(analyze("普及率是多少?"), text, find_values(text))) == ["84%"]


def test_date_question_takes_only_dates():
    text = "发布时间:2025-12-02,共3条。"
    assert texts(matching_values(analyze("发布时间是什么时候?"), text, find_values(text))) == ["2025-12-02"]


def test_strict_unit_must_match():
    text = "累计投入超50亿元,建成基站2776个。"
    assert texts(matching_values(analyze("累计投入了多少亿元?"), text, find_values(text))) == ["50亿元"]


def test_unit_family_filters_figures():
    text = "两地直联带宽达到9540GB,与53个城市直联。"
    assert texts(matching_values(analyze("直联带宽是多少?"), text, find_values(text))) == ["9540GB"]


@pytest.mark.parametrize("question", ["哪几个数据中心相继投入使用?", "介绍一下工业互联网"])
def test_questions_wanting_no_value_match_none(question):
    assert matching_values(analyze(question), STATIONS, find_values(STATIONS)) == []


# kind_present and its checks


def test_value_question_needs_a_value():
    question = analyze("5G移动电话用户普及率是多少?")
    assert not kind_present(question, "普及率稳步提升", [])
    assert kind_present(question, "普及率达到84%", find_values("普及率达到84%"))


def test_list_question_needs_an_enumeration():
    question = analyze("哪几个数据中心相继投入使用?")
    assert kind_present(question, CENTERS, [])
    assert not kind_present(question, "数据中心相继投入使用。", [])


def test_open_question_takes_any_sentence():
    assert kind_present(analyze("介绍一下工业互联网"), "任何句子", [])


@pytest.mark.parametrize("text", ["张明担任总经理。", "由王小明负责。", "李四是负责人"])
def test_has_person(text):
    assert _has_person(text)


@pytest.mark.parametrize("text", ["坚持发展和规范双向驱动,惠企和利民双向发力。", "中国联通西南数据中心"])
def test_has_person_rejects_non_names(text):
    # jieba guesses 惠企 to be a name; it is neither in its dictionary nor led by a surname.
    assert not _has_person(text)


def test_person_question_needs_a_person():
    question = analyze("总经理是谁?")
    assert kind_present(question, "张明担任总经理。", [])
    assert not kind_present(question, "惠企和利民双向发力", [])


@pytest.mark.parametrize("text", ["民主村位于重庆。", "民主村位于重庆市。"])
def test_question_own_place_is_not_a_new_place(text):
    assert not _has_new_place(text, analyze("民主村设在重庆哪个区?"))


@pytest.mark.parametrize("text", [VILLAGE, "位于九龙坡区", "项目在成都落地"])
def test_new_place(text):
    assert _has_new_place(text, analyze("民主村设在重庆哪个区?"))


def test_place_question_needs_a_new_place():
    question = analyze("民主村设在重庆哪个区?")
    assert kind_present(question, VILLAGE, [])
    assert not kind_present(question, "民主村位于重庆市。", [])


# missing_terms


def document(text: str) -> Document:
    return Document(doc_id="d", title="重庆市信息通信业综述", source="d.txt", text=text, sections=[])


def sentence(doc: Document, text: str) -> Sentence:
    start = doc.text.index(text)
    return Sentence(
        doc_id="d", section="", start=start, end=start + len(text), text=text, sentence_id="s", chunk_id="c"
    )


def missing(question: str, text: str, lexicon: Lexicon, doc_text: str | None = None) -> list[str]:
    doc = document(doc_text or text)
    found = missing_by_rule(analyze(question), context_of(doc, sentence(doc, text)), doc, lexicon)
    return list(dict.fromkeys(t for terms in found.values() for t in terms))


def test_nothing_missing_when_the_sentence_names_everything(lexicon):
    assert missing("成都的直联带宽是多少?", LINK, lexicon) == []


def test_missing_code(lexicon):
    assert missing("6G直联带宽是多少?", LINK, lexicon) == ["6G"]


def test_missing_place_the_corpus_knows(lexicon):
    assert "成都" in missing("成都有多少个城市直联?", CITIES, lexicon)


def test_missing_common_place_the_corpus_never_names(lexicon):
    assert missing("北京的直联带宽是多少?", LINK, lexicon) == ["北京"]


def test_year_earlier_in_the_paragraph_does_not_date_the_sentence(lexicon):
    paragraph = "截至2024年,业务保持增长。两地直联带宽达到9540GB。"
    assert missing("2024年直联带宽是多少?", "两地直联带宽达到9540GB。", lexicon, paragraph) == ["2024"]


def test_year_in_the_sentence_dates_it(lexicon):
    assert missing("2024年直联带宽是多少?", "2024年两地直联带宽达到9540GB。", lexicon) == []


def test_document_title_counts_as_context(lexicon):
    # The sentence does not name 重庆; the title "重庆市信息通信业综述" does.
    assert missing("重庆的直联带宽是多少?", "两地直联带宽达到9540GB。", lexicon) == []


def test_missing_pinyin_name(lexicon):
    question = "What is the bandwidth between Chongqing and Chengdu?"
    assert missing(question, CITIES, lexicon) == ["chengdu"]
    assert missing(question, LINK, lexicon) == []


# soft_coverage, focus_coverage


def test_soft_coverage_full_when_all_words_present(lexicon):
    assert soft_coverage(analyze("直联带宽有多大?"), LINK, lexicon) == 1.0


def test_soft_coverage_partial(lexicon):
    assert 0.0 < soft_coverage(analyze("直联带宽有多大?"), CITIES, lexicon) < 1.0


def test_focus_coverage_counts_bigram_parts_half():
    question = analyze("移动物联网终端用户有多少户?")
    assert question.focus_terms == ["联网", "终端用户"]
    assert focus_coverage(question, "用户") == 0.25


def test_focus_coverage_without_focus_terms_is_full():
    assert focus_coverage(analyze("How many base stations?"), "无关") == 1.0


# end states, counts and shares

PENETRATION = "5G移动电话用户普及率“十四五”期间从9%提升至84%,年均增长7.6%。"


def test_end_state_of_a_change_is_not_a_rate(lexicon):
    found = matching_values(
        analyze("5G移动电话用户普及率是多少?"), PENETRATION, find_values(PENETRATION), lexicon
    )
    assert "84%" in texts(found)
    assert "7.6%" not in texts(found)  # a growth rate, and the question asks no rate


def test_count_question_is_not_answered_by_a_share(lexicon):
    text = "移动物联网终端用户达5777万户,普及率达到84%。"
    found = matching_values(analyze("移动物联网终端用户有多少?"), text, find_values(text), lexicon)
    assert texts(found) == ["5777万户"]


def test_unit_that_begins_the_asked_noun_counts_it(lexicon):
    text = "工业互联网标识解析国家顶级节点接入二级节点共55,服务西部10省(自治区、直辖市)。"
    q = analyze("顶级节点的服务范围覆盖西部多少个省级地区?")
    assert counts_asked_thing(q, text, value(text, "10省"), lexicon)


def test_english_date_must_sit_in_a_clause_about_the_question(lexicon):
    text = "重庆成为2024中国5G运营省市传播建设10强之一。"
    asked_villages = analyze("When did all Chongqing villages get 5G?")
    assert matching_values(asked_villages, text, find_values(text), lexicon) == []
