"""Loading SQuAD-format datasets: documents, holdout, parallel questions, limit, errors (fast).

``tests/data/squad_tiny.zh.json`` is hand-written for these tests: three short made-up
articles (青石镇, 白鹭湖, 星河天文台) with seven answerable questions and one without an
answer; ``squad_tiny.en.json`` holds English questions with the same ids, except t3-q2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.errors import ConfigError
from qa.eval.external_index import corpus_files, file_name, write_corpus
from qa.eval.squad import held_out_positions, language_of, load_squad
from qa.ingest.loaders import load_corpus

DATA = Path(__file__).resolve().parents[1] / "data"
TINY = DATA / "squad_tiny.zh.json"
TINY_EN = DATA / "squad_tiny.en.json"


def _write(tmp_path, body, name="d.json"):
    path = tmp_path / name
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return path


def test_articles_questions_and_answers():
    ds = load_squad(TINY)
    assert [a.title for a in ds.articles] == ["青石镇", "白鹭湖", "星河天文台"]
    assert [len(a.paragraphs) for a in ds.articles] == [2, 1, 1]
    assert [q.id for q in ds.questions] == ["t1-q1", "t1-q2", "t1-q3", "t2-q1", "t2-q2", "t3-q1", "t3-q2"]
    assert ds.questions[0].answers == ["1523年"]  # the repeated reference is kept once
    assert ds.questions[3].title == "白鹭湖" and ds.questions[3].article == 1
    assert ds.skipped_no_answer == 1  # t1-q4 has no answer text
    assert ds.question_language == ds.context_language == "zh"
    assert all(q.answerable for q in ds.questions) and ds.held_out_questions == []


def test_document_text_is_title_then_paragraphs():
    article = load_squad(TINY).articles[0]
    assert article.document_text() == (
        "青石镇\n\n"
        "青石镇位于云岭山脚下，是一座有六百年历史的古镇。镇上的石桥建于1523年，全长48米。\n\n"
        "青石镇以竹编闻名。每年三月，镇上举办竹编节，吸引约两万名游客。\n"
    )


def test_holdout_every_kth_article():
    assert held_out_positions(12, 2) == {5, 11}
    assert held_out_positions(256, 20) == {11 + 12 * i for i in range(20)}
    assert held_out_positions(3, 1) == {2}
    assert held_out_positions(5, 0) == set()
    ds = load_squad(TINY, holdout=1)
    assert [a.held_out for a in ds.articles] == [False, False, True]
    assert [q.id for q in ds.held_out_questions] == ["t3-q1", "t3-q2"]
    assert len(ds.answerable) == 5
    assert [a.title for a in ds.corpus_articles] == ["青石镇", "白鹭湖"]


def test_holdout_must_leave_an_article():
    with pytest.raises(ConfigError, match="leaves no article"):
        load_squad(TINY, holdout=3)


def test_limit_takes_the_first_articles_before_holdout():
    ds = load_squad(TINY, limit=2, holdout=1)
    assert [a.title for a in ds.articles] == ["青石镇", "白鹭湖"]
    assert [a.held_out for a in ds.articles] == [False, True]  # k = 2 // 1: position 1
    assert {q.article for q in ds.questions} == {0, 1}


def test_questions_from_replaces_questions_keeps_answers():
    ds = load_squad(TINY, questions_from=TINY_EN)
    first = ds.questions[0]
    assert first.question == "In which year was the stone bridge of Qingshi Town built?"
    assert first.answers == ["1523年"]  # Chinese gold from the main file
    assert "t3-q2" not in {q.id for q in ds.questions}
    assert ds.dropped_no_translation == 1
    assert ds.question_language == "en" and ds.context_language == "zh"
    assert ds.questions_from == str(TINY_EN)


def test_questions_from_without_any_shared_id(tmp_path):
    other = _write(tmp_path, {"data": [{"title": "x", "paragraphs": [
        {"context": "c", "qas": [{"id": "zzz", "question": "q?", "answers": []}]}]}]})  # fmt: skip
    with pytest.raises(ConfigError, match="none of its question ids"):
        load_squad(TINY, questions_from=other)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="dataset file not found"):
        load_squad(tmp_path / "nope.json")
    with pytest.raises(ConfigError, match="dataset file not found"):
        load_squad(TINY, questions_from=tmp_path / "nope.json")


def test_bad_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"data": [', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.json: not valid JSON"):
        load_squad(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "not SQuAD format"),
        ({"version": "1"}, "not SQuAD format"),
        ({"data": []}, "'data' list is empty"),
        ({"data": [{"title": "t"}]}, r"data\[0\] has no 'paragraphs'"),
        ({"data": [{"title": "t", "paragraphs": [{"qas": []}]}]}, "has no 'context'"),
        (
            {"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [{"question": "q"}]}]}]},
            "needs 'id'",
        ),
        ({"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": []}]}]}, "no question"),
    ],
)
def test_malformed_files(tmp_path, body, message):
    with pytest.raises(ConfigError, match=message):
        load_squad(_write(tmp_path, body))


def test_duplicate_ids(tmp_path):
    qa = {"id": "same", "question": "q?", "answers": [{"text": "a"}]}
    body = {"data": [{"title": "t", "paragraphs": [{"context": "a", "qas": [qa, qa]}]}]}
    with pytest.raises(ConfigError, match="duplicate question id 'same'"):
        load_squad(_write(tmp_path, body))


def test_wikipedia_titles_and_english(tmp_path):
    body = {"data": [{"title": "Nikola_Tesla", "paragraphs": [{"context": "Tesla died in 1943.", "qas": [
        {"id": "1", "question": "When did Tesla die?", "answers": [{"text": "1943"}]}]}]}]}  # fmt: skip
    ds = load_squad(_write(tmp_path, body))
    assert ds.articles[0].title == "Nikola_Tesla"
    assert ds.articles[0].display_title == ds.questions[0].title == "Nikola Tesla"
    assert ds.question_language == ds.context_language == "en"
    assert language_of(["特斯拉于 1943 年去世"]) == "zh"


def test_written_corpus_gives_each_document_its_article_title(tmp_path):
    ds = load_squad(TINY, holdout=1)
    files = corpus_files(ds)
    assert list(files) == ["0000-青石镇.txt", "0001-白鹭湖.txt"]  # the held-out article is not written
    assert write_corpus(ds, tmp_path / "corpus", heading_max_chars=24) == 0
    docs = load_corpus(tmp_path / "corpus")
    assert [d.title for d in docs] == ["青石镇", "白鹭湖"]
    assert [d.doc_id for d in docs] == ["0000-青石镇", "0001-白鹭湖"]
    assert "竹编节" in docs[0].text


def test_a_date_line_near_the_top_falls_back_to_markdown(tmp_path):
    """A date line in the first lines of a .txt makes the lines above it the title (qa.ingest.clean);
    such an article is written as .md with a ``# title`` heading instead."""
    dated = {
        "context": "日期：2020年1月2日",
        "qas": [{"id": "1", "question": "哪一天?", "answers": [{"text": "2020年1月2日"}]}],
    }
    body = {"data": [
        {"title": "Nikola_Tesla", "paragraphs": [{"context": "第一段。", "qas": []}, dated]},
        {"title": "Plain", "paragraphs": [{"context": "一个普通的段落。", "qas": []}]},
    ]}  # fmt: skip
    ds = load_squad(_write(tmp_path, body))
    assert ds.articles[0].display_title == "Nikola Tesla"
    assert file_name(ds.articles[0]) == "0000-Nikola-Tesla.txt"
    assert write_corpus(ds, tmp_path / "corpus", heading_max_chars=24) == 1
    docs = load_corpus(tmp_path / "corpus")
    assert [d.title for d in docs] == ["Nikola Tesla", "Plain"]
    assert sorted(p.name for p in (tmp_path / "corpus").iterdir()) == [
        "0000-Nikola-Tesla.md",
        "0001-Plain.txt",
    ]
    # written again: the same folder is kept as it is
    assert write_corpus(ds, tmp_path / "corpus", heading_max_chars=24) == 1
