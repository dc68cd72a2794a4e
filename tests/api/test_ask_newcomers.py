"""Questions asked the way a new user asks them (issue: answers that hold on any corpus).

Each expected value was checked against the report's text; none of these questions is in
the gold set the policy is calibrated on. Misses are strict xfails with their reason.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def _ask(client, server, question: str) -> dict:
    response = client.post(f"{server.url}/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()


def test_how_big_is_answered_by_a_size_not_a_count(shared_server, client):
    # "…汇聚巫山县3637家种植主体、22.31万亩脆李果园数据"
    body = _ask(client, shared_server, "巫山脆李果园有多大?")
    assert body["found"] is True and body["short_answer"] == "22.31万亩"


def test_a_total_the_report_does_not_state_is_not_taken_from_a_part(shared_server, client):
    # The report gives 5G base stations per 10,000 people and 2776 subsidised (not 5G) stations.
    body = _ask(client, shared_server, "重庆一共有多少个5G基站?")
    assert body["short_answer"] != "2776个"


@pytest.mark.parametrize(
    ("question", "short"),
    [("每万人拥有5G基站数是多少?", "超38个"), ("电信固定资产投资4年累计多少?", "超670亿元")],
)
def test_qualifiers_stay_with_the_figure(shared_server, client, question, short):
    assert _ask(client, shared_server, question)["short_answer"] == short


def test_yes_no_starts_with_yes(shared_server, client):
    # "提前两年实现行政村“村村通5G、村村通千兆”"
    body = _ask(client, shared_server, "重庆所有行政村都通5G了吗?")
    assert body["found"] is True and body["answer"].startswith("是")


def test_how_is_it_gets_the_passage(shared_server, client):
    # "电信服务质量用户满意度连续7年达满意水平"
    body = _ask(client, shared_server, "电信服务质量用户满意度怎么样?")
    assert body["found"] is True and "满意水平" in body["answer"]


@pytest.mark.xfail(
    strict=True,
    reason="the closest sentence (未发生区域性网络中断事故) is 0.28 similar to the English question, under "
    "the English subject bar of 0.34 calibrated on XQuAD's out-of-corpus questions",
)
def test_english_yes_no_about_outages(shared_server, client):
    body = _ask(client, shared_server, "Were there any regional network outages?")
    assert body["found"] is True and body["answer"].startswith("No")


@pytest.mark.parametrize("question", ["Summarize the rural work", "Summarize the rural work?"])
def test_a_trailing_question_mark_changes_nothing(shared_server, client, question):
    bodies = [_ask(client, shared_server, q) for q in (question, question.rstrip("?"))]
    assert bodies[0]["found"] == bodies[1]["found"]
    assert bodies[0]["answer"] == bodies[1]["answer"]


def test_an_english_follow_up_after_a_chinese_question(shared_server, client):
    # "…每万人拥有5G基站数超38个,10G-PON及以上端口数量超68万个,…"
    messages = [
        {"role": "user", "content": "每万人拥有多少个5G基站?"},
        {"role": "assistant", "content": "超38个"},
        {"role": "user", "content": "What about the 10G-PON ports?"},
    ]
    response = client.post(
        f"{shared_server.url}/v1/chat/completions", json={"model": "qa-extractive", "messages": messages}
    )
    assert response.status_code == 200, response.text
    assert "68万个" in response.json()["choices"][0]["message"]["content"]
