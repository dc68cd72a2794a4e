"""Language detection, traditional->simplified folding and jieba tokens for BM25.

Users of Chinese retrieval systems report that naive character or whitespace tokens
ruin keyword recall, so BM25 runs on a real segmenter (jieba, search mode: long words
also yield their parts, e.g. 工业互联网 -> 工业, 互联网, 工业互联网). Question words and
function words carry no evidence and are dropped on both sides.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from enum import StrEnum
from functools import lru_cache

# Chinese text mixes full-width and ASCII punctuation (this report writes ASCII commas), so
# every rule that cuts text at punctuation takes both forms from here. A formatter or an
# editor that folds full-width marks must not touch these lines.
SENTENCE_END = "。！？!?"
SEMICOLONS = "；;"
COMMAS = "，,"
COLONS = "：:"
CLAUSE_END = SENTENCE_END + SEMICOLONS + COMMAS + COLONS


# A clause ends at a sentence end, semicolon, comma or colon, except a comma inside a number
# (68,511: a thousands separator, part of the number) and a colon before a digit (18:06, a time).
CLAUSE_MARK = re.compile(r"[。！？!?；;，]|(?<!\d),|,(?!\d{3}(?!\d))|[：:](?!\d)")


def marks(chars: str) -> str:
    """A regex character class of ``chars``."""
    return "[" + re.escape(chars) + "]"


CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs (Ext. A, unified, compatibility)
_CJK_CHAR = re.compile(f"[{CJK}]")


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))


_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_TOKEN_OK = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)

# Stopwords as space-separated text, split once at import: easier to read and edit than a
# list literal of some 180 quoted words (hence the SIM905 exemptions).
ZH_STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 有 为 对 以 等 中 个 也 都 就 而 或 被 把 其 之 于 从 到 由 向 上 下
    多少 几 几个 什么 哪些 哪个 哪里 哪 如何 怎样 怎么 怎么样 是否 吗 呢 吧 啊 呀 请问 请 一下
    告诉 我 你 我们 他们 它 这 那 这个 那个 这些 那些 报告 提到 说 介绍 关于 方面 情况 多 大 达到
    了解 知道 想 问 问题 具体 共 一共 总共 目前 现在 已经 还 又 得 地 着 过 所 啦 哦 嗯
    按 算 按照 根据 依据 文中 文章 综述 其中 方面的 怎么样 如何""".split()
)
EN_STOPWORDS = frozenset(
    """a an the of in on at to for from by with and or is are was were be been being what which
    who whom whose when where why how many much does do did has have had it its this that these
    those there their they them as about into than then so such can could would should will
    report say says said tell me please according i you we our your number""".split()
)


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


def detect_language(text: str) -> Language:
    """Chinese when at least a fifth of the letters are CJK: mixed questions read as Chinese."""
    cjk = len(_CJK_CHAR.findall(text))
    latin = sum(len(w) for w in _LATIN_WORD.findall(text))
    if cjk == 0:
        return Language.EN
    return Language.ZH if cjk * 2 >= latin * 0.4 else Language.EN


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _tw2sp():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("tw2sp")


@lru_cache(maxsize=16384)
def normalize_query(text: str) -> str:
    """NFKC width folding and traditional -> simplified, for matching only (never for quoting).

    Memoized: the answerer folds the same indexed sentences for every question, and the
    pure-Python OpenCC converter was a third of an answer's own (non-encoder) time.
    """
    folded = unicodedata.normalize("NFKC", text)
    if _CJK_CHAR.search(folded):
        simplified = _t2s().convert(folded)
        # Traditional text also gets Taiwan phrasing mapped (網路頻寬 → 网络带宽, 寬頻 → 宽带);
        # only then: on simplified text tw2sp would turn 什么 into 什幺.
        folded = _tw2sp().convert(folded) if simplified != folded else simplified
    return folded.strip()


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def word_frequency(word: str) -> int:
    """The word's frequency in jieba's dictionary of general Chinese (0 when unknown)."""
    return int(_jieba().dt.FREQ.get(word, 0))


TOKENIZER_VERSION = 2  # bump when tokens change: the BM25 index must be rebuilt
_ALNUM = re.compile(r"[a-z0-9]+(?:[-+.][a-z0-9]+)*")


def _cjk_words(text: str) -> list[str]:
    return [w for w in _jieba().lcut_for_search(text) if w.strip()]


def tokenize(text: str) -> list[str]:
    """BM25 tokens: jieba search-mode words, lower-cased, without punctuation or stopwords.

    Latin/digit runs are cut out before jieba sees them, because jieba splits "6G" into
    "6" and "G"; a run like "10g-pon" also yields its parts ("10g", "pon").
    """
    text = unicodedata.normalize("NFKC", text).lower()
    raw: list[str] = []
    pos = 0
    for match in _ALNUM.finditer(text):
        raw.extend(_cjk_words(text[pos : match.start()]))
        token = match.group()
        raw.append(token)
        if "-" in token or "+" in token:
            raw.extend(p for p in re.split(r"[-+]", token) if p)
        pos = match.end()
    raw.extend(_cjk_words(text[pos:]))
    return [
        t
        for t in (t.strip() for t in raw)
        if t and _TOKEN_OK.search(t) and t not in ZH_STOPWORDS and t not in EN_STOPWORDS
    ]
