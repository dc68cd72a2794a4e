#!/usr/bin/env python3
"""Validate the gold Q&A sets against the report (stdlib only).

Usage:  python3 tests/data/check_gold.py [--report PATH]

Checks, for corpus/gold/gold.jsonl, tests/data/retrieval_questions.jsonl and
tests/data/answer_questions.jsonl:
  * every line is a JSON object with the expected fields and allowed values;
  * ids are unique (within a file and across the three files) and well formed;
  * answerable items: evidence is an exact substring of ONE cleaned line of the
    report, every answer string is inside the evidence, section is the section
    that line belongs to;
  * unanswerable items: answers == [], evidence == "", section == "";
  * counts per language / type, and (gold.jsonl) every section covered;
  * no question text is shared between the three files.
Exits 1 and lists every problem if anything is wrong.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC_ID = "cq-ict-14th-five-year-review"
DEFAULT_REPORT = ROOT / "corpus" / f"{DOC_ID}.txt"

TITLE = "数字筑基,智绘民生,赋能经济新图景——重庆市信息通信业“十四五”高质量发展综述"
HEADINGS = [
    "转型跨越,行业综合实力显著增强",
    "筑基强网,基础设施建设持续升级",
    "数字赋能,信息化工业化深度融合",
    "优化供给,营造惠企利民服务环境",
    "凝聚合力,跨区域跨行业协同发展",
    "筑牢底线,行业安全屏障持续巩固",
]
SECTIONS = [TITLE, *HEADINGS]
LANGS = {"zh", "en"}
TYPES = {"fact", "number", "list", "date", "open", "unanswerable", "robustness"}
FIELDS = {"id", "question", "language", "type", "answers", "evidence", "doc_id", "section"}
ID_PATTERNS = {
    "zh": re.compile(r"^zh-\d{3}$"),
    "en": re.compile(r"^en-\d{3}$"),
    "un-zh": re.compile(r"^un-zh-\d{3}$"),
    "un-en": re.compile(r"^un-en-\d{3}$"),
    "rb": re.compile(r"^rb-\d{3}$"),
}

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_GAP = re.compile(rf"(?<=[{CJK}])[ \t\u3000\u00a0]+(?=[{CJK}])")


def clean_lines(raw: str) -> list[str]:
    """Simple version of the ingest cleaning: returns the cleaned lines (paragraphs)."""
    out = []
    for line in raw.splitlines():
        line = line.strip(" \t\u3000\u00a0\r\n")
        if not line:
            continue
        if line.startswith("当前位置") or line.startswith("【返回顶部】"):
            continue
        out.append(CJK_GAP.sub("", line))
    # the title is split over the first two lines
    if out and not out[0].startswith("发布时间") and len(out) > 1 and not out[1].startswith("发布时间"):
        out = [out[0] + out[1], *out[2:]]
    return out


def line_sections(lines: list[str]) -> list[str]:
    current = TITLE
    result = []
    for line in lines:
        if line in HEADINGS:
            current = line
        result.append(current)
    return result


def load(path: Path, problems: list[str]) -> list[dict]:
    items = []
    if not path.exists():
        problems.append(f"{path}: missing")
        return items
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            problems.append(f"{path.name}:{n}: blank line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{n}: bad JSON ({exc})")
            continue
        if "\\u" in line:
            problems.append(f"{path.name}:{n}: not written with ensure_ascii=False")
        obj["_line"] = n
        items.append(obj)
    return items


def id_kind(item: dict) -> str:
    if item.get("type") == "unanswerable":
        return "un-zh" if item.get("language") == "zh" else "un-en"
    if item.get("type") == "robustness":
        return "rb"
    return item.get("language", "?")


def check_items(name: str, items: list[dict], lines: list[str], secs: list[str], problems: list[str]) -> None:
    seen = set()
    for it in items:
        where = f"{name}:{it['_line']} ({it.get('id')})"
        keys = set(it) - {"_line"}
        if keys != FIELDS:
            problems.append(f"{where}: fields {sorted(keys ^ FIELDS)} differ from expected")
            continue
        if it["id"] in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(it["id"])
        if it["language"] not in LANGS:
            problems.append(f"{where}: bad language {it['language']!r}")
        if it["type"] not in TYPES:
            problems.append(f"{where}: bad type {it['type']!r}")
        kind = id_kind(it)
        if kind not in ID_PATTERNS or not ID_PATTERNS[kind].match(it["id"]):
            problems.append(f"{where}: id does not match its kind {kind}")
        if it["doc_id"] != DOC_ID:
            problems.append(f"{where}: bad doc_id")
        if not isinstance(it["question"], str) or not it["question"].strip():
            problems.append(f"{where}: empty question")
        if not isinstance(it["answers"], list) or not all(isinstance(a, str) and a for a in it["answers"]):
            problems.append(f"{where}: answers must be a list of non-empty strings")
            continue
        has_cjk = bool(re.search(f"[{CJK}]", it["question"]))
        if it["language"] == "zh" and not has_cjk:
            problems.append(f"{where}: language zh but no Chinese in the question")
        if it["language"] == "en" and it["type"] != "robustness" and has_cjk:
            problems.append(f"{where}: language en but Chinese in the question")
        if it["type"] == "unanswerable":
            if it["answers"] or it["evidence"] or it["section"]:
                problems.append(f"{where}: unanswerable must have empty answers/evidence/section")
            continue
        if not it["answers"]:
            problems.append(f"{where}: answerable item without answers")
        ev = it["evidence"]
        if not ev or ev != ev.strip():
            problems.append(f"{where}: evidence empty or not stripped")
            continue
        hits = [i for i, line in enumerate(lines) if ev in line]
        if not hits:
            problems.append(f"{where}: evidence not found in one cleaned line: {ev[:40]!r}")
            continue
        if len(hits) > 1:
            problems.append(f"{where}: evidence occurs in several lines {hits}")
        for a in it["answers"]:
            if a not in ev:
                problems.append(f"{where}: answer {a!r} not in evidence")
        if it["section"] not in SECTIONS:
            problems.append(f"{where}: unknown section {it['section']!r}")
        elif secs[hits[0]] != it["section"]:
            problems.append(f"{where}: section should be {secs[hits[0]]!r}")
        if ev in it["question"]:
            problems.append(f"{where}: question copies the evidence")


def summary(name: str, items: list[dict]) -> Counter:
    c = Counter()
    for it in items:
        c[("lang", it.get("language"))] += 1
        c[("type", it.get("type"))] += 1
        c[("lang-type", it.get("language"), it.get("type"))] += 1
        c[("section", it.get("section"))] += 1
    print(f"\n== {name}: {len(items)} items")
    print("  by language:", {k[1]: v for k, v in sorted(c.items(), key=str) if k[0] == "lang"})
    print("  by type:    ", {k[1]: v for k, v in sorted(c.items(), key=str) if k[0] == "type"})
    print(
        "  lang x type:", {f"{k[1]}/{k[2]}": v for k, v in sorted(c.items(), key=str) if k[0] == "lang-type"}
    )
    for s in SECTIONS:
        print(f"  section {c[('section', s)]:3d}  {s}")
    return c


def need(problems: list[str], name: str, what: str, got: int, want: int, exact: bool = False) -> None:
    if (got != want) if exact else (got < want):
        problems.append(f"{name}: {what} = {got}, want {'exactly' if exact else '>='} {want}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    args = ap.parse_args()
    report = args.report
    if not report.exists():
        report = Path("/work/shared/corpus/000_b984ad9839ba7166.txt")
    lines = clean_lines(report.read_text(encoding="utf-8"))
    secs = line_sections(lines)
    problems: list[str] = []
    if lines[0] != TITLE:
        problems.append(f"cleaned title line is {lines[0]!r}")
    for h in HEADINGS:
        if h not in lines:
            problems.append(f"heading {h!r} not found in report")

    files = {
        "gold.jsonl": ROOT / "corpus" / "gold" / "gold.jsonl",
        "retrieval_questions.jsonl": ROOT / "tests" / "data" / "retrieval_questions.jsonl",
        "answer_questions.jsonl": ROOT / "tests" / "data" / "answer_questions.jsonl",
    }
    data = {}
    for name, path in files.items():
        items = load(path, problems)
        check_items(name, items, lines, secs, problems)
        data[name] = items

    # gold.jsonl
    g = data["gold.jsonl"]
    c = summary("gold.jsonl", g)
    need(problems, "gold", "total", len(g), 170)
    need(problems, "gold", "zh questions", c[("lang", "zh")], 100)
    need(problems, "gold", "en questions", c[("lang", "en")], 40)
    need(problems, "gold", "unanswerable", c[("type", "unanswerable")], 25)
    need(problems, "gold", "unanswerable zh", c[("lang-type", "zh", "unanswerable")], 12)
    need(problems, "gold", "unanswerable en", c[("lang-type", "en", "unanswerable")], 8)
    need(problems, "gold", "robustness", c[("type", "robustness")], 20)
    for s in SECTIONS:
        need(problems, "gold", f"questions in section {s[:12]}", c[("section", s)], 4)
    for t in ("fact", "number", "list", "date", "open"):
        need(problems, "gold", f"type {t}", c[("type", t)], 3)

    # retrieval_questions.jsonl
    r = data["retrieval_questions.jsonl"]
    c = summary("retrieval_questions.jsonl", r)
    need(problems, "retrieval", "zh", c[("lang", "zh")], 18, exact=True)
    need(problems, "retrieval", "en", c[("lang", "en")], 10, exact=True)
    if any(it.get("type") == "unanswerable" for it in r):
        problems.append("retrieval: contains unanswerable items")
    for s in SECTIONS:
        need(problems, "retrieval", f"questions in section {s[:12]}", c[("section", s)], 1)
    ev = Counter(it.get("evidence") for it in r)
    for e, n in ev.items():
        if n > 1:
            problems.append(f"retrieval: evidence used {n} times (one per distinct fact): {e[:30]!r}")

    # answer_questions.jsonl
    a = data["answer_questions.jsonl"]
    c = summary("answer_questions.jsonl", a)
    ans = [it for it in a if it.get("type") != "unanswerable"]
    need(problems, "answer", "answerable", len(ans), 30, exact=True)
    need(problems, "answer", "answerable zh", sum(it.get("language") == "zh" for it in ans), 18, exact=True)
    need(problems, "answer", "answerable en", sum(it.get("language") == "en" for it in ans), 12, exact=True)
    need(problems, "answer", "unanswerable zh", c[("lang-type", "zh", "unanswerable")], 6, exact=True)
    need(problems, "answer", "unanswerable en", c[("lang-type", "en", "unanswerable")], 6, exact=True)

    # across files
    ids = Counter(it.get("id") for items in data.values() for it in items)
    qs = Counter(it.get("question", "").strip() for items in data.values() for it in items)
    for q, n in qs.items():
        if n > 1:
            problems.append(f"question repeated across/within files: {q!r}")
    for name in ("retrieval_questions.jsonl", "answer_questions.jsonl"):
        gold_ids = {it.get("id") for it in g}
        clash = [it["id"] for it in data[name] if it.get("id") in gold_ids]
        if clash:
            problems.append(f"{name}: id(s) also used in gold.jsonl: {clash[:5]}")
    for i, n in ids.items():
        if n > 1:
            problems.append(f"id {i!r} used {n} times across the three files")

    print()
    if problems:
        print(f"{len(problems)} problem(s):")
        for p in problems:
            print("  -", p)
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
