"""Evidence: score candidate sentences, check support, trim to clauses, pick the value.

A sentence is good evidence when it is close to the question in meaning (dense
similarity), shares its rarer words (IDF-weighted coverage), names everything specific
the question names (codes like 6G, years, places) and holds the kind of value asked
for. The last two are pass/fail checks: they decide between answering and refusing,
which similarity alone cannot (unanswerable near-misses score as high as answerable
questions with this model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qa.answer.figures import clause_bounds, matching_values, names_counted, value_window
from qa.answer.lexicon import Lexicon, focus_coverage, has_part, pinyin_of, soft_coverage
from qa.answer.policy import DEFAULT_POLICY, Policy
from qa.answer.question import Asked, Question
from qa.answer.spans import person_spans, place_spans
from qa.lang import ZH
from qa.schemas import Document, Sentence
from qa.text import COMMAS, SEMICOLONS, SENTENCE_END, marks, normalize_query, word_frequency
from qa.text.values import Value, ValueKind, is_end_state

if TYPE_CHECKING:
    from qa.answer.checks import Check


_YEAR = re.compile(r"(?:19|20)\d{2}")


_ENUMERATION = re.compile(r"、|”“|”、“|和|及|与|以及")


@dataclass
class Candidate:
    pos: int
    sentence: Sentence
    dense: float
    chunk_rank: int
    soft: float = 0.0
    missing: list[str] = field(default_factory=list)
    missing_by_rule: dict[str, list[str]] = field(default_factory=dict)
    focus: float = 1.0
    values: list[Value] = field(default_factory=list)
    kind_ok: bool = True
    score: float = 0.0
    clause_sims: dict[tuple[int, int], float] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    publication: bool = False
    code_match: bool = False

    def vetoed(self, rules: tuple[str, ...]) -> list[str]:
        """The missing terms whose rule is one of ``rules`` (the policy's ``veto_rules``)."""
        return list(dict.fromkeys(t for rule in rules for t in self.missing_by_rule.get(rule, [])))

    @property
    def supported(self) -> bool:
        """Every support check passed (``qa.answer.checks``)."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    def value_sim(self, value: Value) -> float:
        """Similarity of the question to the clause stating ``value`` (0 when not indexed)."""
        at = self.sentence.start + value.start
        return max((s for (lo, hi), s in self.clause_sims.items() if lo <= at < hi), default=0.0)


def context_of(doc: Document, sentence: Sentence) -> str:
    """The sentence with what names its subject: the sentence before it and its paragraph's first."""
    para_start = doc.text.rfind("\n\n", 0, sentence.start)
    para_start = 0 if para_start < 0 else para_start + 2
    head = doc.text[para_start : sentence.start]
    first = re.split(f"(?<={marks(SENTENCE_END)})", head, maxsplit=1)[0] if head else ""
    pieces = [p for p in re.split(f"(?<={marks(SENTENCE_END + SEMICOLONS)})", head) if p.strip()]
    before = pieces[-1] if pieces else ""
    return f"{first}\n{before}\n{sentence.text}"


MISSING_RULES = ("code", "entity", "rare", "pinyin", "focus", "role")


def missing_by_rule(
    question: Question,
    context: str,
    doc: Document,
    lexicon: Lexicon,
    section: str = "",
    policy: Policy = DEFAULT_POLICY,
) -> dict[str, list[str]]:
    """The question's specific terms that the evidence lacks, by the rule that requires them
    (the document's title counts as evidence). Which rules refuse and which only lower the
    score is the policy's ``veto_rules``."""
    norm = normalize_query(context + "\n" + doc.title).lower()
    own = normalize_query(context.rsplit("\n", 1)[-1]).lower()
    found: dict[str, list[str]] = {}

    # A year dates the figure of its own sentence; one earlier in the paragraph dates another.
    # Likewise a code a figure question names (多少个5G基站): "2776个基站" in a paragraph that
    # mentions 5G elsewhere counts base stations, not 5G ones.
    found["code"] = [
        t
        for t in question.hard_terms
        if t.lower() not in (own if question.asked.wants_value or _YEAR.fullmatch(t) else norm)
    ]
    found["entity"] = [
        t
        for t in question.entities
        if (lexicon.knows(t) or t in question.common_places) and t.lower() not in norm
    ]
    # A specific term (rare in the corpus and in general Chinese: "携号转网", "分会场") marks
    # the passages it appears in; evidence without it is about something else. Common
    # words ("数量", "方式") are left out: questions paraphrase with them freely.
    # The sentence before is left out here: it names the subject, but its rare terms
    # belong to its own figures ("中新…专用通道" before a sentence about 直联点).
    lines = context.split("\n")
    near = normalize_query(lines[0] + "\n" + lines[-1] + "\n" + doc.title).lower()
    found["rare"] = [
        term
        for term in question.soft_terms
        if 0 < lexicon.df(term) <= policy.rare_df
        and word_frequency(term) < policy.general_rare_freq
        and term.lower() not in near
        and not any(term[i : i + 2] in near for i in range(len(term) - 1))
    ]
    found["pinyin"] = []
    if question.pinyin_terms:
        spelled = pinyin_of(norm)
        found["pinyin"] = [
            n for n in question.pinyin_terms if lexicon.knows_pinyin(n) and f"|{n}|" not in spelled
        ]
    found["focus"] = []
    if question.asked.wants_value and question.language.value == "zh" and question.unit not in ZH.time_units:
        # What a figure is of ("专用通道的总带宽") must be named by its own sentence or
        # section, not by its neighbours; generic words (规模, 数量) are paraphrased freely.
        alone = lines[-1] + " " + section + " " + doc.title
        found["focus"] = [
            t
            for t in question.focus_terms
            if lexicon.knows(t)
            and t not in ZH.generic_measures
            and word_frequency(t) < policy.common_word_freq
            and not has_part(t, alone)
        ]
    found["role"] = []
    if question.asked is Asked.PERSON and not _names_role(question, context, lexicon):
        found["role"] = list(question.counted if question.language.value == "en" else question.focus_terms)
    return {rule: terms for rule, terms in found.items() if terms}


def kind_present(question: Question, text: str, values: list[Value], policy: Policy = DEFAULT_POLICY) -> bool:
    """Whether the sentence can answer the kind of question at all."""
    if question.asked.wants_value:
        return bool(values)
    if question.asked is Asked.LIST:
        measure = question.list_measure
        counted = measure is not None and re.search(f"[两二三四五六七八九十]{measure}", text)
        return bool(_ENUMERATION.search(text) or counted)
    if question.asked is Asked.PERSON:
        return _has_person(text, policy.common_word_freq)
    if question.asked is Asked.PLACE:
        return _has_new_place(text, question)
    return True


def _has_new_place(text: str, question: Question) -> bool:
    """A place the question does not already name ("设在重庆哪个区" is not answered by 重庆)."""
    return bool(place_spans(text, normalize_query(question.text)))


def _names_role(question: Question, context: str, lexicon: Lexicon) -> bool:
    """A name answers "who is the director" only next to the role asked about."""
    if question.language.value == "en":
        # Exact stems: a prefix match would take "direct" (指示) for "director".
        return all(t in lexicon.glossary.stems(context) for t in question.counted)
    return all(has_part(t, context) for t in question.focus_terms)


def _has_person(text: str, common_word_freq: int = DEFAULT_POLICY.common_word_freq) -> bool:
    return bool(person_spans(text, common_word_freq))


def score_candidate(
    question: Question, cand: Candidate, doc: Document, lexicon: Lexicon, policy: Policy = DEFAULT_POLICY
) -> None:
    text = cand.sentence.text
    context = context_of(doc, cand.sentence)
    if question.language.value == "en":
        # English questions name the subject ("Huafeng Chemical's factory") that a Chinese
        # paragraph states once, in its first or previous sentence: those count a little.
        cover = lexicon.glossary.coverage
        alone = cover(question.en_terms, text + " " + cand.sentence.section)
        cand.soft = max(
            alone, (1 - policy.w_context) * alone + policy.w_context * cover(question.en_terms, context)
        )
    else:
        cand.soft = soft_coverage(question, text + " " + cand.sentence.section, lexicon)
    cand.missing_by_rule = missing_by_rule(question, context, doc, lexicon, cand.sentence.section, policy)
    cand.missing = list(dict.fromkeys(t for terms in cand.missing_by_rule.values() for t in terms))
    stored = [Value(v.text, ValueKind(v.kind), v.start, v.end) for v in cand.sentence.values]
    cand.values = matching_values(question, text, stored, lexicon)
    cand.kind_ok = kind_present(question, text, cand.values, policy)
    cand.focus = focus_coverage(question, text + " " + cand.sentence.section)
    if cand.values and cand.clause_sims:
        # A long sentence listing many figures matches each of them weakly; the clause
        # that states the asked figure matches it sharply.
        cand.dense = max(cand.dense, max(cand.value_sim(v) for v in cand.values))
    publication = question.asks_publication and doc.published is not None and doc.published in text
    # A code the question names (5G-RedCap, 10G-PON) found in the sentence itself is strong evidence.
    codes = [t for t in question.hard_terms if "-" in t or not (_YEAR.fullmatch(t) or t[0].isdigit())]
    code_match = bool(codes) and all(t.lower() in normalize_query(text).lower() for t in codes)
    cand.publication, cand.code_match = publication, code_match
    cand.score = weighted_score(
        policy,
        dense=cand.dense,
        soft=cand.soft,
        focus=cand.focus,
        kind_ok=cand.kind_ok,
        open_question=question.asked is Asked.OPEN,
        rank=cand.chunk_rank,
        publication=publication,
        code_match=code_match,
        missing=bool(cand.missing),
    )


def weighted_score(
    policy: Policy,
    *,
    dense: float,
    soft: float,
    focus: float,
    kind_ok: bool,
    open_question: bool,
    rank: int,
    publication: bool,
    code_match: bool,
    missing: bool,
) -> float:
    """A sentence's score from its signals; the one formula the answerer and the calibration's
    replay (``qa.eval.replay``) both use."""
    return (
        dense
        + policy.w_soft * soft
        + policy.w_kind * (1.0 if kind_ok and not open_question else 0.0)
        + policy.w_rank / (1 + rank)
        + policy.w_focus * focus
        + (policy.w_publication if publication else 0.0)
        + (policy.w_code if code_match else 0.0)
        - (policy.penalty_missing if missing else 0.0)
        - (0.0 if kind_ok else policy.penalty_kind)
    )


def best_value(question: Question, cand: Candidate, lexicon: Lexicon) -> Value | None:
    """The value to give as the short answer: in the clause sharing most rare words with the question."""
    if not cand.values:
        return None
    text = cand.sentence.text

    def rank(value: Value) -> tuple[float, int]:
        lo, hi = clause_bounds(text, value.start)
        focus = focus_coverage(question, text[lo:hi]) if question.focus_terms else 0.0
        if question.language.value == "en":
            overlap = lexicon.glossary.coverage(question.en_terms, text[lo:hi])
            focus = lexicon.glossary.coverage(question.counted, value_window(text, value))
        else:
            overlap = soft_coverage(question, text[lo:hi], lexicon)
        unit = 0.5 if question.unit and value.unit.strip().lstrip("余").endswith(question.unit) else 0.0
        # "2776个基站" answers 多少个基站 where "30余个区县" in the same clause does not.
        named = 0.5 if names_counted(question, text[value.end : value.end + 6], lexicon) else 0.0
        fit = focus + 0.5 * overlap + unit + named + cand.value_sim(value) + 0.05 * is_end_state(text, value)
        return (round(fit, 4), -value.start)

    return max(cand.values, key=rank)


def trim(
    question: Question, cand: Candidate, value: Value | None, lexicon: Lexicon, max_chars: int = 60
) -> tuple[int, int]:
    """Relative (start, end) of the quote inside the sentence.

    Short sentences are quoted whole: they read well and keep their subject. Long ones
    are cut to the value's clause, with the clause before it when the value's own clause
    is too short to say what the value is of.
    """
    text = cand.sentence.text
    end = len(text.rstrip("。" + SEMICOLONS + COMMAS))
    if len(text) <= max_chars or value is None:
        return 0, end
    lo, hi = clause_bounds(text, value.start)
    if (hi - lo < 18 or soft_coverage(question, text[lo:hi], lexicon) == 0) and lo > 0:
        lo = clause_bounds(text, max(0, lo - 2))[0]
    return lo, hi
