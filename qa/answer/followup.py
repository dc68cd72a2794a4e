"""Follow-up questions: turn "那农村呢?" or "and the 10G-PON ports?" into a question that
stands on its own, using the previous question of the conversation, before retrieval.

Retrieval and the answerer see one question at a time, so a follow-up that only names a
new topic ("那农村呢?") or only asks a new thing about the old topic ("与多少个城市直联?")
has to be rewritten first. No model is involved; the rule is small and predictable:

1. **Strip** leading continuation words (那/那么/还有/另外/此外/以及/而; and/also/so/then/
   what about/how about) and trailing 呢/怎么样/如何/情况如何 (and "then", "?"). What is
   left is the *core*.
2. **Is it a follow-up?** Only when there is a previous question, and one of:
   a continuation word or trailing 呢/怎么样 was stripped; the core is short (at most
   8 Chinese characters, or 4 English words) and asks nothing (no question word); or the
   core has no subject of its own (it starts with a preposition, verb, adverb or a pronoun
   such as 与/比/在/它/其/该 or it/its/they/this/in/by/compared).
3. **Rewrite.** The previous question is split into its *frame* (the question words and
   the verbs right before them, e.g. "累计超过多少亿元?", "How many") and its *topic*
   (the rest, e.g. "电信固定资产投资4年", "the direct-link bandwidth ...").
   - A core that asks nothing names a new topic: ``core + frame`` ("农村累计超过多少亿元?",
     "How many 10G-PON ports?"). When the core is in the other language than the previous
     question, the frame is that question's kind asked in the core's language, from the
     language table ("What about the 10G-PON ports?" after "重庆有多少个5G基站?" →
     "How many 10G-PON ports?").
   - A core that asks something without a subject gets the previous topic: ``topic + core``,
     a pronoun in it replaced by the topic ("重庆和成都两地直联与多少个城市直联?").
   - A core that asks something and has its own subject stands alone (only the
     continuation words are dropped: "那千兆用户增长了多少倍?" → "千兆用户增长了多少倍?").
4. **Candidates.** A rewrite can guess wrong, so the result lists the rewrite first and
   the bare core second; the caller answers with the first candidate the report supports
   and otherwise returns the refusal of the first.

Turns are resolved in order, each against the *resolved* previous question, so a chain
("每万人5G基站多少个?" → "那10G-PON端口呢?" → "那千兆用户呢?") keeps the original frame.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from qa.answer.question import analyze
from qa.answer.terms import WH, tagged
from qa.lang import TABLES, ZH, alternation

_CJK = re.compile(r"[\u3400-\u9fff]")
_EN_LOWER = re.compile(r"[a-z]{3,}")
_EN_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'.][A-Za-z0-9]+)*")
_ZH_LEAD = re.compile(
    r"^(?:那么|那(?![个些里儿样])|还有|另外|此外|以及|而且|而|再问一下|再问|同样地?)[,，、\s]*"
)
_ZH_TAIL = re.compile(r"(?:的情况|情况)?(?:呢|怎么样|怎样|如何|又如何|又怎样)[?？!！。.\s]*$")
_EN_LEAD = re.compile(
    r"^(?:and\s+what\s+about|and\s+how\s+about|what\s+about|how\s+about|what\s+of|and|also|so|then|"
    r"same\s+for|ok(?:ay)?,?)\b[,\s]*",
    re.I,
)
_EN_TAIL = re.compile(r"(?:,?\s*then)?[\s?？.!！]*$", re.I)
_PUNCT_TAIL = re.compile(r"[\s?？!！。.,，;；]+$")
_ZH_QUESTION = re.compile(
    r"多少|几[个家座条项类次倍年户万亿月号天成]?|哪|什么|何时|何地|为何|谁|是否|吗|怎么|怎样|如何|为什么"
)
_EN_FRAME = re.compile(
    r"^\s*(?:how\s+(?:many|much|long|far|big|large|fast|high|often)|"
    r"(?:what|which|who|where|when)(?:\s+(?:is|are|was|were|did|does|do|has|have|had))?(?:\s+the)?)"
    r"(?:\s+(?:is|are|was|were|has|have|had)(?:\s+been)?\s+[a-z]+(?:ed|en|wn|nt))?\b",
    re.I,
)
_ZH_UNIT_AFTER = re.compile(rf"(?:(?:{alternation(ZH.magnitudes)})?(?:{alternation(ZH.all_units)}))?")
_EN_PRONOUN = re.compile(r"\b(?:it|its|they|their|them|this|that|these|those)\b", re.I)
_EN_NO_SUBJECT = re.compile(
    r"^(?:in|on|at|by|for|from|to|with|compared|since|during|of|is|are|was|were|does|did|do|has|have)\b",
    re.I,
)
_EN_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.I)
_ZH_PRONOUNS = ("它们", "它", "其", "该", "这些", "这个", "这", "此", "那个", "那些")
_ZH_NO_SUBJECT_FLAGS = ("p", "v", "d", "c", "ad", "vd", "u", "f")
_FRAME_FLAGS = ("v", "d", "p", "u", "ad", "vd")
_FRAME_MAX_TOKENS = 3
SHORT_ZH_CHARS = 8
SHORT_EN_WORDS = 4


class Resolution(BaseModel):
    """How one user turn was understood."""

    question: str = Field(description="The turn as the user wrote it.")
    resolved: str = Field(description="The question used for retrieval (the first candidate).")
    kind: str = Field(description='"standalone", "topic" (new topic, old frame) or "elliptical" (old topic).')
    previous: str | None = Field(None, description="The resolved previous question it was combined with.")
    candidates: list[str] = Field(description="Questions to try in order; the first the report answers wins.")


def _is_chinese(text: str) -> bool:
    return len(_CJK.findall(text)) >= max(1, len(_EN_WORD.findall(text)))


def _is_neutral(text: str) -> bool:
    """Neither language: codes and numbers such as "6G", "10G-PON", "2023"."""
    return not _CJK.search(text) and not _EN_LOWER.search(text)


def _strip(text: str) -> tuple[str, bool]:
    """The core of a turn and whether continuation words were removed."""
    core, marked = text.strip(), False
    for lead, tail in ((_ZH_LEAD, _ZH_TAIL), (_EN_LEAD, _EN_TAIL)):
        stripped = lead.sub("", core, count=1)
        if stripped != core and stripped:
            core, marked = stripped, True
        stripped = tail.sub("", core, count=1)
        if tail is _ZH_TAIL and stripped != core and stripped:
            marked = True
        core = stripped or core
    return _PUNCT_TAIL.sub("", core).strip(), marked


def _asks(text: str) -> bool:
    return bool(_ZH_QUESTION.search(text) or WH.search(text))


def _short(core: str) -> bool:
    if _is_chinese(core):
        return len(core) <= SHORT_ZH_CHARS
    return len(_EN_WORD.findall(core)) <= SHORT_EN_WORDS


def _has_subject(core: str) -> bool:
    if _is_chinese(core):
        if core.startswith(_ZH_PRONOUNS):
            return False
        flags = [flag for word, flag in tagged(core) if word.strip()]
        return bool(flags) and not flags[0].startswith(_ZH_NO_SUBJECT_FLAGS)
    return not (_EN_PRONOUN.search(core) or _EN_NO_SUBJECT.match(core))


def split_frame(question: str) -> tuple[str, str]:
    """``(topic, frame)`` of a question: the frame is what is asked ("累计超过多少亿元?",
    "How many"), the topic what it is asked about. A question without question words is
    all topic."""
    text = _PUNCT_TAIL.sub("", question.strip())
    if not _is_chinese(text):
        match = _EN_FRAME.match(text)
        if not match:
            return text, ""
        return text[match.end() :].strip(), match.group(0).strip()
    match = _ZH_QUESTION.search(text)
    if not match:
        return text, ""
    start, pos, spans = match.start(), 0, []
    for word, flag in tagged(text):
        spans.append((pos, flag))
        pos += len(word)
    before = [(s, f) for s, f in spans if s < match.start()]
    for s, flag in reversed(before[-_FRAME_MAX_TOKENS:]):
        if not flag.startswith(_FRAME_FLAGS) or flag == "vn":
            break
        start = s
    # The frame ends with the question word's unit ("有多少个"); what follows it is what is
    # counted, part of the topic ("重庆有多少个5G基站" → "重庆5G基站" + "有多少个").
    end = match.end() + len(_ZH_UNIT_AFTER.match(text, match.end()).group(0))  # type: ignore[union-attr]
    if _ZH_QUESTION.search(text, end):  # "从多少提升到多少": the frame asks twice
        end = len(text)
    return _join(text[:start].strip(), text[end:].strip()), text[start:end].strip()


def _join(left: str, right: str) -> str:
    if not left or not right:
        return left or right
    sep = "" if _CJK.match(right[0]) or _CJK.match(left[-1]) else " "
    return f"{left}{sep}{right}"


def resolve(question: str, previous: str | None) -> Resolution:
    """Resolve one turn against the (already resolved) previous question."""
    text = question.strip()
    core, marked = _strip(text)
    standalone = Resolution(question=text, resolved=text, kind="standalone", previous=None, candidates=[text])
    if not previous or not core:
        return standalone
    asks = _asks(core)
    subject = _has_subject(core)
    if not (marked or (_short(core) and not asks) or not subject):
        return standalone
    topic, frame = split_frame(previous)
    chinese = _is_chinese(previous) if _is_neutral(core) else _is_chinese(core)
    switched = chinese != _is_chinese(previous)
    if not asks:
        kind = "topic"
        new_topic = core if chinese else _EN_ARTICLE.sub("", core)
        if switched:  # the previous frame is in the other language: ask its kind in this one
            asked = analyze(previous).asked.value
            rewrite = TABLES["zh" if chinese else "en"].followup_frames[asked].format(topic=new_topic)
        elif not frame:
            rewrite = _join(_PUNCT_TAIL.sub("", previous), core)
        else:
            rewrite = _join(new_topic, frame) if chinese else f"{frame} {new_topic}"
    elif subject:
        kind, rewrite = "standalone", core
    else:
        kind = "elliptical"
        pronoun = _EN_PRONOUN.search(core) if not chinese else None
        if pronoun:
            rewrite = core[: pronoun.start()] + topic + core[pronoun.end() :]
        elif chinese and core.startswith(_ZH_PRONOUNS):
            lead = next(p for p in _ZH_PRONOUNS if core.startswith(p))
            rewrite = _join(topic, core[len(lead) :])
        else:
            rewrite = _join(topic, core)
    rewrite = _PUNCT_TAIL.sub("", rewrite) + "?"
    bare = core + "?"
    candidates = list(dict.fromkeys([rewrite, bare]))
    return Resolution(
        question=text,
        resolved=rewrite,
        kind=kind,
        previous=previous if kind != "standalone" else None,
        candidates=candidates,
    )


def resolve_conversation(questions: list[str]) -> Resolution:
    """Resolve the last of a conversation's user questions, each turn against the one before."""
    if not questions:
        raise ValueError("a conversation needs at least one question")
    previous: str | None = None
    resolution = Resolution(question="", resolved="", kind="standalone", previous=None, candidates=[])
    for question in questions:
        resolution = resolve(question, previous)
        previous = resolution.resolved
    return resolution
