"""The words of a question: which must be in the evidence, what is counted, what is asked.

Split out of question analysis because each needs its own rule: codes and years must
appear verbatim (6G, 2023), places and organisations when the corpus knows them, the
noun after 多少/几 names what a figure must count, and an English question's capitalised
pinyin (Chongqing, Wanzhou) is a Chinese place name to find in the evidence.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from qa.answer.gloss import stem_words
from qa.lang import EN, ZH, alternation
from qa.text import EN_STOPWORDS, ZH_STOPWORDS, Language, word_frequency
from qa.text.values import ValueKind, find_values

_ALNUM = re.compile(r"[A-Za-z0-9]+(?:[-+.][A-Za-z0-9]+)*")


_YEAR = re.compile(r"(?:19|20)\d{2}年?")


_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)", re.I)


# English words that spell valid pinyin but are English (so are never matched as pinyin).
_NOT_PINYIN = frozenset(
    "china chinese hongkong hong kong macao macau taiwan asia japan korea india tibet a an ban bang "
    "ben ding fan gang gen hang he hen lang long man men mi ming nan pan pen ran sang shan "
    "tan ten wan wen yang zen".split()
)


WH = re.compile(EN.question_words, re.I)


def asking_part(text: str, long: int = 80) -> str:
    """The asking part of a long, chatty question ("Hi, I'm preparing slides… how many X?").

    Greetings and context add words the report never uses and dilute the word overlap;
    the sentence (or clause after a colon) holding the question word is what is asked.
    """
    if len(text) <= long:
        return text
    pieces = [p for p in re.split(r"(?<=[.!?:;])\s+", text) if p.strip()]
    asking = [p for p in pieces if WH.search(p)]
    return asking[-1] if asking else text


_LIST_MEASURE = re.compile(r"哪(?:几|[两三四五六七八九十])([级类种项个方面])")


def list_measure(text: str) -> str | None:
    """The measure word of "分为哪几级": a sentence saying "市区两级" answers it without a list."""
    match = _LIST_MEASURE.search(text)
    return match.group(1) if match else None


_COUNTED = re.compile(
    r"\b(?:how (?:many|much)|number of|amount of)\s+((?:[\w+-]+\s+){0,4}?[\w+-]+?)"
    r"(?=\s+(?:do|does|did|are|is|were|was|have|has|had|in|of|at|for|with|on|by|been|can|will|there|"
    r"that|from|under|per|across|and)\b|\s*[?,.]|\s*$)",
    re.I,
)


_COUNTED_ZH = re.compile(
    rf"(?:{ZH.how_many})({alternation(ZH.count_measures + ZH.time_units)})?([^\s,，。?？!！;；、]{{0,8}})"
)


def counted_zh(text: str) -> list[str]:
    """The noun right after 多少/几 ("多少个省级地区" → 省级地区): what a count is of."""
    match = _COUNTED_ZH.search(text)
    if not match or match.group(1) in ZH.time_units:
        return []
    words = list(posseg().cut(match.group(2)))
    first = next((p for p in words if p.word.strip()), None)
    if (
        first is None
        or not first.flag.startswith(("n", "j", "b"))
        or not re.search(r"[\u4e00-\u9fff]", first.word)
    ):
        return []
    noun = first.word
    for p in words[words.index(first) + 1 :]:  # 省级 + 地区
        if not p.flag.startswith(("n", "j")):
            break
        noun += p.word
    return [noun]


_ROLE = re.compile(
    r"\bwho (?:is|was|are|were) (?:the |a |an )?((?:[\w-]+ ){0,3}?[\w-]+?)"
    r"(?= of\b| at\b| for\b| in\b|\s*[?.]|$)",
    re.I,
)


def counted_en(text: str) -> list[str]:
    """What an English question counts or measures ("how many base stations were built" → base, station),
    or the role it asks a name for ("who is the director of …" → director)."""
    match = _COUNTED.search(text) or _ROLE.search(text)
    if not match:
        return []
    return stem_words(match.group(1))


@lru_cache(maxsize=1)
def posseg():  # type: ignore[no-untyped-def]
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg


@lru_cache(maxsize=4096)
def tagged(text: str) -> tuple[tuple[str, str], ...]:
    """(word, part of speech) pairs; memoized because candidate sentences recur in every answer."""
    return tuple((p.word, p.flag) for p in posseg().cut(text))


def _is_code(token: str) -> bool:
    """Model numbers and technology names (6G, 5G-A, 10G-PON, 8K); not "10-gigabit" or "14th"."""
    if not any(c.isdigit() for c in token) or not any(c.isalpha() for c in token):
        return False
    if _ORDINAL.fullmatch(token):
        return False
    return all(len(run) <= 4 or not run.islower() for run in re.findall(r"[A-Za-z]+", token))


def split_terms(
    text: str, language: Language, common_place_freq: int = 1000
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Split the question's words by how strictly evidence must contain them.

    hard: codes and years, always required; entities: places, organisations and
    acronyms, required when the corpus knows them (a term it never uses may be a
    paraphrase); common places: well-known place names, required even when the corpus
    never names them (a question about 北京 is not answered by a passage about 重庆).
    """
    hard: list[str] = []
    soft: list[str] = []
    entities: list[str] = []
    common: list[str] = []
    for match in _ALNUM.finditer(text):
        token = match.group()
        if token.lower() in EN_STOPWORDS:
            continue
        if _is_code(token):
            hard.append(token)
        elif token.isupper() and len(token) >= 2:
            (hard if language is Language.ZH else entities).append(token)
    for match in _YEAR.finditer(text):
        if match.group() not in hard:
            hard.append(match.group().rstrip("年"))
    if language is Language.ZH:
        # A count the question states ("23个全国千兆城市具体是哪些") names what it asks about.
        hard += [
            v.text
            for v in find_values(text)
            if v.kind is ValueKind.QUANTITY and v.text[0].isdigit() and v.unit and v.text not in hard
        ]
    cjk_only = _ALNUM.sub(" ", text)
    tags = posseg().dt.word_tag_tab
    for raw, flag in tagged(cjk_only):
        word = raw.strip()
        if len(word) < 2 or word in ZH_STOPWORDS or not re.search(r"[\u4e00-\u9fff]", word):
            continue
        if flag in ("ns", "nt"):
            entities.append(word)
            if tags.get(word) == flag and word_frequency(word) >= common_place_freq:
                common.append(word)
        if flag.startswith(("n", "v", "a")) or flag in ("l", "i", "j"):
            soft.append(word)
    return _unique(hard), _unique(soft), _unique(entities), _unique(common)


_QUESTION_WORD = re.compile(ZH.question_words)


def focus_terms(text: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """What is measured or asked about: the nouns right before the question word.

    In "重庆顶级节点累计的标识注册量超过多少?" the value must be the 标识注册量, not any
    other figure of the 顶级节点 sentence; when the question word comes first
    ("有多少个企业节点…"), the nouns after it. ``skip`` holds the corpus's subject words.
    """
    match = _QUESTION_WORD.search(text)
    words = [
        (word, flag)
        for word, flag in tagged(_ALNUM.sub(" ", text))  # the same cut as split_terms'
        if len(word) >= 2
        and word not in ZH_STOPWORDS
        and word not in ZH.focus_skip
        and "哪" not in word
        and flag.startswith(("n", "v", "a", "l", "j"))
        and word not in skip
    ]
    if not words:
        return []
    if match is None:
        return [w for w, _ in words[-2:]]
    before_text = _ALNUM.sub(" ", text[: match.start()])
    before, after = [], []
    consumed = 0
    for word, _ in words:
        idx = before_text.find(word, consumed)
        if idx >= 0:
            before.append(word)
            consumed = idx + len(word)
        else:
            after.append(word)
    # "接入了多少感知设备": a noun right after the question word is what is counted.
    tail = re.sub(
        r"^(?:多少|几)[个家座条项类户次台套所件处名位种批]?", "", _ALNUM.sub("", text[match.start() :])
    )
    if after and after[0] in tail[: len(after[0]) + 3]:
        return after[:1] + before[-1:]
    return before[-2:] if before else after[:2]


def pinyin_names(text: str) -> list[str]:
    """Capitalised words of an English question that spell pinyin: likely Chinese place names."""
    names = []
    words = re.findall(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)?\b", text.strip())
    for word in words:
        joined = word.replace(" ", "").lower()
        if joined in _NOT_PINYIN or joined in EN_STOPWORDS or len(joined) < 4:
            continue
        if is_pinyin(joined):
            names.append(joined)
    return _unique(names)


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_normal

    found = set()
    for readings in PINYIN_DICT.values():
        for reading in readings.split(","):
            found.add(to_normal(reading))
    # Interjections spelled with no vowel (n, ng, m, hm) would let any English word parse.
    return frozenset(s for s in found if s.isascii() and s.isalpha() and re.search(r"[aeiouv]", s))


def is_pinyin(word: str) -> bool:
    """Whether ``word`` splits into two or more pinyin syllables (Chongqing, Wanzhou)."""
    syllables = _syllables()
    n = len(word)
    reach = [0] * (n + 1)  # fewest syllables to spell word[:i]; 0 = not reachable
    reach[0] = 0
    ok = [False] * (n + 1)
    ok[0] = True
    for i in range(n):
        if not ok[i]:
            continue
        for j in range(i + 1, min(n, i + 6) + 1):
            if word[i:j] in syllables and (not ok[j] or reach[j] > reach[i] + 1):
                ok[j] = True
                reach[j] = reach[i] + 1
    return ok[n] and reach[n] >= 2


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
