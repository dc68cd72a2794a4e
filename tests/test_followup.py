"""Follow-up resolution as pure logic: which turns are follow-ups and what they become.

The expected rewrites follow the rule documented in ``qa.answer.followup``: a new topic
keeps the previous question's frame, a question without a subject gets the previous topic,
a full question stands alone. No model is loaded here.
"""

from __future__ import annotations

import pytest

from qa.answer.followup import resolve, resolve_conversation, split_frame

INVEST = "电信固定资产投资4年累计超过多少亿元?"
LINK = "重庆和成都两地直联带宽达到多少?"
STATIONS_EN = "How many 5G base stations per 10,000 people does Chongqing have?"


def test_first_turn_is_left_alone():
    r = resolve("那农村呢?", None)
    assert (r.kind, r.resolved, r.candidates) == ("standalone", "那农村呢?", ["那农村呢?"])


def test_new_topic_keeps_the_previous_frame_zh():
    r = resolve("那农村呢?", INVEST)
    assert r.kind == "topic"
    assert r.resolved.startswith("农村") and r.resolved.endswith("多少亿元?")
    assert "电信" not in r.resolved and "固定资产" not in r.resolved  # the old topic is replaced
    assert r.previous == INVEST
    assert r.candidates == [r.resolved, "农村?"]


def test_new_topic_keeps_the_previous_frame_en():
    r = resolve("and the 10G-PON ports?", STATIONS_EN)
    assert r.kind == "topic"
    assert r.resolved == "How many 10G-PON ports?"


@pytest.mark.parametrize(
    "turn", ["what about the 10G-PON ports?", "How about 10G-PON ports", "And 10G-PON ports?"]
)
def test_english_continuation_words(turn):
    assert resolve(turn, STATIONS_EN).resolved == "How many 10G-PON ports?"


@pytest.mark.parametrize("turn", ["农村呢", "那么农村呢?", "还有农村呢?", "农村怎么样?", "农村?"])
def test_chinese_continuation_forms(turn):
    r = resolve(turn, INVEST)
    assert r.kind == "topic" and r.resolved.startswith("农村") and "多少亿元" in r.resolved


def test_question_without_subject_gets_the_previous_topic():
    r = resolve("那与多少个城市直联呢?", LINK)
    assert r.kind == "elliptical"
    assert r.resolved.startswith("重庆和成都") and r.resolved.endswith("与多少个城市直联?")
    assert r.candidates[-1] == "与多少个城市直联?"  # the bare question is the fallback


def test_pronoun_is_replaced_by_the_previous_topic():
    zh = resolve("它服务了多少个行业?", "工业互联网标识解析国家顶级节点接入了多少个二级节点?")
    assert zh.kind == "elliptical" and zh.resolved.startswith("工业互联网标识解析国家顶级节点")
    assert "它" not in zh.resolved
    link_en = "What is the direct-link bandwidth between Chongqing and Chengdu?"
    en = resolve("how many cities is it linked with?", link_en)
    assert en.resolved == f"how many cities is {link_en[12:-1]} linked with?"


@pytest.mark.parametrize(
    "turn",
    ["千兆宽带用户数增长了多少倍?", "When was the report published?", "重庆建成了多少个5G行业虚拟专网?"],
)
def test_full_questions_stand_alone(turn):
    r = resolve(turn, LINK)
    assert (r.kind, r.resolved, r.candidates, r.previous) == ("standalone", turn, [turn], None)


def test_continuation_word_before_a_full_question_is_dropped():
    r = resolve("那千兆宽带用户数增长了多少倍?", LINK)
    assert r.kind == "standalone" and r.resolved == "千兆宽带用户数增长了多少倍?"


def test_codes_follow_the_conversation_language():
    r = resolve("那6G呢?", LINK)
    assert r.resolved.startswith("6G") and r.resolved.endswith("达到多少?")


def test_previous_question_without_question_words_is_combined_whole():
    r = resolve("那农村呢?", "介绍一下信息基础设施建设")
    assert r.resolved == "介绍一下信息基础设施建设农村?"


def test_a_chain_of_follow_ups_keeps_the_first_frame():
    r = resolve_conversation(["每万人拥有5G基站数超过多少个?", "那10G-PON端口呢?", "那千兆宽带用户呢?"])
    assert r.previous == "10G-PON端口超过多少个?"
    assert r.resolved == "千兆宽带用户超过多少个?"


def test_an_unrelated_question_resets_the_chain():
    r = resolve_conversation([INVEST, "那农村呢?", LINK])
    assert (r.kind, r.resolved) == ("standalone", LINK)


def test_conversation_needs_a_question():
    with pytest.raises(ValueError):
        resolve_conversation([])


@pytest.mark.parametrize(
    ("question", "topic", "frame"),
    [
        (INVEST, "电信固定资产投资4年", "累计超过多少亿元"),
        ("5G移动电话用户普及率从多少提升到多少?", "5G移动电话用户普及率", "从多少提升到多少"),
        (STATIONS_EN, "5G base stations per 10,000 people does Chongqing have", "How many"),
        ("How much was invested in rural areas?", "in rural areas", "How much was invested"),
        ("介绍一下信息基础设施建设", "介绍一下信息基础设施建设", ""),
    ],
)
def test_split_frame(question, topic, frame):
    assert split_frame(question) == (topic, frame)


# --- follow-ups in the other language ---------------------------------------------------------

STATIONS_ZH = "重庆有多少个5G基站?"


@pytest.mark.parametrize(
    ("turn", "previous", "resolved"),
    [
        # The previous question's kind, asked in the follow-up's language (the language tables' frames).
        ("What about the 10G-PON ports?", STATIONS_ZH, "How many 10G-PON ports?"),
        ("那10G-PON端口呢?", STATIONS_EN, "10G-PON端口有多少?"),
        ("And the rural areas?", "5G用户普及率是多少?", "What is the percentage of rural areas?"),
    ],
)
def test_a_follow_up_in_the_other_language_is_asked_in_its_own(turn, previous, resolved):
    r = resolve(turn, previous)
    assert (r.kind, r.resolved) == ("topic", resolved)


def test_what_a_chinese_frame_counts_belongs_to_the_topic():
    # "有多少个5G基站": 5G基站 is what is counted, so a new topic replaces it rather than
    # being asked "how many 5G base stations" of ("10G-PON端口有多少个5G基站?" reads as nonsense).
    assert split_frame(STATIONS_ZH) == ("重庆5G基站", "有多少个")
    assert resolve("那10G-PON端口呢?", STATIONS_ZH).resolved == "10G-PON端口有多少个?"
