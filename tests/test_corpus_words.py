"""The pipeline code names no place or topic of the bundled report (issue: answers that hold on any corpus).

The report's places (and organisations, names) and its distinctive topic words (nouns rare in
general Chinese) are read from the report itself with jieba; no string in the code of ingest,
chunking, index, retrieval or answer may contain one. Docstrings may quote the report as an
example; code may not match on it. Language knowledge (qa/lang) holds general words of a
language and is not scanned.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from qa.answer.terms import tagged
from qa.text import word_frequency

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "corpus" / "cq-ict-14th-five-year-review.txt"
PIPELINE = ["qa/ingest", "qa/index", "qa/text", "qa/answer", "qa/chunk.py", "qa/retrieve.py", "qa/fusion.py"]
RARE_IN_GENERAL = 200  # jieba dictionary frequency below which a noun is the report's own topic word


def report_words() -> set[str]:
    words = set()
    for word, flag in tagged(REPORT.read_text(encoding="utf-8")):
        if len(word) < 2 or not re.fullmatch(r"[\u4e00-\u9fff]+", word):
            continue
        rare_noun = flag.startswith("n") and word_frequency(word) < RARE_IN_GENERAL
        if flag in ("ns", "nt", "nr", "nz") or rare_noun:
            words.add(word)
    return words


def code_strings(path: Path) -> list[str]:
    """String constants of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            docstrings.add(id(first.value))
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def test_the_report_yields_its_words():
    words = report_words()
    assert {"重庆", "成都"} <= words  # the scan must see the report's places to mean anything


def test_pipeline_code_names_no_word_of_the_report():
    words = report_words()
    found = []
    for entry in PIPELINE:
        base = ROOT / entry
        for path in sorted(base.rglob("*.py") if base.is_dir() else [base]):
            for text in code_strings(path):
                found += [f"{path.relative_to(ROOT)}: {w}" for w in words if w in text]
    assert found == []
