"""The guard's counts over a run and the English-answer test of the generative target."""

from __future__ import annotations

import pytest

from qa.eval.grounding import GuardSummary, Outcome, is_english


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("The direct-link bandwidth is 9540GB [1].", True),
        ("The champion was “丹佛野马队” [2].", True),  # a quoted Chinese term in an English sentence
        ("两地直联带宽达到9540GB[1]。", False),
        ("9540GB [1]", False),  # no sentence at all
        ("带宽 is 9540GB", False),
    ],
)
def test_is_english(text: str, english: bool):
    assert is_english(text) is english


def test_guard_counts_repairs_fallbacks_and_ungrounded_answers():
    rows = [
        Outcome("generative", [], True, True, "It is 9540GB [1].", True),
        Outcome(
            "generative", ['figure "9450GB" is not in passage [1]'], True, True, "It is 9540GB [1].", True
        ),
        Outcome("extractive", ["short answer …"], True, True, "9540GB。原文:…", True),
        Outcome("generative", [], False, True, "中文回答[1]。", False),
        Outcome("generative", [], True, False, "", True),  # a refusal: no language to judge
    ]
    summary = GuardSummary.of(rows)
    assert (summary.repaired, summary.fell_back, summary.ungrounded) == (1, 1, 1)
    assert summary.english_answers == pytest.approx(2 / 3)
