"""Chunking: sections into overlapping chunks, and the whole text into sentences.

Chunks are what retrieval returns and citations show; sentences are what the answerer
quotes. Both carry offsets into the cleaned document text, checked here at build time:
a chunk whose ``text`` is not ``document.text[start:end]`` would be a citation that
points at the wrong place, so it is an error, not a warning.
"""

from __future__ import annotations

import itertools
import re

from langchain_text_splitters import RecursiveCharacterTextSplitter

from qa.schemas import Chunk, Clause, Document, Sentence, ValueSpan
from qa.text import CLAUSE_END, CLAUSE_MARK, COMMAS, SEMICOLONS, SENTENCE_END
from qa.text.values import find_values

# Paragraphs first, then sentence ends, then clause marks; this report uses ASCII commas
# and semicolons inside Chinese text, so both the full-width and the ASCII forms are listed.
SEPARATORS = ["\n\n", "\n", *SENTENCE_END, *SEMICOLONS, *COMMAS, "、", " ", ""]
_ENDS = re.escape(SENTENCE_END + SEMICOLONS)
_SENTENCE = re.compile(rf"[^\n{_ENDS}]*(?:[{_ENDS}]+[”’」』\"']?|\n|$)|[^\n]+")
_LATIN_STOP = re.compile(r"(?<=[a-z\)])\.\s+(?=[A-Z])")


def make_splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        keep_separator="end",
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        strip_whitespace=True,
    )


def chunk_document(doc: Document, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Split each section on its own, so that a chunk never spans two sections."""
    splitter = make_splitter(chunk_size, chunk_overlap)
    chunks: list[Chunk] = []
    for section in doc.sections:
        body = doc.text[section.start : section.end]
        cursor = 0
        for piece in splitter.split_text(body):
            found = body.find(piece, max(0, cursor - chunk_overlap))
            if found < 0:
                found = body.find(piece)
            if found < 0:
                raise ValueError(f"chunk not found in section {section.title!r} of {doc.doc_id}")
            start = section.start + found
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}:c{len(chunks):04d}",
                    doc_id=doc.doc_id,
                    section=section.title,
                    start=start,
                    end=start + len(piece),
                    text=piece,
                )
            )
            cursor = found + len(piece)
    _check_offsets(doc, chunks)
    return chunks


def split_sentences(doc: Document, chunks: list[Chunk]) -> list[Sentence]:
    """Sentences end at 。!?; (full-width or ASCII) or a line break, and never cross sections."""
    sentences: list[Sentence] = []
    for section in doc.sections:
        body = doc.text[section.start : section.end]
        for match in _SENTENCE.finditer(body):
            for rel_start, rel_end in _latin_sentences(match.group(), match.start()):
                raw = body[rel_start:rel_end]
                stripped = raw.strip()
                if not stripped:
                    continue
                start = section.start + rel_start + (len(raw) - len(raw.lstrip()))
                sentences.append(
                    Sentence(
                        values=[
                            ValueSpan(text=v.text, kind=v.kind.value, start=v.start, end=v.end)
                            for v in find_values(stripped)
                        ],
                        sentence_id=f"{doc.doc_id}:s{len(sentences):04d}",
                        chunk_id=_chunk_for(chunks, start),
                        chunk_ids=[
                            c.chunk_id for c in chunks if c.start < start + len(stripped) and start < c.end
                        ],
                        doc_id=doc.doc_id,
                        section=section.title,
                        start=start,
                        end=start + len(stripped),
                        text=stripped,
                    )
                )
    _check_offsets(doc, sentences)
    return sentences


def split_value_clauses(sentences: list[Sentence], first_pos: int = 0) -> list[Clause]:
    """The clauses of each sentence that hold a figure (a number, percentage or date)."""
    clauses: list[Clause] = []
    for pos, sentence in enumerate(sentences, start=first_pos):
        text = sentence.text
        bounds = [0, *(m.end() for m in CLAUSE_MARK.finditer(text)), len(text)]
        for lo, hi in itertools.pairwise(bounds):
            piece = text[lo:hi].rstrip(CLAUSE_END)
            if piece.strip() and find_values(piece):
                lead = len(piece) - len(piece.lstrip())
                clauses.append(
                    Clause(
                        sentence_pos=pos,
                        doc_id=sentence.doc_id,
                        section=sentence.section,
                        start=sentence.start + lo + lead,
                        end=sentence.start + lo + len(piece),
                        text=piece.strip(),
                    )
                )
    return clauses


def _latin_sentences(text: str, offset: int) -> list[tuple[int, int]]:
    """Split English prose at ". " before a capital; Chinese text has no such periods."""
    bounds, last = [], 0
    for m in _LATIN_STOP.finditer(text):
        bounds.append((offset + last, offset + m.start() + 1))
        last = m.end()
    bounds.append((offset + last, offset + len(text)))
    return bounds


def _chunk_for(chunks: list[Chunk], offset: int) -> str:
    """The chunk whose span holds ``offset`` and starts latest, i.e. has the most context after it."""
    holders = [c for c in chunks if c.start <= offset < c.end]
    if not holders:
        holders = [min(chunks, key=lambda c: abs(c.start - offset))]
    return min(holders, key=lambda c: abs((c.start + c.end) / 2 - offset)).chunk_id


def _check_offsets(doc: Document, spans: list[Chunk] | list[Sentence]) -> None:
    for span in spans:
        if doc.text[span.start : span.end] != span.text:
            raise ValueError(f"offset mismatch in {doc.doc_id} at {span.start}:{span.end}")
