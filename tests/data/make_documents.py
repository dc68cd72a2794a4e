"""Writes the PDF, Word and other test documents (no binary files are kept in the repository).

    python tests/data/make_documents.py OUT_DIR   # writes every fixture into OUT_DIR

The tests call ``write_all`` into a temporary folder. The PDFs are written byte by byte here
(one Helvetica font, one text object per page), so the text layer is exactly the lines below;
the encrypted one is the first PDF encrypted by pypdf with a user password, the Word file is
made with python-docx. All the text is invented for these tests.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

SURVEY_TITLE = "Merrow Point Lighthouse Survey"
SURVEY_PAGES = [
    [
        SURVEY_TITLE,
        "Published: 2024-05-06",
        "The Tower",
        "The lighthouse at Merrow Point was built in 1871 from local granite.",
        "The tower is 31 metres tall and has 142 steps to the lantern room.",
        "The keepers' cottage beside the tower was restored by volunteers and",
        "now houses a small museum of charts.",
    ],
    [
        "Lamp and Range",
        "The lamp was converted to LED in 2019.",
        "Its light can be seen from 22 nautical miles away in clear weather.",
        "The fog signal sounds twice every 30 seconds.",
    ],
]
NOTE_TITLE = "Fenwick Orchard Cooperative Annual Note"
CANAL_MD = """# Calder Canal Notes

## Locks

The Calder canal has 17 locks between the river and the upper basin.

## Boats

Narrowboats on the canal may not be longer than 21 metres.
"""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_bytes(pages: list[list[str]], title: str | None = None) -> bytes:
    """A PDF whose page n shows ``pages[n]`` line by line; a page with no lines draws a box."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, lines in enumerate(pages):
        if lines:
            shown = " T* ".join(f"({_escape(line)}) Tj" for line in lines)
            stream = f"BT /F1 11 Tf 14 TL 56 760 Td {shown} ET".encode("latin-1")
        else:
            stream = b"0.2 0.4 0.8 rg 72 400 300 200 re f"  # a picture of a page: no text
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_ids[i] + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info = None
    if title:
        objects.append(f"<< /Title ({_escape(title)}) >>".encode("latin-1"))
        info = len(objects)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R" + (f" /Info {info} 0 R" if info else "") + " >>"
    out.write(f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypted_pdf_bytes() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(SURVEY_PAGES))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = NOTE_TITLE
    document.add_heading(NOTE_TITLE, level=0)
    document.add_paragraph("This note reports the cooperative's year for its members.")
    document.add_heading("Harvest", level=1)
    document.add_paragraph("The cooperative harvested 418 tonnes of apples in 2023.")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("Variety", "Share"), ("Bramley", "40%")], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_heading("Members", level=1)
    document.add_paragraph("Membership grew from 36 to 45 growers during the year.")
    document.save(str(path))


def xlsx_bytes() -> bytes:
    """A zip with a spreadsheet's content-types part: enough to be an .xlsx by name and magic."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
    return out.getvalue()


def write_all(folder: Path) -> dict[str, Path]:
    """Every fixture, by role: survey.pdf (text on 2 pages), note.docx (headings), scanned.pdf (no
    text layer), locked.pdf (encrypted), broken.pdf (truncated), figures.xlsx, canal.md."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "pdf": folder / "survey.pdf",
        "docx": folder / "note.docx",
        "scanned": folder / "scanned.pdf",
        "encrypted": folder / "locked.pdf",
        "corrupt": folder / "broken.pdf",
        "xlsx": folder / "figures.xlsx",
        "md": folder / "canal.md",
    }
    survey = pdf_bytes(SURVEY_PAGES, title=SURVEY_TITLE)
    paths["pdf"].write_bytes(survey)
    write_docx(paths["docx"])
    paths["scanned"].write_bytes(pdf_bytes([[], []]))
    paths["encrypted"].write_bytes(encrypted_pdf_bytes())
    paths["corrupt"].write_bytes(survey[: len(survey) // 3])
    paths["xlsx"].write_bytes(xlsx_bytes())
    paths["md"].write_text(CANAL_MD, encoding="utf-8")
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for role, path in write_all(Path(sys.argv[1])).items():
        print(f"{role:10} {path}")
