"""Re-pointing a sentence's citation to the passage that states its figures.

Small models often write a figure right and number its passage wrong: on the gold set the
1.5B model's most frequent violation after the short answer was 'figure "X" is not in passage
[2]; it is in passage [1]' (100 of 492). The figure itself is grounded; only the pointer is
off. So before the model is asked to repair, each sentence with a figure that fails the guard
only on figures or citations is tried against each passage in turn, and cited to the first one
under which the whole sentence passes. Nothing else changes: no word of the sentence, no
figure, and a sentence without a digit (nothing to decide the passage by) is left alone.
"""

from __future__ import annotations

import re

from qa.generate.claims import sentences, strip_markers
from qa.generate.guard import check_answer

_FIXABLE = frozenset({"figure", "citation"})
_END = re.compile(r"[。.!?！？]+[\"'”’」』)）*]*$")


def realign(answer: str, passages: dict[int, str], language: str, question: str = "") -> str:
    """``answer`` with each misnumbered citation of a figure re-pointed to the passage stating it."""
    return "\n".join(
        "".join(_realigned(s, passages, language, question) for s in sentences(line))
        for line in answer.split("\n")
    )


def _realigned(sentence: str, passages: dict[int, str], language: str, question: str) -> str:
    bare = strip_markers(sentence)
    if not re.search(r"\d", bare):
        return sentence
    report = check_answer(sentence, passages, language, question)
    if report.grounded or any(v.kind not in _FIXABLE for v in report.violations):
        return sentence
    for n in sorted(passages):
        candidate = cite(bare, n, language)
        if check_answer(candidate, passages, language, question).grounded:
            return candidate
    return sentence


def cite(sentence: str, n: int, language: str) -> str:
    """``sentence`` (without markers) cited to passage ``n``: the marker before its end punctuation,
    as the prompts ask ("…9540GB [1]." in English, "…9540GB[1]。" in Chinese)."""
    body = sentence.rstrip()
    trailing = sentence[len(body) :]
    marker = f"[{n}]" if language.startswith("zh") else f" [{n}]"
    end = _END.search(body)
    if end:
        return body[: end.start()].rstrip() + marker + body[end.start() :] + trailing
    return body + marker + trailing
