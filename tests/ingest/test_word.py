"""Word: heading styles become sections, tables become lines, a damaged file is refused."""

from __future__ import annotations

import pytest

from qa.errors import CorpusError
from qa.ingest.loaders import load_file


def load(path):
    return load_file(path, path.parent, 24)


def test_heading_styles_become_sections(documents, make_documents):
    doc = load(documents["docx"])
    assert doc.title == make_documents.NOTE_TITLE
    assert [s.title for s in doc.sections] == [make_documents.NOTE_TITLE, "Harvest", "Members"]
    harvest = doc.text.index("The cooperative harvested 418 tonnes of apples in 2023.")
    assert doc.section_at(harvest).title == "Harvest"
    members = doc.text.index("Membership grew from 36 to 45 growers during the year.")
    assert doc.section_at(members).title == "Members"
    for section in doc.sections:
        assert doc.text[section.start : section.end].startswith(section.title)


def test_tables_are_read_in_place_and_a_word_file_has_no_pages(documents):
    doc = load(documents["docx"])
    row = doc.text.index("Bramley | 40%")
    assert doc.text.index("418 tonnes") < row < doc.text.index("Members")
    assert doc.pages == [] and doc.page_at(row) is None


def test_a_short_paragraph_without_a_heading_style_is_no_heading(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Short line")  # short, no full stop: plain text would call it a heading
    document.add_paragraph("Body.")
    path = tmp_path / "plain.docx"
    document.save(str(path))
    doc = load(path)
    assert [s.title for s in doc.sections] == ["Short line"]  # the title only: no style, no heading


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04broken"])
def test_a_damaged_word_file_is_refused(tmp_path, content):
    path = tmp_path / "damaged.docx"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match="not a readable Word file"):
        load(path)
