"""The corpus-growth section's own logic: the larger corpus, its targets and its table."""

from __future__ import annotations

import json

import pytest

from qa.bench.growth import DATASET, articles, growth_targets, markdown, write_corpus
from qa.bench.models import GrowthBuild, GrowthResult


def _build(label: str, seconds: float, embedded: int, rss: float = 900.0) -> GrowthBuild:
    return GrowthBuild(
        label=label,
        seconds=seconds,
        peak_rss_mb=rss,
        documents=17,
        characters=20000,
        chars_per_second=round(20000 / seconds, 1),
        embedded=embedded,
        texts=800,
    )


def test_articles_become_title_then_paragraphs(tmp_path):
    dataset = tmp_path / "squad.json"
    dataset.write_text(
        json.dumps(
            {
                "data": [
                    {"title": "泡泡战士", "paragraphs": [{"context": "第一段。"}, {"context": " 第二段。 "}]},
                    {"title": "", "paragraphs": [{"context": "无题。"}]},
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    found = articles(dataset)
    assert found == [
        ("cmrc-000.txt", "泡泡战士\n\n第一段。\n\n第二段。\n"),
        ("cmrc-001.txt", "article 1\n\n无题。\n"),
    ]
    chars = write_corpus(tmp_path / "corpus", found[:1])
    names = sorted(p.name for p in (tmp_path / "corpus").iterdir())
    assert names == ["cmrc-000.txt", "cq-ict-14th-five-year-review.txt"]
    report = (tmp_path / "corpus" / "cq-ict-14th-five-year-review.txt").read_text(encoding="utf-8")
    assert chars == len(report) + len(found[0][1])


def test_the_shared_dataset_has_the_256_articles_the_issue_names():
    if not DATASET.is_file():
        pytest.skip(f"{DATASET} is not here (../shared/datasets beside the clone)")
    assert len(articles(DATASET)) == 256


def test_targets_and_table():
    result = GrowthResult(
        articles=16,
        articles_available=256,
        builds=[
            _build("today: torch fp32, no cache", 200.0, 800),
            _build("current: onnx, empty cache", 50.0, 800),
            _build("add one document", 12.0, 20),
            _build("that document alone", 10.0, 20),
            _build("remove it", 9.0, 0),
            _build("rebuild, nothing changed", 8.0, 0, rss=610.0),
            _build("milvus lite, from the cache", 9.5, 0, rss=780.0),
        ],
        speedup=4.0,
        add_over_alone=1.2,
        service_peak_rss_mb={"faiss": 700.0, "milvus lite (in the process)": 950.0},
        service_errors=0,
    )
    assert all(t.ok for t in growth_targets(result))
    slow = result.model_copy(update={"speedup": 1.2, "add_over_alone": 2.0, "service_errors": 1})
    assert [t.ok for t in growth_targets(slow)] == [False, False, True, False]
    text = markdown(result)
    assert "| remove it | 17 | 20000 | 800 | 0 | 9.0 | 2222 | 900 |" in text
    assert "4.00x" in text and "1.20x" in text and "milvus lite (in the process) 950 MB" in text
    assert "texts embedded to remove one: 0" in text
    assert "Build peak RSS from the cache: faiss 610 MB, milvus lite 780 MB" in text  # both stores


def test_the_bench_report_carries_the_growth_section_and_its_targets():
    from test_bench_logic import _report  # the bench's own fixture report

    from qa.bench.report import markdown as bench_markdown
    from qa.bench.report import targets

    report = _report(seq_p50=88.0, c16_rate=40.0)
    assert not any("today's path" in t.name for t in report.targets)  # no growth run, no targets
    report.growth = GrowthResult(
        articles=16,
        articles_available=256,
        builds=[_build("remove it", 9.0, 3)],
        speedup=1.5,
        add_over_alone=1.2,
        service_peak_rss_mb={"faiss": 700.0},
        service_errors=0,
    )
    report.targets = targets(report)
    missed = {t.name for t in report.targets if not t.ok}
    assert "full build chars/s, current / today's path" in missed
    assert "texts embedded to remove a document" in missed
    assert "adding one document / building it alone, s" not in missed
    text = bench_markdown(report)
    assert "Corpus growth (report + 16 of 256" in text and "| remove it | 17 |" in text
