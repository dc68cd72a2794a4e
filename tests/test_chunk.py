"""Chunking and sentence splitting: offsets, section boundaries, sizes."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from qa.chunk import chunk_document, split_sentences
from qa.config import ROOT
from qa.ingest.loaders import load_file
from qa.schemas import Document, Section

DATA = Path(__file__).resolve().parent / "data"
CORPUS = ROOT / "corpus"
REPORT = CORPUS / "cq-ict-14th-five-year-review.txt"

SIZES = [(300, 60), (120, 30), (50, 10), (80, 0)]


def _docs() -> dict[str, Document]:
    return {
        "report": load_file(REPORT, CORPUS, 24),
        "md": load_file(DATA / "sample.md", DATA, 24),
        "html": load_file(DATA / "sample.html", DATA, 24),
    }


DOCS = _docs()


def make_doc(sections: list[tuple[str, str]]) -> Document:
    """A document whose sections are (heading, body) pairs, laid out like clean_blocks does."""
    parts, spans, offset = [], [], 0
    for heading, body in sections:
        text = f"{heading}\n\n{body}"
        spans.append(Section(title=heading, start=offset, end=offset + len(text)))
        parts.append(text)
        offset += len(text) + 2
    text = "\n\n".join(parts)
    for span, nxt in pairwise(spans):
        span.end = nxt.start
    spans[-1].end = len(text)
    return Document(doc_id="syn", title=sections[0][0], source="syn.txt", text=text, sections=spans)


LONG_SECTIONS = make_doc(
    [
        ("合成标题", "本文档是为分块测试合成的。" * 3),
        ("第一节", "".join(f"第{i}项指标增长了{i}.5%,达到{i * 7}万个;" for i in range(1, 25))),
        ("第二节", "".join(f"项目{i}已建成投产,覆盖{i}个区县。" for i in range(1, 30))),
        ("第三节", "短节。"),
    ]
)
DOCS["synthetic"] = LONG_SECTIONS


def section_of(doc: Document, start: int, end: int) -> list[Section]:
    return [s for s in doc.sections if s.start < end and start < s.end]


@pytest.mark.parametrize("name", sorted(DOCS))
@pytest.mark.parametrize(("size", "overlap"), SIZES)
def test_chunk_invariants(name, size, overlap):
    doc = DOCS[name]
    chunks = chunk_document(doc, size, overlap)
    assert chunks
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for chunk in chunks:
        assert chunk.chunk_id.startswith(doc.doc_id)
        assert chunk.doc_id == doc.doc_id
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= size
        assert chunk.text == chunk.text.strip()
        spanned = section_of(doc, chunk.start, chunk.end)
        assert len(spanned) == 1, f"{chunk.chunk_id} spans {[s.title for s in spanned]}"
        assert chunk.section == spanned[0].title


@pytest.mark.parametrize("name", sorted(DOCS))
@pytest.mark.parametrize(("size", "overlap"), SIZES)
def test_chunks_cover_every_character(name, size, overlap):
    doc = DOCS[name]
    chunks = chunk_document(doc, size, overlap)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    missing = [i for i, ch in enumerate(doc.text) if not ch.isspace() and i not in covered]
    assert not missing, doc.text[missing[0] : missing[0] + 20]
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)


def test_small_chunk_size_gives_several_chunks_per_section():
    chunks = chunk_document(LONG_SECTIONS, 60, 15)
    per_section = {s.title: sum(c.section == s.title for c in chunks) for s in LONG_SECTIONS.sections}
    assert per_section["第一节"] >= 3
    assert per_section["第二节"] >= 3
    assert per_section["第三节"] == 1
    # the heading stays with its own section's first chunk
    first = next(c for c in chunks if c.section == "第二节")
    assert first.text.startswith("第二节")


def test_overlap_shares_text_between_neighbours():
    chunks = chunk_document(LONG_SECTIONS, 60, 20)
    same_section = [(a, b) for a, b in pairwise(chunks) if a.section == b.section]
    assert same_section
    assert any(b.start < a.end for a, b in same_section)


def test_zero_overlap_never_overlaps():
    chunks = chunk_document(LONG_SECTIONS, 60, 0)
    for a, b in pairwise(chunks):
        assert b.start >= a.end


def test_repeated_text_chunks_map_to_their_own_offsets():
    doc = make_doc([("标题", "网络建设持续推进。" * 20)])
    chunks = chunk_document(doc, 30, 10)
    starts = [c.start for c in chunks]
    assert len(set(starts)) == len(starts), "two chunks at the same offset"
    assert max(c.end for c in chunks) == len(doc.text)


def test_report_default_chunking_shape():
    doc = DOCS["report"]
    chunks = chunk_document(doc, 300, 60)
    assert 15 <= len(chunks) <= 40
    assert {c.section for c in chunks} == {s.title for s in doc.sections}
    assert sum("9540GB" in c.text for c in chunks) >= 1


# --- sentences -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCS))
@pytest.mark.parametrize(("size", "overlap"), [(300, 60), (50, 10)])
def test_sentence_invariants(name, size, overlap):
    doc = DOCS[name]
    chunks = chunk_document(doc, size, overlap)
    by_id = {c.chunk_id: c for c in chunks}
    sentences = split_sentences(doc, chunks)
    assert sentences
    assert len({s.sentence_id for s in sentences}) == len(sentences)
    assert not {s.sentence_id for s in sentences} & set(by_id)
    prev_end = 0
    for sentence in sentences:
        assert sentence.sentence_id.startswith(doc.doc_id)
        assert doc.text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip() and sentence.text
        assert "\n" not in sentence.text
        spanned = section_of(doc, sentence.start, sentence.end)
        assert len(spanned) == 1, f"{sentence.sentence_id} crosses sections"
        assert sentence.section == spanned[0].title
        holder = by_id[sentence.chunk_id]
        assert holder.start <= sentence.start < holder.end
        # The stored map: exactly the chunks sharing a character with the sentence, the holder among them.
        shares = [
            c.chunk_id
            for c in chunks
            if set(range(c.start, c.end)) & set(range(sentence.start, sentence.end))
        ]
        assert sentence.chunk_ids == shares
        assert sentence.chunk_id in sentence.chunk_ids
        assert sentence.start >= prev_end, "sentences overlap or go backwards"
        prev_end = sentence.end


def test_sentences_cover_the_text():
    doc = DOCS["report"]
    sentences = split_sentences(doc, chunk_document(doc, 300, 60))
    squeeze = lambda text: "".join(text.split())  # noqa: E731
    assert "".join(squeeze(s.text) for s in sentences) == squeeze(doc.text)


@pytest.mark.parametrize(
    "fragment",
    [
        "2024年移动接入流量82.8亿G,较2020年底翻一番;",
        "“产业大脑+未来果园”模式汇聚巫山县3637家种植主体、22.31万亩脆李果园数据",
        "电信业务总量年均增长20.3%,电信业务收入年均增长7.6%。",
        "两地直联带宽达到9540GB。",
    ],
)
def test_decimals_stay_inside_one_sentence(fragment):
    doc = DOCS["report"]
    sentences = split_sentences(doc, chunk_document(doc, 300, 60))
    assert any(fragment in s.text for s in sentences), fragment


def test_sentence_ends():
    doc = make_doc([("标题", "第一句。第二句!第三句?第四句;第五句!第六句?\n第七句没有标点")])
    sentences = split_sentences(doc, chunk_document(doc, 300, 60))
    assert [s.text for s in sentences] == [
        "标题",
        "第一句。",
        "第二句!",
        "第三句?",
        "第四句;",
        "第五句!",
        "第六句?",
        "第七句没有标点",
    ]


def test_closing_quote_stays_with_its_sentence():
    doc = make_doc([("标题", "他说:“网络很快。”随后离开。")])
    sentences = split_sentences(doc, chunk_document(doc, 300, 60))
    assert [s.text for s in sentences] == ["标题", "他说:“网络很快。”", "随后离开。"]


def test_english_sentences_split_at_period_before_capital():
    doc = DOCS["md"]
    texts = [s.text for s in split_sentences(doc, chunk_document(doc, 300, 60))]
    assert "Some English text lives here." in texts
    assert "It has two sentences." in texts
    # decimals in English-style numbers are not sentence ends
    assert "骨干网络带宽提升至 12.5Tbps,时延降低 30%。" in texts


def test_full_width_punctuation_ends_sentences_and_chunks():
    """Most Chinese documents use full-width marks (，；！？); the report happens to use ASCII."""
    body = "带宽达到9540GB；普及率提升至84%！用户满意吗？" * 4
    doc = make_doc([("标题", body)])
    sentences = split_sentences(doc, chunk_document(doc, 40, 0))
    texts = [s.text for s in sentences if s.text != "标题"]
    assert texts[:3] == ["带宽达到9540GB；", "普及率提升至84%！", "用户满意吗？"]
    chunks = [c for c in chunk_document(doc, 40, 0) if c.text != "标题"]
    assert len(chunks) > 2
    assert all(c.text[-1] in "；！？" for c in chunks[:-1])


def test_sentences_carry_their_figures_as_written():
    """The index stores each sentence's figures once; offsets are the sentence's own."""
    doc = DOCS["report"]
    sentences = split_sentences(doc, chunk_document(doc, 300, 60))
    for s in sentences:
        for v in s.values:
            assert s.text[v.start : v.end] == v.text
    link = next(s for s in sentences if "两地直联带宽达到9540GB" in s.text)
    assert [(v.text, v.kind) for v in link.values] == [("9540GB", "quantity")]
    assert sum(len(s.values) for s in sentences) > 50  # a report full of figures
