"""The gold Q&A set: typed items loaded from JSONL, and checks against the cleaned corpus.

One question per line: ``{"id", "question", "language", "type", "answers", "evidence",
"doc_id", "section"}``. ``evidence`` is an exact substring of the *cleaned* document text
(what the index holds and what citations quote), so retrieval and citations can be scored
by plain containment and character offsets. Unanswerable items have no answers, evidence
or section. Loading fails with a ``ConfigError`` naming the line, because a typo in the
gold file should stop an evaluation, not silently score a question as wrong.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from qa.errors import ConfigError
from qa.schemas import Document
from qa.text import has_cjk


class QuestionType(StrEnum):
    FACT = "fact"
    NUMBER = "number"
    LIST = "list"
    DATE = "date"
    OPEN = "open"
    UNANSWERABLE = "unanswerable"
    ROBUSTNESS = "robustness"


class GoldItem(BaseModel):
    """One gold question with what a correct answer must contain and where it is proven."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1)]
    question: Annotated[str, Field(min_length=1)]
    language: Literal["zh", "en"]
    type: QuestionType
    answers: list[Annotated[str, Field(min_length=1)]]
    evidence: str
    doc_id: str
    section: str

    @property
    def answerable(self) -> bool:
        return self.type is not QuestionType.UNANSWERABLE

    @model_validator(mode="after")
    def _consistent(self) -> GoldItem:
        if self.answerable and (not self.answers or not self.evidence.strip()):
            raise ValueError("an answerable item needs answers and evidence")
        if not self.answerable and (self.answers or self.evidence or self.section):
            raise ValueError("an unanswerable item must have empty answers, evidence and section")
        return self


def load_gold(path: Path) -> list[GoldItem]:
    """Read a gold JSONL file; blank lines are skipped, ids must be unique."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise ConfigError(f"gold file not found: {path}") from exc
    items: list[GoldItem] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = GoldItem.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path.name}:{n}: not valid JSON ({exc.msg})") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "item"
            raise ConfigError(f"{path.name}:{n}: {where}: {first['msg']}") from exc
        if item.id in seen:
            raise ConfigError(f"{path.name}:{n}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise ConfigError(f"gold file is empty: {path}")
    return items


def evidence_span(item: GoldItem, document: Document) -> tuple[int, int] | None:
    """Offsets of the evidence in the document (its first occurrence), or None if absent."""
    if not item.evidence:
        return None
    start = document.text.find(item.evidence)
    return None if start < 0 else (start, start + len(item.evidence))


def has_chinese(text: str) -> bool:
    return has_cjk(text)


def check_gold(items: list[GoldItem], documents: dict[str, Document]) -> list[str]:
    """Every problem that makes the gold set disagree with the corpus; empty when it agrees.

    Checks: ids unique; each answerable item's document exists, its evidence is an exact
    substring of the cleaned text, lies in the section it names, and holds every answer of
    a Chinese question and every Chinese answer string; every section of every document
    that the set refers to is covered by at least one question.
    """
    problems: list[str] = []
    ids = [i.id for i in items]
    problems += [f"duplicate id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    covered: dict[str, set[str]] = {}
    for item in items:
        if not item.answerable:
            continue
        doc = documents.get(item.doc_id)
        if doc is None:
            problems.append(f"{item.id}: unknown document {item.doc_id!r}")
            continue
        span = evidence_span(item, doc)
        if span is None:
            problems.append(f"{item.id}: evidence is not in the cleaned document: {item.evidence[:40]!r}")
            continue
        section = doc.section_at(span[0]).title
        if section != item.section:
            problems.append(f"{item.id}: evidence lies in section {section!r}, not {item.section!r}")
        covered.setdefault(doc.doc_id, set()).add(section)
        for answer in item.answers:
            if (item.language == "zh" or has_chinese(answer)) and answer not in item.evidence:
                problems.append(f"{item.id}: answer {answer!r} is not in the evidence")
    for doc_id, sections in covered.items():
        for heading in documents[doc_id].sections:
            if heading.title not in sections:
                problems.append(f"{doc_id}: no question covers section {heading.title!r}")
    return problems
