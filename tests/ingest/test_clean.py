"""Cleaning: page chrome, metadata, section headings and CJK space repair."""

from __future__ import annotations

from itertools import pairwise

import pytest

from qa.config import ROOT
from qa.ingest.clean import Block, clean_blocks, is_chrome, looks_like_heading, repair_spaces
from qa.ingest.loaders import load_file

CORPUS = ROOT / "corpus"
REPORT = CORPUS / "cq-ict-14th-five-year-review.txt"
DOC_ID = "cq-ict-14th-five-year-review"

TITLE = "数字筑基,智绘民生,赋能经济新图景——重庆市信息通信业“十四五”高质量发展综述"
HEADINGS = [
    "转型跨越,行业综合实力显著增强",
    "筑基强网,基础设施建设持续升级",
    "数字赋能,信息化工业化深度融合",
    "优化供给,营造惠企利民服务环境",
    "凝聚合力,跨区域跨行业协同发展",
    "筑牢底线,行业安全屏障持续巩固",
]
CAPTIONS = [
    "华峰化工5G全连接工厂入围工业和信息化部5G工厂名录",
    "全行业全面提升信息通信服务感知,不断增强人民群众获得感、幸福感、安全感",
]


@pytest.fixture(scope="module")
def report():
    return load_file(REPORT, CORPUS, heading_max_chars=24)


def clean(lines: list[str], **kwargs):
    return clean_blocks(
        [Block(line) for line in lines], doc_id="t", source="t.txt", heading_max_chars=24, **kwargs
    )


# --- the real report ------------------------------------------------------------------


def test_report_metadata(report):
    assert report.doc_id == DOC_ID
    assert report.source == REPORT.name
    # the title is split over two lines in the source and joined here
    assert report.title == TITLE
    assert report.published == "2025-12-02 18:06"
    assert report.text.startswith(TITLE + "\n\n")


def test_report_chrome_dropped(report):
    for chrome in ("当前位置", "首页 > 新闻动态", "返回顶部", "关闭窗口", "打印本页", "【"):
        assert chrome not in report.text
    assert report.text.rstrip().endswith("新风采")


def test_report_sections_exact(report):
    assert [s.title for s in report.sections] == [TITLE, *HEADINGS]


def test_report_sections_tile_the_text(report):
    sections = report.sections
    assert sections[0].start == 0
    assert sections[-1].end == len(report.text)
    for prev, nxt in pairwise(sections):
        assert prev.end == nxt.start
    for section in sections[1:]:
        # each heading section starts with its own heading line
        assert report.text[section.start :].startswith(section.title + "\n\n")


@pytest.mark.parametrize("caption", CAPTIONS)
def test_captions_are_not_headings(report, caption):
    assert caption in report.text
    assert caption not in [s.title for s in report.sections]


def test_report_spaces_repaired(report):
    assert "赋 能" not in report.text
    assert "诈 骗" not in report.text
    assert "对经济发展的赋能作用持续发挥" in report.text
    assert "电信网络诈骗打击成效显著" in report.text
    # a space after a digit is not a CJK gap and is kept
    assert "64 条高速公路" in report.text


def test_report_no_blank_or_padded_lines(report):
    for line in report.text.split("\n\n"):
        assert line.strip(), "whitespace-only line kept"
        assert line == line.strip(" \t\u3000\u00a0"), f"line not stripped: {line!r}"
    assert "\n\n\n" not in report.text


def test_report_section_at(report):
    offset = report.text.index("9540GB")
    assert report.section_at(offset).title == HEADINGS[1]
    assert report.section_at(0).title == TITLE


# --- synthetic lines --------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "当前位置: 首页 > 新闻动态 > 工作动态",
        "当前位置:首页>新闻",
        "您的位置:首页 > 通知公告",
        "【返回顶部】 【关闭窗口】 【打印本页】",
        "【打印本页】",
        "[返回顶部] | [关闭窗口]",
        "分享到",
    ],
)
def test_chrome_lines(line):
    assert is_chrome(line)


@pytest.mark.parametrize(
    "line",
    [
        "【重要】全市5G基站达到10万个",
        "当前位置的5G网络覆盖良好。",
        "返回顶部的按钮被用户点击了一万次,说明用户喜欢这个功能。",
        "参见文献[1]。",
        "转型跨越,行业综合实力显著增强",
    ],
)
def test_content_lines_are_not_chrome(line):
    assert not is_chrome(line)


def test_breadcrumb_and_footer_dropped():
    doc = clean(
        [
            "当前位置: 首页 > 新闻动态 > 工作动态",
            "报告标题",
            "发布时间:2024-01-02 08:30",
            "正文第一段,内容很长很长很长很长很长很长很长很长。",
            "【返回顶部】 【关闭窗口】 【打印本页】",
        ]
    )
    assert doc.title == "报告标题"
    assert doc.published == "2024-01-02 08:30"
    assert "当前位置" not in doc.text
    assert "返回顶部" not in doc.text
    assert doc.text == (
        "报告标题\n\n发布时间:2024-01-02 08:30\n\n正文第一段,内容很长很长很长很长很长很长很长很长。"
    )


def test_title_joined_from_lines_before_date():
    doc = clean(["第一行标题——", "“第二行”标题", "", "发布日期:2023年5月6日", "正文。"])
    assert doc.title == "第一行标题——“第二行”标题"
    assert doc.published == "2023年5月6日"
    assert doc.text.startswith("第一行标题——“第二行”标题\n\n发布日期")


def test_title_hint_wins_and_no_date():
    doc = clean(["首行文字", "正文内容。"], title_hint="给定标题")
    assert doc.title == "给定标题"
    assert doc.published is None
    assert doc.sections[0].title == "给定标题"


def test_title_falls_back_to_first_line_then_doc_id():
    assert clean(["只有一行正文。", "第二行正文。"]).title == "只有一行正文。"
    empty = clean(["", "   ", "【返回顶部】"])
    assert empty.title == "t"
    assert empty.text == ""
    assert len(empty.sections) == 1


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("赋 能", "赋能"),
        ("诈 骗", "诈骗"),
        ("网络\u3000安全", "网络安全"),
        ("数据\u00a0中心", "数据中心"),
        ("算 力 网 络", "算力网络"),
        ("64 条", "64 条"),
        ("5G 基站", "5G 基站"),
        ("基站 5G", "基站 5G"),
        ("AGV 灵活穿梭", "AGV 灵活穿梭"),
        ("hello world", "hello world"),
        ("重庆, 成都", "重庆, 成都"),
    ],
)
def test_repair_spaces(raw, fixed):
    assert repair_spaces(raw) == fixed


def test_whitespace_only_lines_dropped():
    doc = clean(["标题", " ", "\u3000\u3000", "\u00a0", "\t", "正文一。", "   正文二。  "])
    assert doc.text == "标题\n\n正文一。\n\n正文二。"


def test_heading_inferred_only_before_a_paragraph():
    body = "这是一个足够长的正文段落,它以句号结束,所以不会被当作标题来识别。"
    doc = clean(["文档标题", "发布时间:2024-01-01", body, "第一节标题", body, "两行短句", "仍是短句", body])
    titles = [s.title for s in doc.sections]
    assert titles[0] == "文档标题"
    assert "第一节标题" in titles
    # a short line followed by another short line is not a heading
    assert "两行短句" not in titles
    assert "仍是短句" in titles


def test_last_line_is_never_a_heading():
    doc = clean(["文档标题", "正文内容在这里,以句号结束。", "结尾短句"])
    assert [s.title for s in doc.sections] == ["文档标题"]


def test_explicit_heading_flags_override_inference():
    blocks = [
        Block("标题", heading=False),
        Block("一个很长很长很长很长很长很长很长很长很长很长很长很长很长的标题行", heading=True),
        Block("短句", heading=False),
        Block("正文。", heading=False),
    ]
    doc = clean_blocks(blocks, doc_id="t", source="t.md", heading_max_chars=24)
    assert [s.title for s in doc.sections] == [
        "标题",
        "一个很长很长很长很长很长很长很长很长很长很长很长很长很长的标题行",
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("转型跨越,行业综合实力显著增强", True),
        ("以句号结尾的一行。", False),
        ("以冒号结尾:", False),
        ("一", False),
        ("华峰化工5G全连接工厂入围工业和信息化部5G工厂名录", False),  # 26 chars > 24
    ],
)
def test_looks_like_heading(line, expected):
    assert looks_like_heading(line, 24) is expected


def test_full_width_colons_mark_breadcrumbs_and_dates():
    """Most Chinese pages write "发布时间：" with a full-width colon; the report happens to use ASCII."""
    doc = clean(
        [
            "当前位置：首页 > 新闻",
            "报告标题",
            "发布时间：2024-01-02 08:30",
            "正文第一段，内容很长很长很长很长很长。",
        ]
    )
    assert doc.published == "2024-01-02 08:30"
    assert "当前位置" not in doc.text
