"""Cleaning: page chrome out, metadata and section headings found, Chinese text repaired.

Reports copied from government web pages carry breadcrumbs, "print this page" footers,
stray spaces inside Chinese words and titles split over lines. Cleaning removes those
and records the title, the publication date and the section each paragraph belongs to.
The cleaned text is the one every offset in the index points into, so it is built once
here and never altered later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.schemas import Document, Section
from qa.text import CJK, COLONS, SEMICOLONS, SENTENCE_END, marks

_CJK_GAP = re.compile(rf"(?<=[{CJK}])[ \t\u3000\u00a0]+(?=[{CJK}])")
_BREADCRUMB = re.compile(
    r"^(当前位置|您的位置|你的位置|当前页面|current location|you are here)\s*" + marks(COLONS), re.I
)
_CHROME_TOKEN = re.compile(r"【[^】]{1,8}】|\[[^\]\d]{1,12}\]")
_CHROME_WORDS = re.compile(
    r"(返回顶部|关闭窗口|打印本页|打印此页|分享到|收藏本页|back to top|print this page)", re.I
)
_DATE_LINE = re.compile(
    r"^(?:发布时间|发布日期|发文日期|日期|时间|published|date)\s*" + marks(COLONS) + r"\s*"
    r"(?P<date>\d{4}[-/年.]\d{1,2}[-/月.]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)",
    re.I,
)
_SENTENCE_END = tuple(SENTENCE_END + SEMICOLONS + COLONS + "…")
_TITLE_SCAN_LINES = 6


@dataclass(frozen=True)
class Block:
    """A line of source text; ``heading`` is True/False when the format says, None to infer;
    ``page`` is the 1-based page it is on, for formats that have pages (PDF)."""

    text: str
    heading: bool | None = None
    page: int | None = None


def repair_spaces(line: str) -> str:
    """Remove spaces between two CJK characters ("赋 能" -> "赋能"); keep all others."""
    return _CJK_GAP.sub("", line)


def is_chrome(line: str) -> bool:
    """Breadcrumbs, and short lines made only of link-like tokens such as 【返回顶部】 【关闭窗口】."""
    if _BREADCRUMB.match(line):
        return True
    if len(line) > 60:
        return False
    rest = _CHROME_WORDS.sub("", _CHROME_TOKEN.sub("", line)).strip(" |/·")
    return rest == "" and (_CHROME_TOKEN.search(line) or _CHROME_WORDS.search(line)) is not None


def looks_like_heading(line: str, max_chars: int) -> bool:
    """A short standalone line with no sentence punctuation at its end."""
    return 2 <= len(line) <= max_chars and not line.endswith(_SENTENCE_END)


def clean_blocks(
    blocks: list[Block],
    *,
    doc_id: str,
    source: str,
    heading_max_chars: int,
    title_hint: str | None = None,
) -> Document:
    """Build the cleaned document from a file's lines."""
    page_count = max((b.page for b in blocks if b.page is not None), default=0)
    lines = [Block(repair_spaces(b.text.strip(" \t\u3000\u00a0\r")), b.heading, b.page) for b in blocks]
    lines = [b for b in lines if b.text and not is_chrome(b.text)]

    published = None
    title = title_hint
    body_from = 0
    for i, block in enumerate(lines[:_TITLE_SCAN_LINES]):
        match = _DATE_LINE.match(block.text)
        if match:
            published = match.group("date")
            if title is None and i > 0:
                title = "".join(b.text for b in lines[:i])
                lines = [Block(title, False, lines[0].page), *lines[i:]]
                body_from = 2
            else:
                body_from = i + 1
            break
    if title is None and lines:
        title = lines[0].text
        body_from = max(body_from, 1)
    title = title or doc_id

    parts: list[str] = []
    sections: list[Section] = []
    page_offsets: list[tuple[int, int]] = []  # (page, offset) of each line that has a page
    offset = 0
    current = Section(title=title, start=0, end=0)
    for i, block in enumerate(lines):
        is_last = i == len(lines) - 1
        heading = block.heading
        if heading is None:
            heading = (
                i >= body_from
                and not is_last
                and looks_like_heading(block.text, heading_max_chars)
                and not looks_like_heading(lines[i + 1].text, heading_max_chars)
            )
        if heading and offset > 0:
            current.end = offset
            sections.append(current)
            current = Section(title=block.text, start=offset, end=0)
        parts.append(block.text)
        if block.page is not None:
            page_offsets.append((block.page, offset))
        offset += len(block.text) + 2
    text = "\n\n".join(parts)
    current.end = len(text)
    sections.append(current)
    return Document(
        doc_id=doc_id,
        title=title,
        published=published,
        source=source,
        text=text,
        sections=sections,
        pages=_page_starts(page_offsets, page_count, len(text)),
    )


def _page_starts(page_offsets: list[tuple[int, int]], page_count: int, end: int) -> list[int]:
    """Page n starts at its first line kept; a page with none kept starts where the next does."""
    first: dict[int, int] = {}
    for page, offset in page_offsets:
        first.setdefault(page, offset)
    starts = [end] * page_count
    following = end
    for page in range(page_count, 0, -1):
        following = min(following, first.get(page, following))
        starts[page - 1] = following
    return starts
