"""PDF: the text layer page by page, page numbers kept, unreadable PDFs refused with a reason."""

from __future__ import annotations

import io

import pytest

from qa.errors import CorpusError
from qa.ingest.loaders import load_file
from qa.ingest.pdf import join_wrapped


def load(path):
    return load_file(path, path.parent, 24)


def test_text_title_date_and_sections_come_from_the_text_layer(documents, make_documents):
    doc = load(documents["pdf"])
    assert doc.doc_id == "survey" and doc.source == "survey.pdf"
    assert doc.title == "Merrow Point Lighthouse Survey"  # the PDF's Title, also its first line
    assert doc.published == "2024-05-06"
    for line in [
        "The lighthouse at Merrow Point was built in 1871 from local granite.",
        *make_documents.SURVEY_PAGES[1],
    ]:
        assert line in doc.text
    assert [s.title for s in doc.sections][-1] == "Lamp and Range"


def test_pages_start_where_their_first_line_is_and_offsets_name_the_page(documents):
    doc = load(documents["pdf"])
    assert len(doc.pages) == 2
    assert doc.pages[0] == 0
    assert doc.pages[1] == doc.text.index("Lamp and Range")
    assert doc.page_at(doc.text.index("31 metres")) == 1
    assert doc.page_at(doc.text.index("22 nautical miles")) == 2
    assert doc.page_at(len(doc.text) - 1) == 2


def test_a_page_without_text_starts_where_the_next_one_does(tmp_path, make_documents):
    path = tmp_path / "gap.pdf"
    path.write_bytes(make_documents.pdf_bytes([["First page."], [], ["Third page."]]))
    doc = load(path)
    third = doc.text.index("Third page.")
    assert doc.pages == [0, third, third]
    assert doc.page_at(third) == 3 and doc.page_at(0) == 1


def test_a_line_the_page_wrapped_is_joined_with_the_next(documents):
    doc = load(documents["pdf"])
    # the fixture breaks this sentence after "and" (tests/data/make_documents.py)
    assert "restored by volunteers and now houses a small museum of charts." in doc.text


WRAPS = [  # (lines as the page shows them, lines after joining)
    (["A long line that the page had to wrap here", "and its end."],
     ["A long line that the page had to wrap here and its end."]),
    (["A whole sentence that ends right here.", "Another one."],
     ["A whole sentence that ends right here.", "Another one."]),
    (["Heading", "A body line that is much longer than the heading."],
     ["Heading", "A body line that is much longer than the heading."]),
    (["重庆市信息通信业持续发展基础设施", "建设持续升级。"],
     ["重庆市信息通信业持续发展基础设施建设持续升级。"]),
    (["a wrapped line that ends in a well-", "known word."],
     ["a wrapped line that ends in a well-known word."]),
    (["first wrapped paragraph line goes on", "", "next"], ["first wrapped paragraph line goes on", "next"]),
]  # fmt: skip


@pytest.mark.parametrize(("lines", "expected"), WRAPS)
def test_join_wrapped(lines, expected):
    assert join_wrapped(lines) == expected


@pytest.mark.parametrize(
    ("role", "reason"),
    [
        ("scanned", "no text layer"),
        ("encrypted", "encrypted"),
        ("corrupt", "not a readable PDF"),
    ],
)
def test_unreadable_pdfs_are_refused_with_the_reason(documents, role, reason):
    with pytest.raises(CorpusError, match=reason):
        load(documents[role])


def test_a_pdf_encrypted_without_a_user_password_opens(tmp_path, make_documents):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(
        clone_from=PdfReader(io.BytesIO(make_documents.pdf_bytes(make_documents.SURVEY_PAGES)))
    )
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "restricted.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    assert "22 nautical miles" in load(path).text


def test_not_a_pdf_at_all(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_text("just text", encoding="utf-8")
    with pytest.raises(CorpusError, match="not a readable PDF"):
        load(path)
