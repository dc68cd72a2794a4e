"""Question analysis: the language, the kind of thing asked for, and the terms it names.

The answerer needs to know what a good answer must contain: a percentage for
"普及率是多少", an amount in 元 for "多少亿元", a date for "when". It also needs the
question's specific terms (6G, 成都, Chengdu, 2023年), because an answer about 5G, about
Chongqing or about another year does not answer the question, however similar it reads.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from qa.answer.gloss import question_terms, stem_words
from qa.answer.values import ValueKind, find_values
from qa.text import EN_STOPWORDS, ZH_STOPWORDS, Language, detect_language, normalize_query


class Asked(StrEnum):
    """What kind of answer the question asks for."""

    PERSON = "person"
    PERCENT = "percent"
    QUANTITY = "quantity"
    DATE = "date"
    LIST = "list"
    PLACE = "place"
    NAME = "name"
    OPEN = "open"

    @property
    def wants_value(self) -> bool:
        return self in (Asked.PERCENT, Asked.QUANTITY, Asked.DATE)


_PATTERNS: list[tuple[Asked, re.Pattern[str]]] = [
    (Asked.PERSON, re.compile(r"是谁|谁是|叫什么名字|姓名|\bwho\b|\bwhom\b|\bwhose name\b", re.I)),
    (
        Asked.DATE,
        re.compile(
            r"何时|什么时候|哪一?年|哪天|哪一天|几月|几号|日期|发布时间|发布于|\bwhen\b|what date|which year|"
            r"what year|what day|\bdated?\b|published",
            re.I,
        ),
    ),
    (
        Asked.PERCENT,
        re.compile(
            r"比例|占比|百分之|百分比|普及率|覆盖率|渗透率|增长率|增速|增幅|满意度|效率|多少%|"
            r"percent|percentage|\brate\b|\bshare\b|penetration|efficiency|%|annual growth|grow(?:th)? by",
            re.I,
        ),
    ),
    (
        Asked.QUANTITY,
        re.compile(
            r"多少|(?<!哪)几[个家座条项类次倍年户万亿]|多大|多高|多长|多久|多快|多远|数量|规模|总量|总数|"
            r"how many|how much|how large|how big|how long|how fast|how far|number of|amount|"
            r"\btotal\b|bandwidth|capacity|latency|\bspeed\b|\bsize\b",
            re.I,
        ),
    ),
    (
        Asked.PLACE,
        re.compile(
            r"哪里|哪儿|在哪|什么地方|哪个(?:地区|区县|城市|区|县|地方)|\bwhere\b|"
            r"which (?:city|district|county|region|place)",
            re.I,
        ),
    ),
    (
        Asked.LIST,
        re.compile(
            r"哪些|有哪|包括什么|包括哪|列举|分别|什么活动|哪几|哪[两三四五六七八九十][个类项种条家]|"
            r"\bwhich\b.*\b\w+s\b|\bwhat are\b|\blist\b|"
            r"\bname the\b|what (?:kinds|types|activities|areas|places|projects|measures)",
            re.I,
        ),
    ),
    (
        Asked.NAME,
        re.compile(
            r"\b谁\b|是谁|叫什么|名称|名字|什么名|哪个|哪家|\bwho\b|what is the name|"
            r"which (?:company|project|organization|plan)",
            re.I,
        ),
    ),
]

COUNT_FAMILY = (
    "",
    "个",
    "家",
    "座",
    "条",
    "项",
    "类",
    "户",
    "次",
    "台",
    "套",
    "所",
    "件",
    "处",
    "名",
    "位",
    "省",
    "城市",
    "区县",
    "县",
    "村",
    "行业",
    "人",
    "批",
    "期",
    "种",
    "年",
)
_ATTRIBUTE_UNITS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"带宽|bandwidth", re.I), ("GB", "TB", "PB", "G", "T", "M", "Gbps", "Mbps", "Tbps")),
    (re.compile(r"流量|traffic", re.I), ("G", "GB", "TB", "PB")),
    (
        re.compile(
            r"投资|投入|资金|收入|金额|营收|经费|补助|补贴|revenue|invest|fund|money|spend|spent|subsid", re.I
        ),
        ("元",),
    ),
    (re.compile(r"面积|\barea\b|acre|hectare", re.I), ("亩", "平方公里", "公顷")),
    (re.compile(r"时延|延迟|latency|delay", re.I), ("毫秒", "秒")),
    (re.compile(r"速率|网速|下载速度|速度|\bspeed\b", re.I), ("Mbps", "Gbps", "M", "G")),
]
_HOW_MANY = re.compile(
    r"how many|多少[个家座条项类户次台套所件处名位]|(?<!哪)几[个家座条项类户次台套所件处名位]", re.I
)
_RATE_ASKED = re.compile(
    r"每|年均|平均|人均|占比|比例|增长|增速|增幅|提升|\bper\b|average|annual|\brate\b|growth|grow|increase|"
    r"ratio|share|percent",
    re.I,
)
_PUBLICATION = re.compile(r"发布|发表|刊发|上线|publish|release|posted|\bdated?\b", re.I)

# A unit named right after 多少/几 pins the answer's unit: "多少亿元" is not answered by "7.6%".
_ASKED_UNIT = re.compile(
    r"(?:多少|(?<!哪)几)\s*(个?百分点|亿元|万元|元|倍|GB|户|万户|%|个|家|座|条|项|年|次|台|套|所|件|处|名|位|省|批|种)",
    re.I,
)
_EN_UNIT = {
    r"\byuan\b|\brmb\b|\bcny\b": "元",
    r"how many times|\bfold\b": "倍",
    r"how many (?:\w+ )?years": "年",
    r"how many (?:\w+ )?days": "天",
    r"how many (?:\w+ )?months": "个月",
}
_ALNUM = re.compile(r"[A-Za-z0-9]+(?:[-+.][A-Za-z0-9]+)*")
_YEAR = re.compile(r"(?:19|20)\d{2}年?")
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)", re.I)
_COMMON_PLACE_FREQ = 1000
# English words that spell valid pinyin but are English (so are never matched as pinyin).
_NOT_PINYIN = frozenset(
    "china chinese hongkong hong kong macao macau taiwan asia japan korea india tibet a an ban bang "
    "ben ding fan gang gen hang he hen lang long man men mi ming nan pan pen ran sang shan "
    "tan ten wan wen yang zen".split()
)


@dataclass
class Question:
    text: str
    normalized: str
    language: Language
    asked: Asked
    unit: str | None = None
    unit_family: tuple[str, ...] = ()
    asks_rate: bool = False
    asks_publication: bool = False
    hard_terms: list[str] = field(default_factory=list)
    soft_terms: list[str] = field(default_factory=list)
    focus_terms: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    common_places: list[str] = field(default_factory=list)
    pinyin_terms: list[str] = field(default_factory=list)
    en_terms: list[str] = field(default_factory=list)
    counted: list[str] = field(default_factory=list)
    list_measure: str | None = None


def analyze(text: str) -> Question:
    normalized = normalize_query(text)
    language = detect_language(normalized)
    asked = Asked.OPEN
    for kind, pattern in _PATTERNS:
        if pattern.search(normalized):
            asked = kind
            break
    unit = _asked_unit(normalized)
    if unit == "%":
        asked = Asked.PERCENT
    elif unit and asked in (Asked.PERCENT, Asked.QUANTITY):
        asked = Asked.QUANTITY  # "满意度连续几年": the unit named after 几 decides, not the topic
    elif asked is not Asked.QUANTITY:
        unit = None
    hard, soft, entities, common = _terms(normalized, language)
    focus = _focus_terms(normalized) if language is Language.ZH else []
    pinyin = _pinyin_names(normalized) if language is Language.EN else []
    en_terms = (
        [t for t in question_terms(_core(normalized)) if t not in pinyin] if language is Language.EN else []
    )
    return Question(
        text,
        normalized,
        language,
        asked,
        unit,
        _unit_family(normalized, asked, unit),
        bool(_RATE_ASKED.search(normalized)),
        bool(_PUBLICATION.search(normalized)),
        hard,
        soft,
        focus,
        entities,
        common,
        pinyin,
        en_terms,
        _counted(normalized) if language is Language.EN else _counted_zh(normalized),
        _list_measure(normalized),
    )


_WH = re.compile(r"\b(?:how|what|which|who|whom|whose|when|where|why)\b", re.I)


def _core(text: str, long: int = 80) -> str:
    """The asking part of a long, chatty question ("Hi, I'm preparing slides… how many X?").

    Greetings and context add words the report never uses and dilute the word overlap;
    the sentence (or clause after a colon) holding the question word is what is asked.
    """
    if len(text) <= long:
        return text
    pieces = [p for p in re.split(r"(?<=[.!?:;])\s+", text) if p.strip()]
    asking = [p for p in pieces if _WH.search(p)]
    return asking[-1] if asking else text


_LIST_MEASURE = re.compile(r"哪(?:几|[两三四五六七八九十])([级类种项个方面])")


def _list_measure(text: str) -> str | None:
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
    r"(?:多少|(?<!哪)几)([个家座条项类户次台套所件处名位种批年]?)([^\s,，。?？!！;；、]{0,8})"
)


def _counted_zh(text: str) -> list[str]:
    """The noun right after 多少/几 ("多少个省级地区" → 省级地区): what a count is of."""
    match = _COUNTED_ZH.search(text)
    if not match or match.group(1) == "年":
        return []
    words = list(_posseg().cut(match.group(2)))
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


def _counted(text: str) -> list[str]:
    """What an English question counts or measures ("how many base stations were built" → base, station),
    or the role it asks a name for ("who is the director of …" → director)."""
    match = _COUNTED.search(text) or _ROLE.search(text)
    if not match:
        return []
    return stem_words(match.group(1))


def _unit_family(text: str, asked: Asked, unit: str | None) -> tuple[str, ...]:
    """Units an answer may carry, from what is measured ("带宽" wants GB, "how many" a count)."""
    if asked is not Asked.QUANTITY or unit:
        return ()
    if _HOW_MANY.search(text):
        return COUNT_FAMILY
    for pattern, family in _ATTRIBUTE_UNITS:
        if pattern.search(text):
            return family
    return ()


def _asked_unit(text: str) -> str | None:
    match = _ASKED_UNIT.search(text)
    if match:
        unit = match.group(1).upper() if match.group(1).isascii() else match.group(1)
        if unit.endswith("百分点"):
            return "%"
        return "元" if unit.endswith("元") else unit.replace("万户", "户")
    for pattern, unit in _EN_UNIT.items():
        if re.search(pattern, text, re.I):
            return unit
    return None


@lru_cache(maxsize=1)
def _posseg():  # type: ignore[no-untyped-def]
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg


def _is_code(token: str) -> bool:
    """Model numbers and technology names (6G, 5G-A, 10G-PON, 8K); not "10-gigabit" or "14th"."""
    if not any(c.isdigit() for c in token) or not any(c.isalpha() for c in token):
        return False
    if _ORDINAL.fullmatch(token):
        return False
    return all(len(run) <= 4 or not run.islower() for run in re.findall(r"[A-Za-z]+", token))


def _terms(text: str, language: Language) -> tuple[list[str], list[str], list[str], list[str]]:
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
    posseg = _posseg()
    tags = posseg.dt.word_tag_tab
    for pair in posseg.cut(cjk_only):
        word, flag = pair.word.strip(), pair.flag
        if len(word) < 2 or word in ZH_STOPWORDS or not re.search(r"[\u4e00-\u9fff]", word):
            continue
        if flag in ("ns", "nt"):
            entities.append(word)
            if tags.get(word) == flag and _frequency(word) >= _COMMON_PLACE_FREQ:
                common.append(word)
        if flag.startswith(("n", "v", "a")) or flag in ("l", "i", "j"):
            soft.append(word)
    return _unique(hard), _unique(soft), _unique(entities), _unique(common)


_QUESTION_WORD = re.compile(r"多少|几|多大|多高|多长|多久|哪|什么|怎样|如何|怎么|是否|谁")
_FOCUS_SKIP = frozenset(
    "超过 达到 累计 共有 拥有 一共 总共 目前 现在 增长 提升 增加 实现 重庆 全市 我市 持有 进行 开展 推进 "
    "属于 成为 包括 覆盖 建成 获得 完成 提到 介绍 描述 概括 总结 名字 名称".split()
)


def _focus_terms(text: str) -> list[str]:
    """What is measured or asked about: the nouns right before the question word.

    In "重庆顶级节点累计的标识注册量超过多少?" the value must be the 标识注册量, not any
    other figure of the 顶级节点 sentence; when the question word comes first
    ("有多少个企业节点…"), the nouns after it.
    """
    match = _QUESTION_WORD.search(text)
    words = [
        (p.word, p.flag)
        for p in _posseg().cut(_ALNUM.sub(" ", text))
        if len(p.word) >= 2
        and p.word not in ZH_STOPWORDS
        and p.word not in _FOCUS_SKIP
        and "哪" not in p.word
        and p.flag.startswith(("n", "v", "a", "l", "j"))
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


def _frequency(word: str) -> int:
    import jieba

    return int(jieba.dt.FREQ.get(word, 0))


def _pinyin_names(text: str) -> list[str]:
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
