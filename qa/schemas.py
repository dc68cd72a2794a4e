"""Typed records that cross module boundaries: documents, chunks, sentences and hits.

The request/response models of the HTTP API live in ``qa.api.models``; these are the
pipeline's own records, persisted in the index as JSON.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from pydantic import BaseModel, Field


class Section(BaseModel):
    """A span of a document under one heading; the preamble's title is the document's."""

    title: str
    start: int
    end: int


class Document(BaseModel):
    """A cleaned document. Every offset in the index points into ``text``."""

    doc_id: str
    title: str
    published: str | None = Field(None, description="Publication date/time as written.")
    source: str = Field(description="File name inside the corpus folder.")
    text: str
    sections: list[Section]
    pages: list[int] = Field(
        default_factory=list,
        description="Where each page starts in ``text`` (page n at pages[n-1]); empty for formats "
        "without pages. A page with no text starts where the next one does.",
    )

    def section_at(self, offset: int) -> Section:
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return self.sections[-1]

    def page_at(self, offset: int) -> int | None:
        """The 1-based page that holds ``offset``, or None for a document without pages."""
        if not self.pages:
            return None
        return max(1, bisect_right(self.pages, offset))


class SkippedFile(BaseModel):
    """A file in the corpus folder that is not indexed, and why: never dropped silently."""

    source: str = Field(description="File name inside the corpus folder.")
    reason: str


class Span(BaseModel):
    """A passage of a document: ``document.text[start:end] == text``."""

    doc_id: str
    section: str
    start: int
    end: int
    text: str


class Chunk(Span):
    chunk_id: str


class ValueSpan(BaseModel):
    """A figure of a sentence (quantity, percentage or date) as written, found at build time
    by ``qa.text.values``; ``start``/``end`` are relative to the sentence."""

    text: str
    kind: str
    start: int
    end: int


class Sentence(Span):
    sentence_id: str
    chunk_id: str = Field(description="The chunk that holds the sentence's start.")
    chunk_ids: list[str] = Field(
        default_factory=list, description="Every chunk the sentence overlaps, found once at build."
    )
    values: list[ValueSpan] = Field(
        default_factory=list, description="Its figures, found once when the index is built."
    )


class Clause(Span):
    """A clause that states a figure; embedded on its own so a question can pick the right
    figure out of a sentence that lists several."""

    sentence_pos: int


class Hit(BaseModel):
    """A retrieved chunk with its score and rank-giving signals."""

    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    start: int
    end: int
    score: float


class Citation(BaseModel):
    """A quoted passage: ``quote`` is exactly ``document.text[start:end]``; ``text`` is its chunk."""

    n: int = Field(description="The marker [n] in the answer that refers to this citation.")
    chunk_id: str
    doc_id: str
    title: str
    section: str
    quote: str
    text: str
    start: int
    end: int
    score: float
    page: int | None = Field(None, description="The page the quote starts on (PDF documents); else null.")
    supporting: bool = Field(
        True, description="False for the closest passages shown with a refusal: they do not answer."
    )


class AskResponse(BaseModel):
    question: str
    answer: str
    short_answer: str | None = None
    found: bool
    language: str = Field(description='"zh" or "en"')
    citations: list[Citation]
    refusal_reason: str | None = Field(
        None, description='Why it refused: the failed check of the best passage, e.g. "terms: missing: 6G".'
    )
    answerer: str = Field("extractive", description='Who wrote the answer: "extractive" or "generative".')
    grounded: bool = Field(
        True,
        description="Every figure of the answer is stated by a passage it cites (extractive quotes always "
        "are; a generative answer is checked by the grounding guard).",
    )
    violations: list[str] = Field(
        default_factory=list,
        description="What the grounding guard found in the generated text, also when it was repaired or "
        "replaced by the extractive answer.",
    )
    timings_ms: dict[str, float] = Field(default_factory=dict)
    debug: dict[str, Any] | None = Field(
        None,
        description='With "debug": true, the question\'s analysis and the checks of the two best sentences.',
    )
