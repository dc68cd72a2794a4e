"""Fixtures of the evaluation tests: the gold set and the in-process backend over the session index."""

from __future__ import annotations

import pytest

from qa.config import ROOT
from qa.eval.gold import GoldItem, QuestionType, load_gold

GOLD_FILE = ROOT / "corpus" / "gold" / "gold.jsonl"


@pytest.fixture(scope="session")
def gold_items() -> list[GoldItem]:
    return load_gold(GOLD_FILE)


@pytest.fixture(scope="session")
def inprocess_backend(engine):
    """The product's answerer over the session engine (real model, real index)."""
    from qa.eval.backends import InProcessBackend

    return InProcessBackend.open(engine)


@pytest.fixture(scope="session")
def mixed_gold(gold_items: list[GoldItem]) -> list[GoldItem]:
    """40 questions spread over both languages, answerable, unanswerable and robustness."""
    items = gold_items
    groups = {
        "zh": [i for i in items if i.language == "zh" and i.type not in _SPECIAL],
        "en": [i for i in items if i.language == "en" and i.type not in _SPECIAL],
        "un-zh": [i for i in items if i.type is QuestionType.UNANSWERABLE and i.language == "zh"],
        "un-en": [i for i in items if i.type is QuestionType.UNANSWERABLE and i.language == "en"],
        "rb": [i for i in items if i.type is QuestionType.ROBUSTNESS],
    }
    sizes = {"zh": 14, "en": 10, "un-zh": 4, "un-en": 4, "rb": 8}
    subset = []
    for name, group in groups.items():
        step = max(len(group) // sizes[name], 1)
        subset += group[::step][: sizes[name]]
    return subset


_SPECIAL = {QuestionType.UNANSWERABLE, QuestionType.ROBUSTNESS}
