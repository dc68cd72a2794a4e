"""Loaders: one function per file format, each returning the file's lines as blocks.

HTML keeps only what a reader sees (scripts, styles, navigation and page furniture are
dropped); its h1-h6 elements are headings. Markdown headings are ``#`` lines. Plain
text has no markup, so its headings are inferred in ``clean``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from qa.errors import CorpusError
from qa.ingest.clean import Block, clean_blocks
from qa.schemas import Document

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_DROP = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg"]
_HTML_HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
_HTML_BLOCKS = [
    "p",
    "div",
    "li",
    "br",
    "tr",
    "section",
    "article",
    "blockquote",
    "pre",
    "td",
    "th",
    "dd",
    "dt",
]


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CorpusError(f"{path.name}: not UTF-8 or GB18030 text")


def text_blocks(content: str) -> tuple[list[Block], str | None]:
    return [Block(line) for line in content.splitlines()], None


def markdown_blocks(content: str) -> tuple[list[Block], str | None]:
    blocks: list[Block] = []
    title = None
    for line in content.splitlines():
        match = _MD_HEADING.match(line)
        if match:
            if title is None and len(match.group(1)) == 1:
                title = match.group(2)
            blocks.append(Block(match.group(2), heading=True))
        else:
            blocks.append(Block(line, heading=False))
    return blocks, title


def html_blocks(content: str) -> tuple[list[Block], str | None]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(content, "html.parser")
    title_tag = soup.find("h1") or soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    if soup.head:
        soup.head.decompose()
    for tag in soup(_HTML_DROP):
        tag.decompose()
    for tag in soup.find_all(role=["navigation", "banner", "contentinfo"]):
        tag.decompose()
    blocks: list[Block] = []
    for element in soup.find_all(_HTML_HEADINGS):
        element.insert_before("\n\x00H")
        element.insert_after("\n")
    for element in soup.find_all(_HTML_BLOCKS):
        element.insert_before("\n")
        element.insert_after("\n")
    for line in soup.get_text("").splitlines():
        if line.startswith("\x00H"):
            blocks.append(Block(re.sub(r"\s+", " ", line[2:]), heading=True))
        else:
            blocks.append(Block(re.sub(r"[ \t]+", " ", line), heading=False))
    return blocks, title


LOADERS: dict[str, Callable[[str], tuple[list[Block], str | None]]] = {
    ".txt": text_blocks,
    ".md": markdown_blocks,
    ".markdown": markdown_blocks,
    ".html": html_blocks,
    ".htm": html_blocks,
}
SUPPORTED_SUFFIXES = tuple(LOADERS)


def doc_id_for(path: Path, root: Path) -> str:
    """A stable, URL-safe id from the path inside the corpus folder."""
    rel = path.relative_to(root).with_suffix("")
    slug = re.sub(r"[^0-9A-Za-z\u4e00-\u9fff._-]+", "-", "--".join(rel.parts)).strip("-")
    return slug or "doc"


def load_file(path: Path, root: Path, heading_max_chars: int) -> Document:
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise CorpusError(f"{path.name}: unsupported type; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    blocks, title = loader(_read_text(path))
    return clean_blocks(
        blocks,
        doc_id=doc_id_for(path, root),
        source=str(path.relative_to(root)),
        heading_max_chars=heading_max_chars,
        title_hint=title,
    )


def corpus_files(root: Path) -> list[Path]:
    """Every supported file below ``root``, in a stable order; hidden files are skipped."""
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in LOADERS
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def load_corpus(root: Path, heading_max_chars: int = 24) -> list[Document]:
    files = corpus_files(root)
    if not files:
        raise CorpusError(f"no documents ({', '.join(SUPPORTED_SUFFIXES)}) in {root}")
    docs = [load_file(p, root, heading_max_chars) for p in files]
    docs = [d for d in docs if d.text.strip()]
    if not docs:
        raise CorpusError(f"every document in {root} is empty after cleaning")
    return docs
