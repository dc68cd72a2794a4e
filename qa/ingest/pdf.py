"""PDF: the text layer of each page, with the page it is on, through pypdf (pure Python).

Only text a PDF carries as text is read: a scanned PDF (pages that are pictures) has none and
is refused with that reason rather than indexed empty, since OCR is another tool's job. An
encrypted PDF opens only when its user password is empty (owner-only restrictions are common
and harmless); one that needs a password is refused.

Every line keeps its page number, so the cleaned document can record where each page starts
and a citation can name its page (``Document.pages``).

pypdf hard-wraps lines as the page lays them out; a line that does not end a sentence is
joined with the next one on the same page, so a sentence that wraps is one sentence for
retrieval and its quote. Lines that end with sentence punctuation, and short lines (headings,
list items), stay lines of their own.
"""

from __future__ import annotations

import re
from pathlib import Path

from qa.errors import CorpusError
from qa.ingest.clean import Block
from qa.text import CJK, COLONS, SEMICOLONS, SENTENCE_END

_SENTENCE_END = tuple(SENTENCE_END + SEMICOLONS + COLONS + ".…")
_WRAP_MIN_SHARE = 0.75  # a line this close to the page's longest line is taken as wrapped
_CJK_EDGE = re.compile(rf"[{CJK}]")


def pdf_blocks(path: Path) -> tuple[list[Block], str | None]:
    """The lines of every page as blocks (each with its page), and the title from the metadata."""
    reader = _open(path)
    blocks: list[Block] = []
    try:
        for number, page in enumerate(reader.pages, start=1):
            blocks.append(Block("", page=number))  # every page counts, even one without text
            lines = (page.extract_text() or "").splitlines()
            blocks.extend(Block(line, page=number) for line in join_wrapped(lines))
    except Exception as exc:  # pypdf raises many kinds on a damaged file; each means "cannot read it"
        raise CorpusError(f"{path.name}: cannot read the PDF ({type(exc).__name__}: {exc})") from exc
    if not any(b.text.strip() for b in blocks):
        raise CorpusError(f"{path.name}: the PDF has no text layer (a scanned PDF? run OCR on it first)")
    title = None
    try:
        meta = reader.metadata
        title = (meta.title or "").strip() or None if meta else None
    except Exception:  # a broken info dictionary costs the title hint, not the document
        title = None
    return blocks, title


def _open(path: Path):  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorpusError(f"{path.name}: the PDF is encrypted (it needs a password to open)")
        len(reader.pages)  # a broken page tree fails here, not half-way through the text
    except CorpusError:
        raise
    except Exception as exc:  # not a PDF, truncated, a cipher pypdf lacks: all unreadable
        raise CorpusError(f"{path.name}: not a readable PDF ({type(exc).__name__}: {exc})") from exc
    return reader


def join_wrapped(lines: list[str]) -> list[str]:
    """Join a line that the page wrapped (long, not ending a sentence) with the line after it."""
    stripped = [line.strip() for line in lines]
    longest = max((len(line) for line in stripped), default=0)
    joined: list[str] = []
    carry = ""
    for line in stripped:
        if not line:
            if carry:
                joined.append(carry)
                carry = ""
            continue
        text = _join(carry, line) if carry else line
        wrapped = len(line) >= _WRAP_MIN_SHARE * longest and not line.endswith(_SENTENCE_END)
        if wrapped:
            carry = text
        else:
            joined.append(text)
            carry = ""
    if carry:
        joined.append(carry)
    return joined


def _join(before: str, after: str) -> str:
    """No space between Chinese characters, nor after a hyphenated line end; one space otherwise."""
    if _CJK_EDGE.match(before[-1]) and _CJK_EDGE.match(after[0]):
        return before + after
    if before.endswith("-") and before[-2:-1].isalpha() and after[:1].islower():
        return before + after
    return f"{before} {after}"
