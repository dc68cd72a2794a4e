"""The grounding guard: no figure reaches the user unless a passage its sentence cites states it.

Small instruct models change numbers, drop qualifiers and cite the wrong passage; users of every
LLM answerer complain of exactly that. So a generated answer is checked, sentence by sentence
(``qa.generate.claims``), against the numbered passages it was given, and each rule below is one
small function that returns the violations it finds:

- ``citation``: a sentence that states something (a figure, or four words / six Chinese characters
  or more that do not just introduce a list with a colon; "Yes." and "是的。" state nothing) cites at
  least one passage, and every [n] it cites exists.
- ``figure``: every figure (quantities, percentages, dates, years, counts, and any other digits, as
  the 10 of 10G-PON) occurs in a passage its sentence cites, at number boundaries (2024 is not in
  12024 or 2024.5), as that passage writes it or, in an English answer, as an exact rendering of a
  Chinese multiplier or numeral (the rules: ``qa.generate.figure_match``). A sentence that cites
  nothing, or only passages that do not exist, has its figures checked against all passages, so a
  made-up figure is named as well as the missing citation.
- ``qualifier``: a figure the passage qualifies (超38个, 约300人, 30余个, 90%以上) keeps a qualifier in
  the answer (超过38个, more than 38, over 38), in Chinese answers too. Adding one is not checked.
- ``name`` (Chinese answers): a name, place or organisation (jieba tags nr, ns, nt, nz) occurs in a
  cited passage or the question; a generic place word (地区, 新区) is no name, a person's name is
  one only when it starts with a common surname (jieba tags 惠企 as a name), and 重庆市 counts as 重庆.
- ``short_answer``: the short answer, when there is one, is a verbatim span of a passage the answer
  cites (whitespace and full-width forms aside); a figure in it keeps its qualifier (a ``qualifier``
  violation otherwise: 38个 is a span of 超38个 but says less); and the answer states it (in an
  English answer only a short answer without Chinese characters is looked for: a Chinese one is
  translated or rendered there).

Each violation's ``detail`` is one English line naming the figure or marker and the passage, so
that a person and the repair prompt can act on it; ``describe`` turns them into one instruction in
the answer's language. ``check_answer`` is pure (no model, no I/O); only ``describe`` reads its
wording, once, from ``prompts/generate.toml`` when it is not handed one.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from qa.generate.claims import Claim, split_claims, strip_markers, without_references
from qa.generate.figure_match import Figure, figures, render_en, rendered_as, written_as
from qa.lang import ZH
from qa.prompts import GuardWording
from qa.text import has_cjk, normalize_query

__all__ = [
    "Claim",
    "GuardReport",
    "Violation",
    "check_answer",
    "describe",
    "holding_passages",
    "split_claims",
    "strip_markers",
]

_NAME_TAGS = ("nr", "nrt", "nrfg", "ns", "nt", "nz")
_PLACE_SUFFIXES = "省市区县镇乡村州"


@dataclass(frozen=True)
class Violation:
    """One broken rule, worded so that the repair turn (and a person reading the response) can fix it."""

    kind: str  # "citation" | "figure" | "qualifier" | "name" | "short_answer"
    detail: str  # one English line naming the figure or marker and the passage
    sentence: str  # the answer sentence it was found in ("" for the short answer)


@dataclass(frozen=True)
class GuardReport:
    """Everything the guard found in one answer; the answer is grounded when it found nothing."""

    violations: list[Violation]

    @property
    def grounded(self) -> bool:
        return not self.violations


def _markers(numbers: Sequence[int]) -> str:
    """Passage numbers for a message: "[1]", "[1], [3]", "[1]–[5]"."""
    ns = sorted(set(numbers))
    if len(ns) > 2 and ns == list(range(ns[0], ns[-1] + 1)):
        return f"[{ns[0]}]–[{ns[-1]}]"
    return ", ".join(f"[{n}]" for n in ns)


def _refs(numbers: Sequence[int]) -> str:
    """Passage numbers with their noun: "passage [1]", "passages [1], [3]"."""
    return ("passage " if len(set(numbers)) == 1 else "passages ") + _markers(numbers)


def states_something(text: str) -> bool:
    """Whether a sentence needs a citation: it has a figure, or is more than a lead-in or a bare yes/no."""
    if figures(without_references(text)):
        return True
    if text.rstrip().endswith((":", "：")):
        return False
    words = len(re.findall(r"[A-Za-z]+", text))
    chinese = len(re.findall(r"[\u3400-\u9fff]", text))
    return words >= 4 or chinese >= 6


def check_citations(claim: Claim, passages: dict[int, str]) -> list[Violation]:
    """Rule ``citation``: a sentence that states something cites passages that exist."""
    found = []
    if not claim.cites and states_something(claim.text):
        detail = "sentence cites no passage; end it with the [n] of the passage that states it"
        found.append(Violation("citation", detail, claim.text))
    for n in claim.cites:
        if n not in passages:
            detail = f"passage [{n}] does not exist; cite one of {_markers(list(passages))}"
            found.append(Violation("citation", detail, claim.text))
    return found


def _stated(answer: Figure, passage: Figure, english: bool) -> bool:
    return written_as(answer, passage, english) or (english and rendered_as(answer, passage))


def _hint(answer: Figure, scope: list[int], table: dict[int, list[Figure]], english: bool) -> str:
    """Where the figure is after all: in another passage, or written otherwise in a cited one."""
    elsewhere = [n for n in table if n not in scope and any(_stated(answer, p, english) for p in table[n])]
    if elsewhere:
        return f"; it is in {_refs(elsewhere[:1])}"
    digits = answer.number.replace(",", "")
    for n in scope:
        for p in table[n]:
            if p.value is None or answer.value is None:
                continue
            same = (digits and digits == p.number.replace(",", "")) or answer.value == p.value
            near = english and has_cjk(p.scale) and abs(answer.value - p.value) <= p.value / 10
            if same or near:
                exact = f", which is exactly {render_en(p.value)}" if english and has_cjk(p.scale) else ""
                return f'; {_refs([n])} writes "{p.text}"{exact}'
    return ""


def check_figures(
    claim: Claim, scope: list[int], table: dict[int, list[Figure]], english: bool
) -> list[Violation]:
    """Rules ``figure`` and ``qualifier``: a passage in scope states each figure, qualifier included."""
    found = []
    for answer in figures(without_references(claim.text)):
        if not answer.number and answer.value is None:
            continue  # a Chinese numeral the analyser cannot read (十四五期): nothing to compare
        hits = [(n, p) for n in scope for p in table[n] if _stated(answer, p, english)]
        if any(answer.qualified or not p.qualified for _, p in hits):
            continue
        if hits:
            n, p = hits[0]
            detail = f'figure "{answer.text}" leaves out the qualifier {_refs([n])} gives it: "{p.text}"'
            found.append(Violation("qualifier", detail, claim.text))
        else:
            where = f"not in {_refs(scope)}" if claim.cites else "in no passage"
            hint = _hint(answer, scope, table, english)
            found.append(Violation("figure", f'figure "{answer.text}" is {where}{hint}', claim.text))
    return found


def _names(text: str) -> list[str]:
    """Names, places and organisations jieba finds in a Chinese sentence (imported on first use)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    found = []
    for pair in jieba.posseg.cut(text):
        word, flag = pair.word.strip(), pair.flag
        if flag not in _NAME_TAGS or len(word) < 2 or not has_cjk(word) or word in ZH.generic_places:
            continue
        if flag == "nr" and word[0] not in ZH.surnames:
            continue
        if word not in found:
            found.append(word)
    return found


def check_names(claim: Claim, scope: list[int], passages: dict[int, str], question: str) -> list[Violation]:
    """Rule ``name`` (Chinese answers): every name occurs in a passage in scope or in the question."""
    known = [normalize_query(passages[n]) for n in scope] + [normalize_query(question)]
    found = []
    for name in _names(claim.text):
        word = normalize_query(name)
        bare = word[:-1] if word[-1] in _PLACE_SUFFIXES and len(word) > 2 else word
        if not any(word in text or bare in text for text in known):
            where = _refs(scope) if claim.cites else "any passage"
            detail = f'name "{name}" is in neither {where} nor the question'
            found.append(Violation("name", detail, claim.text))
    return found


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _span(short_answer: str) -> str:
    return strip_markers(short_answer).strip().rstrip("。.!！?？;；,，")


def holding_passages(short_answer: str, passages: dict[int, str]) -> list[int]:
    """The passages that hold the short answer verbatim as rule ``short_answer`` reads it (markers,
    end punctuation, whitespace and full-width forms aside), so a caller crediting a passage with
    the short answer agrees with the guard about which passages do."""
    span = _squeeze(_span(short_answer))
    return [n for n, text in passages.items() if span and span in _squeeze(text)]


def check_short_answer(
    short_answer: str, cited: list[int], passages: dict[int, str], table: dict[int, list[Figure]]
) -> list[Violation]:
    """Rule ``short_answer``: the short answer is a verbatim span of a passage the answer cites,
    and keeps the qualifier of a figure it quotes (38个 is a span of 超38个, but not what it says)."""
    span = _span(short_answer)
    if not span:
        return []
    if not cited:
        detail = f'short answer "{span}" cannot be a span of a cited passage: the answer cites none'
        return [Violation("short_answer", detail, "")]
    if not holding_passages(span, {n: passages[n] for n in cited}):
        detail = f'short answer "{span}" is not a verbatim span of {_refs(cited)}'
        return [Violation("short_answer", detail, "")]
    dropped = check_figures(Claim(span, cited), cited, table, english=False)
    return [Violation(v.kind, f"short answer: {v.detail}", "") for v in dropped if v.kind == "qualifier"]


def check_states_short_answer(answer: str, short_answer: str, english: bool) -> list[Violation]:
    """Rule ``short_answer``: the answer states its short answer. The 1.5B model gave the right
    short answer (7.6%, copied from passage [1]) beside an answer sentence copied from another
    passage about something else, which every other rule passes (verbatim, cited): delivered,
    that answer answers nothing."""
    span = _span(short_answer)
    if not span or (english and has_cjk(span)):
        return []
    if _squeeze(span).lower() in _squeeze(strip_markers(answer)).lower():
        return []
    return [Violation("short_answer", f'the answer does not state its short answer "{span}"', "")]


def check_answer(
    answer: str,
    passages: dict[int, str],
    language: str,
    question: str = "",
    short_answer: str | None = None,
    short_cites: Sequence[int] = (),
) -> GuardReport:
    """Every violation of the rules above in ``answer``, given the passages by number and its language.
    ``short_cites``: passages the short answer is attributed to besides those the answer cites."""
    english = not str(language).startswith("zh")
    table = {n: figures(text, numeral_runs=english) for n, text in passages.items()}
    violations: list[Violation] = []
    cited: list[int] = []
    for claim in split_claims(answer):
        existing = [n for n in claim.cites if n in passages]
        scope = existing or list(passages)
        violations += check_citations(claim, passages)
        violations += check_figures(claim, scope, table, english)
        if not english:
            violations += check_names(claim, scope, passages, question)
        cited += [n for n in existing if n not in cited]
    if short_answer:
        own = [n for n in short_cites if n in passages and n not in cited]
        violations += check_short_answer(short_answer, cited + own, passages, table)
        violations += check_states_short_answer(answer, short_answer, english)
    return GuardReport(list(dict.fromkeys(violations)))


def describe(violations: Sequence[Violation], language: str, wording: GuardWording | None = None) -> str:
    """The violations as the body of one repair instruction, in the answer's language ("" if none).

    One line per violation (its English ``detail``), then one line of advice per kind found, worded
    in ``prompts/generate.toml`` (``[guard.zh]``, ``[guard.en]``); without ``wording``, the
    configured prompts folder is read once.
    """
    if not violations:
        return ""
    if wording is None:
        from qa.config import get_settings
        from qa.prompts import load_guard_wording

        table = load_guard_wording(get_settings().prompts_dir)
        wording = table["zh" if str(language).startswith("zh") else "en"]
    unique = list(dict.fromkeys(violations))
    kinds = list(dict.fromkeys(v.kind for v in unique))
    lines = [wording.item.format(detail=v.detail) for v in unique]
    return "\n".join(lines + [wording.advice[k] for k in kinds if k in wording.advice])
