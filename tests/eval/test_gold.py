"""The gold Q&A set agrees with the report as the product cleans it (no model needed).

Evidence must be an exact substring of the cleaned text that the index holds, because
retrieval hits and citation offsets are scored against it; the checks run through the
product's own ``load_corpus`` rather than a re-implementation of the cleaning.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from qa.config import ROOT, Settings
from qa.errors import ConfigError
from qa.eval.gold import GoldItem, QuestionType, check_gold, evidence_span, load_gold
from qa.ingest import load_corpus
from qa.text import normalize_query

GOLD = ROOT / "corpus" / "gold" / "gold.jsonl"
DOC_ID = "cq-ict-14th-five-year-review"
# The seven sections of the report, as a reader sees them (title, then six headings).
SECTIONS = {
    "数字筑基,智绘民生,赋能经济新图景——重庆市信息通信业“十四五”高质量发展综述",
    "转型跨越,行业综合实力显著增强",
    "筑基强网,基础设施建设持续升级",
    "数字赋能,信息化工业化深度融合",
    "优化供给,营造惠企利民服务环境",
    "凝聚合力,跨区域跨行业协同发展",
    "筑牢底线,行业安全屏障持续巩固",
}


@pytest.fixture(scope="module")
def documents():
    settings = Settings(_env_file=None)
    return {d.doc_id: d for d in load_corpus(settings.corpus_dir, settings.heading_max_chars)}


@pytest.fixture(scope="module")
def gold() -> list[GoldItem]:
    return load_gold(GOLD)


def test_gold_agrees_with_the_cleaned_report(gold, documents):
    assert check_gold(gold, documents) == []


def test_every_evidence_is_an_exact_substring_of_its_document(gold, documents):
    for item in (i for i in gold if i.answerable):
        text = documents[item.doc_id].text
        span = evidence_span(item, documents[item.doc_id])
        assert span is not None, item.id
        assert text[span[0] : span[1]] == item.evidence


def test_every_chinese_answer_occurs_in_its_evidence(gold):
    for item in gold:
        for answer in item.answers:
            if item.language == "zh" or re.search(r"[\u4e00-\u9fff]", answer):
                assert answer in item.evidence, (item.id, answer)


def test_ids_are_unique(gold):
    ids = Counter(i.id for i in gold)
    assert [i for i, n in ids.items() if n > 1] == []


def test_every_section_of_the_report_is_covered(gold, documents):
    assert {s.title for s in documents[DOC_ID].sections} == SECTIONS
    assert {i.section for i in gold if i.answerable} == SECTIONS


def test_counts(gold):
    by_lang = Counter(i.language for i in gold)
    unanswerable = Counter(i.language for i in gold if i.type is QuestionType.UNANSWERABLE)
    assert len(gold) >= 150
    assert by_lang["zh"] >= 90
    assert by_lang["en"] >= 35
    assert sum(unanswerable.values()) >= 20
    assert unanswerable["zh"] >= 5 and unanswerable["en"] >= 5
    for kind in QuestionType:
        assert any(i.type is kind for i in gold), kind


def test_robustness_cases_cover_each_kind(gold):
    robust = [i.question for i in gold if i.type is QuestionType.ROBUSTNESS]
    traditional = [q for q in robust if normalize_query(q) != q and re.search(r"[\u4e00-\u9fff]", q)]
    mixed = [q for q in robust if re.search(r"[\u4e00-\u9fff]", q) and re.search(r"[A-Za-z]{3,}", q)]
    keywords = [q for q in robust if " " in q and not re.search(r"[?？]", q)]
    chatty = [q for q in robust if len(q) >= 80]
    assert traditional and mixed and keywords and chatty


def test_unanswerable_items_carry_no_evidence(gold):
    for item in gold:
        if item.type is QuestionType.UNANSWERABLE:
            assert item.answers == [] and item.evidence == "" and item.section == ""


def _write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


ROW = {
    "id": "zh-900",
    "question": "两地直联带宽是多少?",
    "language": "zh",
    "type": "number",
    "answers": ["9540GB"],
    "evidence": "两地直联带宽达到9540GB",
    "doc_id": DOC_ID,
    "section": "筑基强网,基础设施建设持续升级",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"language": "fr"}, "language"),
        ({"type": "trivia"}, "type"),
        ({"answers": []}, "needs answers"),
        ({"type": "unanswerable"}, "must have empty"),
        ({"extra": 1}, "extra"),
    ],
)
def test_load_gold_names_the_bad_line(tmp_path, change, message):
    path = _write(tmp_path, [ROW, {**ROW, "id": "zh-901", **change}])
    with pytest.raises(ConfigError, match=rf"gold\.jsonl:2: .*{message}"):
        load_gold(path)


def test_load_gold_rejects_duplicates_bad_json_and_missing_files(tmp_path):
    with pytest.raises(ConfigError, match="duplicate id 'zh-900'"):
        load_gold(_write(tmp_path, [ROW, ROW]))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": \n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.jsonl:1: not valid JSON"):
        load_gold(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_gold(tmp_path / "nope.jsonl")


def test_check_gold_reports_each_kind_of_disagreement(documents):
    good = GoldItem.model_validate(ROW)
    items = [
        good,
        good.model_copy(update={"id": "zh-902", "evidence": "两地直联带宽达到9999GB"}),
        good.model_copy(update={"id": "zh-903", "answers": ["9541GB"]}),
        good.model_copy(update={"id": "zh-904", "section": "转型跨越,行业综合实力显著增强"}),
        good.model_copy(update={"id": "zh-905", "doc_id": "nope"}),
    ]
    problems = check_gold(items, documents)
    assert any("zh-902: evidence is not in the cleaned document" in p for p in problems)
    assert any("zh-903: answer '9541GB' is not in the evidence" in p for p in problems)
    assert any("zh-904: evidence lies in section" in p for p in problems)
    assert any("zh-905: unknown document" in p for p in problems)
    # Only one section is covered by these items: the other six are reported missing.
    assert sum("no question covers section" in p for p in problems) == 6
