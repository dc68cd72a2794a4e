"""Scoring answers to SQuAD-format questions: the official EM/F1, containment, aggregates.

Pure functions, no model. Two official scripts, each reimplemented as it is written:

* **Chinese** (a reference with a CJK character): CMRC 2018's ``cmrc2018_evaluate.py``
  (github.com/ymcui/cmrc2018). Text is lower-cased and cut by ``mixed_segmentation``: every
  CJK character (U+4E00–U+9FA5) and every listed punctuation mark is its own segment, runs
  of other characters are word-tokenized; with ``rm_punc`` the listed marks are dropped.
  **F1** is over the *longest common substring* of the two segment sequences (``find_lcs``:
  contiguous, not a subsequence): precision = lcs / len(prediction), recall = lcs /
  len(reference). **EM** compares ``remove_punctuation`` of both (lower-cased, stripped, the
  listed marks removed). Two departures, both stated: runs of non-CJK characters are split
  with a regex (words, with inner ``.,'-``, and single symbols) instead of
  ``nltk.word_tokenize`` (not a dependency; identical for digits and plain words), and EM
  also removes whitespace inside the strings, because the XQuAD Chinese contexts write
  "1943 年" where the answer may be extracted as "1943年" — the same answer.
* **English** (otherwise, unless the dataset's contexts are Chinese): SQuAD v1.1's
  ``evaluate-v1.1.py``: ``normalize_answer`` lower-cases, removes ``string.punctuation``,
  the articles a/an/the and extra whitespace; **EM** is equality of normalized strings,
  **F1** the overlap of the two *bags of tokens* (``Counter`` intersection).

A reference with neither script's letters (digits only, "1943") is scored by the dataset's
context language, since that is the official script of the dataset. Both scripts take the
best score over the references, EM and F1 each on its own.

**Contains gold**: a reference, NFKC-folded with all whitespace removed, is a substring of
the text folded the same way (so "1943 年" is found in "1943年"). Punctuation at the two ends
of the reference is not required: CMRC 2018 references are often whole clauses ending in
"。" ("约为0.304平方公里。"), while a quote is cut before the sentence's final mark.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable

import numpy as np
from pydantic import BaseModel, Field

# cmrc2018_evaluate.py's sp_char, verbatim ('……' is two characters, so, compared one
# character at a time as the script does, it never matches).
CMRC_PUNCTUATION = frozenset(
    ["-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=",
     "，", "。", "：", "？", "！", "“", "”", "；", "’", "《", "》", "……", "·", "、",
     "「", "」", "（", "）", "－", "～", "『", "』"]
)  # fmt: skip
_CMRC_CJK = re.compile(r"[\u4e00-\u9fa5]")
_ANY_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\w+(?:[.,'’-]\w+)*|[^\w\s]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_SQUAD_PUNCTUATION = frozenset(string.punctuation)
_SPACE = re.compile(r"\s+")


# --- CMRC 2018 (Chinese) -------------------------------------------------------------------


def _word_tokenize(text: str) -> list[str]:
    return _WORD.findall(text)


def mixed_segmentation(text: str, rm_punc: bool = False) -> list[str]:
    """CJK characters one by one, other runs word-tokenized (cmrc2018_evaluate.py)."""
    segments: list[str] = []
    run = ""
    for char in str(text).lower().strip():
        if rm_punc and char in CMRC_PUNCTUATION:
            continue
        if _CMRC_CJK.match(char) or char in CMRC_PUNCTUATION:
            if run:
                segments.extend(_word_tokenize(run))
                run = ""
            segments.append(char)
        else:
            run += char
    if run:
        segments.extend(_word_tokenize(run))
    return segments


def remove_punctuation(text: str) -> str:
    return "".join(c for c in str(text).lower().strip() if c not in CMRC_PUNCTUATION)


def longest_common_substring(a: list[str], b: list[str]) -> int:
    """Length of the longest contiguous run shared by ``a`` and ``b`` (cmrc2018's find_lcs)."""
    best = 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            if x == y:
                current[j + 1] = previous[j] + 1
                best = max(best, current[j + 1])
        previous = current
    return best


def cmrc_f1(prediction: str, reference: str) -> float:
    pred = mixed_segmentation(prediction, rm_punc=True)
    ref = mixed_segmentation(reference, rm_punc=True)
    common = longest_common_substring(ref, pred)
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def cmrc_em(prediction: str, reference: str) -> float:
    """Official EM, plus whitespace removal (see the module docstring)."""
    return float(
        _SPACE.sub("", remove_punctuation(prediction)) == _SPACE.sub("", remove_punctuation(reference))
    )


# --- SQuAD v1.1 (English) -------------------------------------------------------------------


def normalize_answer(text: str) -> str:
    """SQuAD's normalize_answer: lower case, no punctuation, no articles, single spaces."""
    text = "".join(c for c in text.lower() if c not in _SQUAD_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def squad_f1(prediction: str, reference: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    same = sum((Counter(pred) & Counter(ref)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def squad_em(prediction: str, reference: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(reference))


# --- choosing the script, best over references ------------------------------------------------


def reference_language(reference: str, default: str) -> str:
    """ "zh" for a reference with a CJK character; a reference without (digits, Latin) gets
    ``default``, the language of the dataset's contexts."""
    return "zh" if default == "zh" or _ANY_CJK.search(reference) else "en"


def em_f1(prediction: str, references: list[str], default_language: str) -> tuple[float, float]:
    """Best EM and best F1 over the references, each by its reference's official script."""
    best_em = best_f1 = 0.0
    for reference in references:
        if reference_language(reference, default_language) == "zh":
            em, f1 = cmrc_em(prediction, reference), cmrc_f1(prediction, reference)
        else:
            em, f1 = squad_em(prediction, reference), squad_f1(prediction, reference)
        best_em, best_f1 = max(best_em, em), max(best_f1, f1)
    return best_em, best_f1


def compact(text: str) -> str:
    """NFKC-folded, every whitespace character removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def _strip_punctuation_ends(text: str) -> str:
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]).startswith("P"):
        start += 1
    while end > start and unicodedata.category(text[end - 1]).startswith("P"):
        end -= 1
    return text[start:end]


def contains_gold(text: str, references: list[str]) -> bool:
    """A reference (compacted, punctuation at its two ends dropped) lies inside ``text``."""
    folded = compact(text)
    needles = [_strip_punctuation_ends(compact(r)) for r in references]
    return any(n and n in folded for n in needles)


# --- one system's answer to one question, and aggregates ----------------------------------------


class Verdict(BaseModel):
    """One system's answer to one question and how it scores.

    ``em``/``f1`` score the short answer against the references (0 without one);
    ``short_em``/``short_f1`` are the same figures but ``None`` when no short answer was
    given; ``quote_em``/``quote_f1`` score the first supporting quote as if it were the
    answer (0 after a refusal). All of them are ``None`` for an out-of-corpus question.
    """

    found: bool
    answer: str = ""
    short_answer: str | None = None
    quotes: list[str] = Field(default_factory=list)
    latency_ms: float | None = None
    error: str | None = None
    answer_contains_gold: bool | None = None
    quote_contains_gold: bool | None = None
    short_em: float | None = None
    short_f1: float | None = None
    em: float | None = None
    f1: float | None = None
    quote_em: float | None = None
    quote_f1: float | None = None


def judge(
    *,
    found: bool,
    answer: str,
    short_answer: str | None,
    quotes: list[str],
    references: list[str],
    answerable: bool,
    default_language: str,
    latency_ms: float | None = None,
    error: str | None = None,
) -> Verdict:
    """Score one answer. A refusal contains nothing; an out-of-corpus question has no gold."""
    v = Verdict(
        found=found,
        answer=answer,
        short_answer=short_answer,
        quotes=quotes,
        latency_ms=latency_ms,
        error=error,
    )
    if not answerable:
        return v
    v.answer_contains_gold = found and contains_gold(answer, references)
    v.quote_contains_gold = found and any(contains_gold(q, references) for q in quotes)
    v.em = v.f1 = 0.0
    if found and short_answer:
        v.short_em, v.short_f1 = em_f1(short_answer, references, default_language)
        v.em, v.f1 = v.short_em, v.short_f1
    v.quote_em, v.quote_f1 = (
        em_f1(quotes[0], references, default_language) if found and quotes else (0.0, 0.0)
    )
    return v


def hit_at_k(passages: list[str], references: list[str], k: int = 5) -> bool:
    """A reference answer (compacted) lies inside one of the top ``k`` passages."""
    return any(contains_gold(p, references) for p in passages[:k])


class Summary(BaseModel):
    """Aggregates of one system over a run; a rate whose denominator is empty is ``None``."""

    answerable: int
    held_out: int
    contains_gold: float | None = None
    quote_contains_gold: float | None = None
    false_refusal: float | None = None
    out_of_corpus_refused: float | None = None
    short_coverage: float | None = None
    short_em_given: float | None = None
    short_f1_given: float | None = None
    em: float | None = None
    f1: float | None = None
    quote_em: float | None = None
    quote_f1: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


def mean(values: Iterable[float | bool | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def summarize(verdicts: list[Verdict], answerable: list[bool]) -> Summary:
    """``answerable[i]`` says whether question i's article is in the corpus."""
    pairs = list(zip(verdicts, answerable, strict=True))
    ans = [v for v, a in pairs if a]
    held = [v for v, a in pairs if not a]
    given = [v for v in ans if v.short_em is not None]
    s = Summary(answerable=len(ans), held_out=len(held))
    s.contains_gold = mean(v.answer_contains_gold for v in ans)
    s.quote_contains_gold = mean(v.quote_contains_gold for v in ans)
    s.false_refusal = mean(not v.found for v in ans)
    s.out_of_corpus_refused = mean(not v.found for v in held)
    s.short_coverage = len(given) / len(ans) if ans else None
    s.short_em_given = mean(v.short_em for v in given)
    s.short_f1_given = mean(v.short_f1 for v in given)
    s.em, s.f1 = mean(v.em for v in ans), mean(v.f1 for v in ans)
    s.quote_em, s.quote_f1 = mean(v.quote_em for v in ans), mean(v.quote_f1 for v in ans)
    latencies = [v.latency_ms for v in verdicts if v.latency_ms is not None and v.error is None]
    if latencies:
        s.latency_p50_ms = float(np.percentile(latencies, 50))
        s.latency_p95_ms = float(np.percentile(latencies, 95))
    return s
