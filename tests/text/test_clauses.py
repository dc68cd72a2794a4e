"""Clause marks: punctuation that ends a clause, but not inside a number or a time."""

from __future__ import annotations

import itertools

import pytest

from qa.text import CLAUSE_MARK


@pytest.mark.parametrize(
    ("text", "cuts"),
    [
        ("共68,511户,服务10省", ["共68,511户,", "服务10省"]),
        ("节点共55,服务西部", ["节点共55,", "服务西部"]),
        ("发布时间:2025-12-02 18:06", ["发布时间:2025-12-02 18:06"]),
        ("甲，乙；丙", ["甲，", "乙；", "丙"]),
    ],
)
def test_clause_marks(text, cuts):
    bounds = [0, *(m.end() for m in CLAUSE_MARK.finditer(text)), len(text)]
    assert [text[a:b] for a, b in itertools.pairwise(bounds) if a < b] == cuts
