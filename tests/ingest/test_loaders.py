"""Loaders: file formats, encodings, corpus discovery and document ids."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.config import ROOT
from qa.errors import CorpusError
from qa.ingest.loaders import (
    SUPPORTED_SUFFIXES,
    corpus_files,
    doc_id_for,
    html_blocks,
    load_corpus,
    load_file,
    markdown_blocks,
    scan_corpus,
)

DATA = Path(__file__).resolve().parent.parent / "data"
REPORT = ROOT / "corpus" / "cq-ict-14th-five-year-review.txt"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- plain text -------------------------------------------------------------------------


def test_txt_loader(tmp_path):
    write(tmp_path, "note.txt", "简报标题\n\n发布时间:2024-02-03\n\n第一段正文内容。\n")
    doc = load_file(tmp_path / "note.txt", tmp_path, 24)
    assert doc.doc_id == "note"
    assert doc.source == "note.txt"
    assert doc.title == "简报标题"
    assert doc.published == "2024-02-03"
    assert doc.text == "简报标题\n\n发布时间:2024-02-03\n\n第一段正文内容。"


def test_utf8_bom_stripped(tmp_path):
    write(tmp_path, "bom.txt", "\ufeff带BOM的标题\n正文。".encode())
    doc = load_file(tmp_path / "bom.txt", tmp_path, 24)
    assert doc.title == "带BOM的标题"
    assert "\ufeff" not in doc.text


def test_gb18030_text(tmp_path):
    content = "重庆市信息通信业简报\n发布时间:2024-06-01\n全市建成5G基站超过十万个,覆盖率显著提升。\n"
    raw = content.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    write(tmp_path, "gbk.txt", raw)
    doc = load_file(tmp_path / "gbk.txt", tmp_path, 24)
    assert doc.title == "重庆市信息通信业简报"
    assert "全市建成5G基站超过十万个" in doc.text


def test_undecodable_file_is_a_corpus_error(tmp_path):
    # a lone 0x80 and 0xFF cannot start a GB18030 character either
    write(tmp_path, "bad.txt", b"\xff\xff\x80\x80\xff")
    with pytest.raises(CorpusError):
        load_file(tmp_path / "bad.txt", tmp_path, 24)


# --- markdown -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def md_doc():
    return load_file(DATA / "sample.md", DATA, 24)


def test_markdown_title_and_sections(md_doc):
    assert md_doc.doc_id == "sample"
    assert md_doc.source == "sample.md"
    assert md_doc.title == "重庆信息通信业年度简报"
    assert md_doc.published == "2024-03-15"
    assert [s.title for s in md_doc.sections] == ["重庆信息通信业年度简报", "网络建设", "应用推广"]


def test_markdown_heading_markers_removed(md_doc):
    assert "#" not in md_doc.text
    for section in md_doc.sections[1:]:
        assert md_doc.text[section.start :].startswith(section.title + "\n\n")


def test_markdown_body_lines_never_inferred_as_headings():
    blocks, title = markdown_blocks("# T\n\n短行\n\n这是正文。\n\n### 三级 标题 ###\n正文")
    assert title == "T"
    assert [(b.text, b.heading) for b in blocks if b.text] == [
        ("T", True),
        ("短行", False),
        ("这是正文。", False),
        ("三级 标题", True),
        ("正文", False),
    ]


def test_markdown_title_from_first_h1_only():
    _, title = markdown_blocks("## 二级\n\n# 一级\n\n# 又一个一级\n")
    assert title == "一级"


# --- html -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def html_doc():
    return load_file(DATA / "sample.html", DATA, 24)


def test_html_visible_text_only(html_doc):
    for hidden in (
        "SCRIPT_MARKER",
        "不应出现的脚本文字",
        "SCRIPTMARK2",
        "NOSCRIPTMARK",
        "hidden-style-marker",
        "HEADERMARK",
        "NAVMARK",
        "ROLENAVMARK",
        "FOOTERMARK",
        "网页标题",  # <title> lives in <head>, which is not body text
    ):
        assert hidden not in html_doc.text, hidden
    assert "全市数据中心机架达到 6.2 万架,算力规模 3.5 EFLOPS。" in html_doc.text
    assert "部署边缘计算节点 120 个,覆盖全部区县。" in html_doc.text


def test_html_title_from_h1_and_date(html_doc):
    assert html_doc.title == "智慧城市建设报告"
    assert html_doc.published == "2024-05-20 09:30"
    assert html_doc.text.startswith("智慧城市建设报告\n\n")


def test_html_headings_become_sections(html_doc):
    assert [s.title for s in html_doc.sections] == ["智慧城市建设报告", "数据中心", "边缘计算"]


def test_html_blocks_flag_headings():
    blocks, _ = html_blocks("<body><h2>小节标题</h2><p>正文段落。</p></body>")
    assert [(b.text, b.heading) for b in blocks if b.text.strip()] == [
        ("小节标题", True),
        ("正文段落。", False),
    ]


def test_html_title_falls_back_to_title_tag(tmp_path):
    write(
        tmp_path,
        "page.htm",
        "<html><head><title>标签标题</title></head><body><p>第一段正文。</p><p>第二段正文。</p></body></html>",
    )
    doc = load_file(tmp_path / "page.htm", tmp_path, 24)
    assert doc.title == "标签标题"
    assert doc.text == "第一段正文。\n\n第二段正文。"


def test_html_inline_tags_do_not_split_lines(tmp_path):
    write(tmp_path, "inline.html", "<body><p>带宽达到<b>9540</b>GB,<a href='#'>详见</a>附表。</p></body>")
    doc = load_file(tmp_path / "inline.html", tmp_path, 24)
    assert "带宽达到9540GB,详见附表。" in doc.text


# --- corpus discovery -----------------------------------------------------------------------


def test_supported_suffixes():
    assert set(SUPPORTED_SUFFIXES) >= {".txt", ".md", ".html", ".htm", ".pdf", ".docx"}


def test_corpus_files_filters_and_sorts(tmp_path):
    write(tmp_path, "b.txt", "乙。")
    write(tmp_path, "a.md", "# 甲\n正文。")
    write(tmp_path, "sub/c.HTML", "<p>丙。</p>")
    write(tmp_path, "report.pdf", "%PDF-1.4 broken")
    write(tmp_path, "notes.docx", "nope")
    write(tmp_path, "sheet.xlsx", "PK")
    write(tmp_path, "README", "no suffix")
    write(tmp_path, ".hidden.txt", "隐藏。")
    write(tmp_path, ".git/config.txt", "隐藏目录。")
    write(tmp_path, "sub/.cache/x.md", "隐藏目录。")
    found = [p.relative_to(tmp_path).as_posix() for p in corpus_files(tmp_path)]
    assert found == ["a.md", "b.txt", "notes.docx", "report.pdf", "sub/c.HTML"]
    everything = [p.relative_to(tmp_path).as_posix() for p in corpus_files(tmp_path, supported=False)]
    assert everything == ["README", "a.md", "b.txt", "notes.docx", "report.pdf", "sheet.xlsx", "sub/c.HTML"]


def test_load_corpus_skips_unreadable_and_hidden_files_and_says_why(tmp_path):
    shutil.copy(REPORT, tmp_path / REPORT.name)
    write(tmp_path, "broken.pdf", "%PDF")
    write(tmp_path, "sheet.xlsx", "PK")
    write(tmp_path, ".draft.txt", "草稿。")
    assert [d.doc_id for d in load_corpus(tmp_path)] == ["cq-ict-14th-five-year-review"]
    docs, skipped = scan_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["cq-ict-14th-five-year-review"]
    reasons = {s.source: s.reason for s in skipped}
    assert set(reasons) == {"broken.pdf", "sheet.xlsx"}  # the hidden file is not a corpus file
    assert reasons["broken.pdf"].startswith("not a readable PDF")
    assert reasons["sheet.xlsx"].startswith("unsupported type .xlsx")


def test_two_files_with_one_document_id_keep_the_first_and_skip_the_other(tmp_path):
    write(tmp_path, "report.md", "# 甲\n正文。")
    write(tmp_path, "report.txt", "乙\n正文。")
    docs, skipped = scan_corpus(tmp_path)
    assert [d.source for d in docs] == ["report.md"]
    assert [(s.source, s.reason) for s in skipped] == [
        ("report.txt", "document id 'report' is already taken by report.md")
    ]


def test_real_corpus_loads_one_document():
    docs = load_corpus(ROOT / "corpus")
    assert [d.doc_id for d in docs] == ["cq-ict-14th-five-year-review"]


def test_unsupported_file_refused_by_load_file(tmp_path):
    write(tmp_path, "x.xlsx", "PK")
    with pytest.raises(CorpusError, match=r"unsupported type \.xlsx"):
        load_file(tmp_path / "x.xlsx", tmp_path, 24)


def test_empty_corpus_folder(tmp_path):
    with pytest.raises(CorpusError, match="no documents"):
        load_corpus(tmp_path)


def test_corpus_with_only_unreadable_or_hidden_files(tmp_path):
    write(tmp_path, "a.pdf", "%PDF")
    write(tmp_path, "b.xlsx", "PK")
    write(tmp_path, ".b.txt", "隐藏。")
    with pytest.raises(CorpusError, match=r"no readable document .*a\.pdf: not a readable PDF"):
        load_corpus(tmp_path)


def test_missing_corpus_folder(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "nope")


def test_corpus_of_empty_documents(tmp_path):
    write(tmp_path, "empty.txt", "")
    write(tmp_path, "chrome.txt", "当前位置: 首页\n\n【返回顶部】 【关闭窗口】\n   \n")
    with pytest.raises(CorpusError, match="empty"):
        load_corpus(tmp_path)


def test_empty_documents_skipped_among_real_ones(tmp_path):
    write(tmp_path, "empty.txt", "  \n\n")
    write(tmp_path, "real.txt", "标题\n正文。")
    assert [d.doc_id for d in load_corpus(tmp_path)] == ["real"]


# --- doc ids --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("report.txt", "report"),
        ("cq-ict-14th-five-year-review.txt", "cq-ict-14th-five-year-review"),
        ("sub/report.md", "sub--report"),
        ("sub dir/报告 一.html", "sub-dir--报告-一"),
        ("a/b/c.v2.txt", "a--b--c.v2"),
        ("(copy) 1.txt", "copy-1"),
    ],
)
def test_doc_id_for(tmp_path, rel, expected):
    assert doc_id_for(tmp_path / rel, tmp_path) == expected


def test_doc_ids_are_url_safe_and_distinct_across_folders(tmp_path):
    write(tmp_path, "2024/report.txt", "甲标题\n正文。")
    write(tmp_path, "2025/report.txt", "乙标题\n正文。")
    docs = load_corpus(tmp_path)
    ids = [d.doc_id for d in docs]
    assert ids == ["2024--report", "2025--report"]
    assert [d.source for d in docs] == ["2024/report.txt", "2025/report.txt"]
    for doc_id in ids:
        assert "/" not in doc_id and " " not in doc_id
