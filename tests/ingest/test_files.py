"""Corpus files: safe names, atomic installs, one document id per file, removal."""

from __future__ import annotations

import io
import os
import time

import pytest

from qa.errors import BadRequestError, UnsupportedTypeError
from qa.ingest.files import STAGING_DIR, STALE_STAGED_S, add_copy, files_of, install, remove, safe_name, stage


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("Annual Report (2024).docx", "Annual Report (2024).docx"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.md", "win.md"),
        ("/abs/path/x.html", "x.html"),
        ("rep<o>rt;.pdf", "rep-o-rt.pdf"),
        ("报告 一.txt", "报告 一.txt"),
        ("UPPER.PDF", "UPPER.pdf"),  # the type in lower case, as the loaders match it
        ("a" * 300 + ".txt", "a" * 116 + ".txt"),
    ],
)
def test_names_are_reduced_to_a_safe_base_name(raw, expected):
    assert safe_name(raw) == expected


@pytest.mark.parametrize(
    "raw", [None, "", "   ", ".", "..", "../", ".env.txt", ".hidden.pdf", "***.pdf", "\x00.txt"]
)
def test_empty_hidden_or_unusable_names_are_400(raw):
    with pytest.raises(BadRequestError):
        safe_name(raw)


@pytest.mark.parametrize("raw", ["figures.xlsx", "run.sh", "README", "archive.pdf.zip", "page.php"])
def test_other_types_are_415(raw):
    with pytest.raises(UnsupportedTypeError, match=r"unsupported file type .*\.pdf, \.docx"):
        safe_name(raw)


def test_install_renames_into_place_and_replaces_the_document_with_the_same_id(tmp_path):
    (tmp_path / "report.txt").write_text("old", encoding="utf-8")
    (tmp_path / "other.md").write_text("kept", encoding="utf-8")
    staged = stage(tmp_path, io.BytesIO(b"new"), "report.md")
    assert staged.parent == tmp_path / STAGING_DIR and staged.suffix == ".md"
    target, replaced = install(tmp_path, staged, "report.md")
    assert target == tmp_path / "report.md" and target.read_text() == "new"
    assert replaced == [tmp_path / "report.txt"] and not (tmp_path / "report.txt").exists()
    assert (tmp_path / "other.md").read_text() == "kept"
    assert list((tmp_path / STAGING_DIR).iterdir()) == []


def test_remove_deletes_every_file_of_the_id_and_nothing_else(tmp_path):
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    (tmp_path / "a.xlsx").write_bytes(b"PK")  # a skipped file of the same id goes too
    (tmp_path / "b.txt").write_text("b", encoding="utf-8")
    assert sorted(p.name for p in files_of(tmp_path, "a")) == ["a.txt", "a.xlsx"]
    assert sorted(p.name for p in remove(tmp_path, "a")) == ["a.txt", "a.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt"]
    assert remove(tmp_path, "a") == []


def test_add_copy_keeps_the_source_and_writes_the_safe_name(tmp_path):
    source = tmp_path / "in" / "My Notes!.md"
    source.parent.mkdir()
    source.write_text("# Notes\n\nText.", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    target, replaced = add_copy(corpus, source)
    assert target == corpus / "My Notes.md" and replaced == []
    assert target.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")


def test_staging_removes_uploads_left_behind_by_a_process_that_died(tmp_path):
    staging = tmp_path / STAGING_DIR
    staging.mkdir()
    old, recent = staging / "old.pdf", staging / "recent.pdf"
    for path in (old, recent):
        path.write_bytes(b"%PDF")
    long_ago = time.time() - STALE_STAGED_S - 60
    os.utime(old, (long_ago, long_ago))
    staged = stage(tmp_path, io.BytesIO(b"new"), "x.txt")
    assert sorted(p.name for p in staging.iterdir()) == sorted([recent.name, staged.name])
