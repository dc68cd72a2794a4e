"""Word (.docx) through python-docx: paragraphs and tables in reading order, headings by style.

A paragraph styled "Heading 1".."Heading 9" (or "Title") is a heading, so it starts a section;
every other paragraph is body text, whatever its length, because the file says so and nothing
needs to be guessed. A table row becomes one line of its cells joined by " | ", so a figure in
a table is quoted as the cell writes it. The title is the document's "Title" property, else
the first "Title"-styled paragraph, else (as for text files) its first line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.errors import CorpusError
from qa.ingest.clean import Block

_HEADING_STYLES = ("heading", "title")


def docx_blocks(path: Path) -> tuple[list[Block], str | None]:
    document = _open(path)
    blocks: list[Block] = []
    title: str | None = None
    try:
        core_title = (document.core_properties.title or "").strip()
        for item in document.iter_inner_content():
            if hasattr(item, "rows"):
                blocks.extend(Block(line, heading=False) for line in _table_lines(item))
                continue
            style = (item.style.name if item.style is not None else "").lower()
            heading = style.startswith(_HEADING_STYLES)
            if style == "title" and title is None and item.text.strip():
                title = item.text.strip()
            blocks.extend(Block(line, heading=heading) for line in item.text.splitlines())
    except Exception as exc:  # a damaged part surfaces as any of lxml's or python-docx's errors
        raise CorpusError(f"{path.name}: cannot read the Word file ({type(exc).__name__}: {exc})") from exc
    if not any(b.text.strip() for b in blocks):
        raise CorpusError(f"{path.name}: the Word file has no text")
    return blocks, core_title or title


def _open(path: Path) -> Any:
    import docx

    try:
        return docx.Document(str(path))
    except Exception as exc:  # not a zip, not a Word package, a missing part: all unreadable
        raise CorpusError(f"{path.name}: not a readable Word file ({type(exc).__name__}: {exc})") from exc


def _table_lines(table: Any) -> list[str]:
    """One line per row; a merged cell (the same cell object repeated) is written once."""
    lines = []
    for row in table.rows:
        cells: list[Any] = []
        for cell in row.cells:
            if not cells or cell._tc is not cells[-1]._tc:
                cells.append(cell)
        texts = [" ".join(cell.text.split()) for cell in cells]
        if any(texts):
            lines.append(" | ".join(texts))
    return lines
