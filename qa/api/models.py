"""Request models of the HTTP API (responses reuse ``qa.schemas``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from qa.config import SearchMode
from qa.config_llm import AnswererName
from qa.schemas import Section

MAX_QUESTION_CHARS = 2000
# Document ids are slugs of corpus file names (letters, digits, CJK, ._-), chunk ids add ":c0001".
# No slash, no backslash, no leading dot: an id can never name a path (../../etc/passwd is a 422).
ID_PATTERN = r"^[0-9A-Za-z\u4e00-\u9fff_-][0-9A-Za-z\u4e00-\u9fff._:-]{0,199}$"
ResourceId = Annotated[str, Path(pattern=ID_PATTERN, max_length=200, description="A document or chunk id.")]


def check_text(value: str, what: str = "question") -> str:
    """What a question must be beyond its length bounds; used for /ask and every chat turn."""
    if not value.strip():
        raise ValueError(f"{what} must not be empty or whitespace")
    if len(value) > MAX_QUESTION_CHARS:
        raise ValueError(f"{what} must be at most {MAX_QUESTION_CHARS} characters")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value) or "\x7f" in value:
        raise ValueError(f"{what} must not contain control characters")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError(f"{what} must be valid Unicode text (no lone surrogates)")
    return value.strip()


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS)]
    top_k: Annotated[int, Field(ge=1, le=20)] = 5
    mode: SearchMode | None = Field(
        None, description="Retrieval mode: dense, bm25 or hybrid (default: the server's QA_SEARCH_MODE)."
    )
    debug: bool = Field(
        False, description="Add `debug`: the analysis and the support checks of the two best sentences."
    )
    answerer: AnswererName | None = Field(
        None,
        description="extractive (quotes) or generative (an LLM's answer, checked against the passages it "
        "cites); default: the server's QA_ANSWERER.",
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return check_text(value)


ASK_EXAMPLES: dict[str, Any] = {
    "zh": {
        "summary": "中文问题",
        "value": {"question": "重庆和成都两地直联带宽达到多少?", "top_k": 5},
    },
    "en": {
        "summary": "English question",
        "value": {"question": "What is the direct-link bandwidth between Chongqing and Chengdu?"},
    },
    "unanswerable": {
        "summary": "不在报告中的问题 (refused)",
        "value": {"question": "重庆有多少个6G基站?"},
    },
}


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    published: str | None
    source: str
    chars: int
    pages: int | None = Field(None, description="Pages, for a PDF; null for formats without pages.")
    sections: list[Section]


class DocumentOut(DocumentSummary):
    text: str


class ChunkOut(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    section: str
    start: int
    end: int
    text: str


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str = Field(description="ready, loading, building or error")
    detail: str | None = Field(None, description="The build step while building; why, on error (with a key).")
