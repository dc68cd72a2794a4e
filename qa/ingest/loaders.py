"""Loaders: one function per file format, each returning the file's lines as blocks.

HTML keeps only what a reader sees (scripts, styles, navigation and page furniture are
dropped); its h1-h6 elements are headings. Markdown headings are ``#`` lines. Plain
text has no markup, so its headings are inferred in ``clean``. PDF (``qa.ingest.pdf``) and
Word (``qa.ingest.word``) files are read from their bytes by their own modules.

A corpus file that cannot be read (unknown type, no text layer, encrypted, corrupt) is
skipped with its reason by ``scan_corpus``: the build goes on with the others, and the
reasons reach the build log, ``qa build-index``, the manifest and ``GET /documents``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from qa.errors import CorpusError
from qa.ingest.clean import Block, clean_blocks
from qa.ingest.pdf import pdf_blocks
from qa.ingest.word import docx_blocks
from qa.schemas import Document, SkippedFile

log = logging.getLogger(__name__)

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
FILE_LOADERS: dict[str, Callable[[Path], tuple[list[Block], str | None]]] = {
    ".pdf": pdf_blocks,
    ".docx": docx_blocks,
}
SUPPORTED_SUFFIXES = (*LOADERS, *FILE_LOADERS)


def doc_id_for(path: Path, root: Path) -> str:
    """A stable, URL-safe id from the path inside the corpus folder."""
    rel = path.relative_to(root).with_suffix("")
    slug = re.sub(r"[^0-9A-Za-z\u4e00-\u9fff._-]+", "-", "--".join(rel.parts)).strip("-")
    return slug or "doc"


def load_file(path: Path, root: Path, heading_max_chars: int) -> Document:
    suffix = path.suffix.lower()
    if suffix in FILE_LOADERS:
        blocks, title = FILE_LOADERS[suffix](path)
    elif suffix in LOADERS:
        blocks, title = LOADERS[suffix](_read_text(path))
    else:
        raise CorpusError(
            f"{path.name}: unsupported type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    return clean_blocks(
        blocks,
        doc_id=doc_id_for(path, root),
        source=str(path.relative_to(root)),
        heading_max_chars=heading_max_chars,
        title_hint=title,
    )


def corpus_files(root: Path, supported: bool = True) -> list[Path]:
    """Every supported file below ``root`` (``supported=False``: every file), in a stable order;
    hidden files and folders are left out."""
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and (not supported or p.suffix.lower() in SUPPORTED_SUFFIXES)
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def scan_corpus(root: Path, heading_max_chars: int = 24) -> tuple[list[Document], list[SkippedFile]]:
    """The documents of the corpus folder, and every other file with why it is not one.

    Raises CorpusError only when no document is left: a build needs at least one."""
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    sources: dict[str, str] = {}
    for path in corpus_files(root, supported=False):
        source = str(path.relative_to(root))
        try:
            doc = load_file(path, root, heading_max_chars)
        except CorpusError as exc:
            skipped.append(SkippedFile(source=source, reason=exc.detail.removeprefix(f"{path.name}: ")))
            continue
        if not doc.text.strip():
            skipped.append(SkippedFile(source=source, reason="no text after cleaning"))
        elif doc.doc_id in sources:
            reason = f"document id {doc.doc_id!r} is already taken by {sources[doc.doc_id]}"
            skipped.append(SkippedFile(source=source, reason=reason))
        else:
            sources[doc.doc_id] = source
            documents.append(doc)
    for item in skipped:
        log.warning("skipped %s: %s", item.source, item.reason)
    if not documents:
        readable = [s for s in skipped if s.reason != "no text after cleaning"]
        if not corpus_files(root):
            raise CorpusError(f"no documents ({', '.join(SUPPORTED_SUFFIXES)}) in {root}")
        if not readable:
            raise CorpusError(f"every document in {root} is empty after cleaning")
        reasons = "; ".join(f"{s.source}: {s.reason}" for s in skipped)
        raise CorpusError(f"no readable document in {root} ({reasons})")
    return documents, skipped


def load_corpus(root: Path, heading_max_chars: int = 24) -> list[Document]:
    """The documents of the corpus folder (``scan_corpus`` without the skipped files)."""
    return scan_corpus(root, heading_max_chars)[0]
