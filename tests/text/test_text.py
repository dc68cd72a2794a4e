"""Language detection, query normalization and BM25 tokens."""

from __future__ import annotations

import pytest

from qa.text import EN_STOPWORDS, ZH_STOPWORDS, Language, detect_language, normalize_query, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("重庆和成都的互联网直联带宽有多大?", Language.ZH),
        ("每万人拥有5G基站数超38个", Language.ZH),
        ("What is the direct-link bandwidth between Chongqing and Chengdu?", Language.EN),
        ("How many 5G base stations per 10,000 people?", Language.EN),
        ("", Language.EN),
        ("12345 ?!", Language.EN),
        # mixed: a Chinese question with Latin terms reads as Chinese
        ("重庆的5G-RedCap覆盖情况如何?", Language.ZH),
        ("10G-PON端口有多少个?", Language.ZH),
        ("XR沉浸式体验和AGV在哪里应用?", Language.ZH),
        # mixed: an English question quoting a Chinese name reads as English
        ("What does the report say about the project called 渝快办 and its operation?", Language.EN),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) is expected


def test_detect_language_traditional_chinese():
    assert detect_language("重慶的互聯網直聯頻寬有多大?") is Language.ZH


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("重慶", "重庆"),
        ("重慶市資訊通信業", "重庆市信息通信业"),  # Taiwan phrasing mapped too (資訊 → 信息)
        ("互聯網直聯頻寬", "互联网直联带宽"),
        ("寬頻用戶", "宽带用户"),
        ("叫什麼名字", "叫什么名字"),
        ("５Ｇ基站", "5G基站"),
        ("ＡＢＣ１２３", "ABC123"),
        ("带宽有多大？", "带宽有多大?"),
        ("  重庆  ", "重庆"),
        ("\u3000重庆\u3000", "重庆"),
        ("Hello World", "Hello World"),
        ("What is ５Ｇ?", "What is 5G?"),
        ("9540GB", "9540GB"),
    ],
)
def test_normalize_query(raw, expected):
    assert normalize_query(raw) == expected


@pytest.mark.parametrize("text", ["重庆和成都的互联网直联带宽有多大?", "局长叫什么名字?", "软体和网路"])
def test_normalize_query_keeps_simplified_unchanged(text):
    # Taiwan-phrase mapping runs on traditional text only: on simplified text OpenCC's
    # tw2sp would turn 什么 into 什幺.
    assert normalize_query(text) == text


def test_tokenize_drops_stopwords_and_punctuation():
    tokens = tokenize("请问重庆的5G基站有多少个?")
    assert tokens == ["重庆", "5g", "基站"]
    for dropped in ("请问", "的", "多少", "个", "?", "?"):
        assert dropped not in tokens


def test_tokenize_english_stopwords():
    tokens = tokenize("What is the direct-link bandwidth between Chongqing and Chengdu?")
    assert "bandwidth" in tokens and "chongqing" in tokens and "chengdu" in tokens
    for dropped in ("what", "is", "the", "and", "?"):
        assert dropped not in tokens
    assert tokenize("What is the number of the") == []


def test_tokenize_lowercases_and_folds_width():
    assert tokenize("５Ｇ") == tokenize("5G") == ["5g"]
    assert tokenize("BANDWIDTH") == ["bandwidth"]


@pytest.mark.parametrize(
    ("text", "must_have"),
    [
        ("5G", {"5g"}),
        ("10G-PON", {"10g-pon", "10g", "pon"}),
        ("5G-A网络", {"5g", "网络"}),
        ("5G-RedCap", {"5g", "redcap"}),
        ("10G-PON及以上端口数量超68万个", {"10g-pon", "端口", "68"}),
        ("每万人拥有5G基站数超38个", {"5g", "基站", "38"}),
    ],
)
def test_tokenize_keeps_technical_tokens(text, must_have):
    tokens = tokenize(text)
    assert must_have <= set(tokens), tokens


def test_tokenize_keeps_decimals_and_units():
    tokens = tokenize("2024年移动接入流量82.8亿G")
    assert "82.8" in tokens
    assert "9540gb" in tokenize("两地直联带宽达到9540GB")


def test_tokenize_search_mode_yields_parts_of_long_words():
    tokens = tokenize("互联网直联带宽")
    assert {"互联网", "直联", "带宽"} <= set(tokens)
    assert "联网" in tokens  # search mode also emits the parts of 互联网


def test_tokenize_only_punctuation_or_empty():
    assert tokenize("") == []
    assert tokenize("!?。,、“”——……") == []
    assert tokenize("   \n\t ") == []


def test_tokens_contain_no_stopwords_or_blanks():
    text = "“十四五”以来,重庆市信息通信业深入学习贯彻党的二十大和二十届历次全会精神。What is the 5G rate?"
    for token in tokenize(text):
        assert token == token.strip() and token
        assert token not in ZH_STOPWORDS and token not in EN_STOPWORDS
        assert token == token.lower()


def test_query_and_document_tokens_meet():
    """A traditional-script question, once normalized, shares tokens with the report's wording."""
    doc_tokens = set(tokenize("持续优化重庆、成都国家级互联网骨干直联点网络能力,两地直联带宽达到9540GB。"))
    query_tokens = set(tokenize(normalize_query("重慶和成都的互聯網直聯帶寬有多大?")))
    assert {"重庆", "成都", "直联", "带宽"} <= query_tokens & doc_tokens
