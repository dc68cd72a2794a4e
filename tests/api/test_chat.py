"""Chat endpoints over a real server: ``/ask/stream`` (SSE), the OpenAI-compatible
``/v1/chat/completions`` driven by the official ``openai`` client, ``/v1/models``, CORS,
the demo page and the widget script.

Expected values come from the report: the Chongqing–Chengdu direct link is 9540GB (section
"筑基强网,基础设施建设持续升级"), rural investment over the period exceeds 50亿元, and
there are over 68万 10G-PON ports.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest

from qa.api.streaming import count_tokens, split_answer
from qa.config import ROOT, Settings

REPORT_TEXT = (ROOT / "corpus" / "cq-ict-14th-five-year-review.txt").read_text(encoding="utf-8")
_SPACE = re.compile(r"\s+")


def in_report(quote: str) -> bool:
    """The quote is the report's own words (whitespace aside: cleaning normalises it)."""
    return bool(quote) and _SPACE.sub("", quote) in _SPACE.sub("", REPORT_TEXT)


LINK_ZH = "重庆和成都两地直联带宽达到多少?"
LINK_SECTION = "筑基强网,基础设施建设持续升级"
INVEST_ZH = "电信固定资产投资4年累计超过多少亿元?"
STATIONS_EN = "How many 5G base stations per 10,000 people does Chongqing have?"


# --- pure pieces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "9540GB。报告原文:“持续优化重庆、成都国家级互联网骨干直联点网络能力,两地直联带宽达到9540GB”[1]",
        "68万个. The report says: “每万人拥有5G基站数超38个,10G-PON及以上端口数量超68万个” [1]; “b” [2]",
        "根据报告:“" + "长" * 100 + "”[12];“短”[13]",
        "The report does not say.",
        "",
    ],
)
def test_split_answer_keeps_text_and_markers_whole(text):
    pieces = split_answer(text)
    assert "".join(pieces) == text
    assert all(pieces)
    for piece in pieces:  # a marker is never cut, and never starts a piece (it stays with its quote)
        assert not re.search(r"\[\d*$", piece)
        assert not re.match(r"\s*\d*\]", piece)
        assert not re.match(r"\s*\[\d+\]", piece)
    if len(text) > 40:
        assert len(pieces) > 1


def test_count_tokens():
    assert count_tokens("带宽9540GB, bandwidth!") == 6  # 带 宽 9540GB , bandwidth !


def test_cors_origins_setting(monkeypatch):
    monkeypatch.setenv("QA_CORS_ORIGINS", "http://a.example:3000, https://b.example/")
    assert Settings(_env_file=None).cors_origins == ["http://a.example:3000", "https://b.example"]
    monkeypatch.setenv("QA_CORS_ORIGINS", '["http://c.example"]')
    assert Settings(_env_file=None).cors_origins == ["http://c.example"]
    monkeypatch.setenv("QA_CORS_ORIGINS", "")
    assert Settings(_env_file=None).cors_origins == []
    monkeypatch.delenv("QA_CORS_ORIGINS")
    assert Settings(_env_file=None).cors_origins == ["*"]
    with pytest.raises(ValueError, match="not an origin"):
        Settings(_env_file=None, cors_origins="c.example/path")


# --- /ask/stream -----------------------------------------------------------------------------


def read_events(response: httpx.Response) -> list[tuple[str, dict]]:
    """Parse the SSE stream as it arrives: (event, data) pairs in arrival order."""
    events, name, data = [], "message", []
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if not line:
            if data:
                events.append((name, json.loads("\n".join(data))))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    return events


def stream(server, body: dict) -> tuple[httpx.Response, list[tuple[str, dict]]]:
    with httpx.stream("POST", f"{server.url}/ask/stream", json=body, timeout=180) as response:
        events = read_events(response) if response.status_code == 200 else []
    return response, events


@pytest.mark.slow
def test_ask_stream_sends_citations_then_deltas_then_done(shared_server):
    response, events = stream(shared_server, {"question": LINK_ZH})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    assert set(names[1:-1]) == {"delta"} and len(names) >= 4
    first, done = events[0][1], events[-1][1]
    assert first["found"] is True and first["short_answer"] == "9540GB"
    assert first["citations"] == done["citations"]
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert text == done["answer"] and "[1]" in text and "9540GB" in text
    cite = done["citations"][0]
    assert cite["section"] == LINK_SECTION
    assert in_report(cite["quote"]) and "两地直联带宽达到9540GB" in cite["quote"]
    doc = httpx.get(f"{shared_server.url}/documents/{cite['doc_id']}", timeout=30).json()
    assert doc["text"][cite["start"] : cite["end"]] == cite["quote"]


@pytest.mark.slow
def test_ask_stream_resolves_a_follow_up_from_history(shared_server):
    _, events = stream(shared_server, {"question": "那农村呢?", "history": [INVEST_ZH]})
    first, done = events[0][1], events[-1][1]
    assert first["question"] == "那农村呢?" and "农村" in first["resolved_question"]
    assert done["found"] is True and done["short_answer"] == "超50亿元"  # the report: "累计投入超50亿元"
    quote = done["citations"][0]["quote"]
    assert in_report(quote) and "农村" in quote and "50亿元" in quote


@pytest.mark.slow
def test_ask_stream_refusal_shows_nearest_passages_as_not_supporting(shared_server):
    _, events = stream(shared_server, {"question": "重庆有多少个6G基站?"})
    assert events[0][0] == "citations" and events[-1][0] == "done"
    done = events[-1][1]
    assert done["found"] is False and done["short_answer"] is None
    assert done["citations"] and not any(c["supporting"] for c in done["citations"])
    assert "6G" not in "".join(c["quote"] for c in done["citations"])


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [
        {"question": ""},
        {"question": "   "},
        {"question": "带宽?", "history": "not a list"},
        {"question": "带宽?", "history": [1, 2]},
        {"question": "带宽?", "history": [""]},
        {"question": "带宽?", "history": ["问题?"] * 21},
        {"question": "带宽?", "history": ["a\x00b"]},
        {"question": "带宽?", "unknown": 1},
    ],
)
def test_ask_stream_bad_input_is_422(shared_server, body):
    response = httpx.post(f"{shared_server.url}/ask/stream", json=body, timeout=30)
    assert response.status_code == 422, response.text
    assert "detail" in response.json()


@pytest.mark.slow
def test_streams_are_503_while_loading(serve):
    from qa.api.state import ServiceState

    settings = Settings(_env_file=None)
    state = ServiceState(settings, error="still loading (test)")
    state.ready.set()
    with serve(state=state) as server:
        for route, body in [
            ("/ask/stream", {"question": LINK_ZH}),
            ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}]}),
        ]:
            response = httpx.post(f"{server.url}{route}", json=body, timeout=30)
            assert response.status_code == 503 and _message(response) == "still loading (test)"


# --- OpenAI compatibility ------------------------------------------------------------------


@pytest.fixture
def openai_client(shared_server):
    openai = pytest.importorskip("openai")
    return openai.OpenAI(base_url=f"{shared_server.url}/v1", api_key="not-needed", timeout=180, max_retries=0)


@pytest.mark.slow
def test_models_list(openai_client):
    from qa.generate.llm import llm_configured

    offered = (
        ["qa-extractive", "qa-generative"] if llm_configured(Settings(_env_file=None)) else ["qa-extractive"]
    )
    assert [m.id for m in openai_client.models.list()] == offered


@pytest.mark.slow
def test_openai_client_non_streaming(openai_client):
    r = openai_client.chat.completions.create(
        model="qa-extractive", messages=[{"role": "user", "content": LINK_ZH}], temperature=0.2
    )
    assert r.object == "chat.completion" and r.id.startswith("chatcmpl-")
    assert r.choices[0].finish_reason == "stop" and r.choices[0].message.role == "assistant"
    content = r.choices[0].message.content
    assert "9540GB" in content and "[1]" in content
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens > 0
    extra = r.model_extra
    assert extra["found"] is True and extra["short_answer"] == "9540GB"
    assert extra["citations"][0]["n"] == 1 and in_report(extra["citations"][0]["quote"])


@pytest.mark.slow
def test_openai_client_streams_and_answers_a_follow_up(openai_client):
    messages = [
        {"role": "system", "content": "Answer from the report."},
        {"role": "user", "content": STATIONS_EN},
    ]
    first = openai_client.chat.completions.create(model="qa-extractive", messages=messages, stream=True)
    chunks = list(first)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "38" in text and "[1]" in text
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].model_extra["citations"]
    assert len({c.id for c in chunks}) == 1

    messages += [{"role": "assistant", "content": text}, *_user("and the 10G-PON ports?")]
    follow = openai_client.chat.completions.create(
        model="qa-extractive", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(follow)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "68万个" in text and "[1]" in text
    last = chunks[-1]
    assert last.usage is not None and last.usage.completion_tokens > 0
    assert "10G-PON" in last.model_extra["resolved_question"]
    quote = last.model_extra["citations"][0]["quote"]
    assert in_report(quote) and "10G-PON及以上端口数量超68万个" in quote


@pytest.mark.slow
def test_raw_openai_stream_ends_with_done(shared_server):
    body = {"model": "qa-extractive", "stream": True, "messages": [{"role": "user", "content": LINK_ZH}]}
    with httpx.stream("POST", f"{shared_server.url}/v1/chat/completions", json=body, timeout=180) as response:
        assert response.headers["x-accel-buffering"] == "no"
        data = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    frames = [json.loads(d) for d in data[:-1]]
    assert frames[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert frames[-1]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert frames[-1]["citations"][0]["section"] == LINK_SECTION
    assert all("citations" not in f for f in frames[:-1])


def _message(response: httpx.Response) -> str:
    """An error's text: {"detail"}, or OpenAI's {"error": {"message"}} under /v1."""
    data = response.json()
    return data["error"]["message"] if response.request.url.path.startswith("/v1/") else data["detail"]


def _user(content) -> list[dict]:
    return [{"role": "user", "content": content}]


IMAGE = [{"type": "image_url", "image_url": {"url": "http://127.0.0.1/x.png"}}]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"messages": []}, 400),
        ({"messages": [{"role": "system", "content": "hi"}]}, 400),
        ({"messages": [*_user("q"), {"role": "assistant", "content": "a"}]}, 400),
        ({"messages": _user("  ")}, 400),
        ({"messages": _user(None)}, 400),
        ({"messages": [{"role": "tool", "content": "x"}]}, 400),
        ({"messages": _user(5)}, 400),
        ({"messages": _user(IMAGE)}, 400),
        ({"messages": _user("q"), "n": 2}, 400),
        ({"messages": "q"}, 400),
        ({"messages": [*_user(""), *_user("q")]}, 400),
        ({"model": "gpt-4o", "messages": _user("q")}, 404),
    ],
)
def test_chat_completions_bad_input(shared_server, body, status):
    response = httpx.post(f"{shared_server.url}/v1/chat/completions", json=body, timeout=30)
    assert response.status_code == status, response.text
    error = response.json()["error"]  # OpenAI's shape (qa.api.openai_errors)
    assert error["message"] and error["type"] == "invalid_request_error"


@pytest.mark.slow
def test_text_parts_are_accepted(shared_server):
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": LINK_ZH}]}]}
    response = httpx.post(f"{shared_server.url}/v1/chat/completions", json=body, timeout=180)
    assert response.status_code == 200 and "9540GB" in response.json()["choices"][0]["message"]["content"]


# --- CORS, demo page, widget ---------------------------------------------------------------


@pytest.mark.slow
def test_cors_allows_only_configured_origins(serve):
    allowed, other = "http://127.0.0.1:1", "http://evil.example"
    with serve(cors_origins=[allowed]) as server:
        preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key"}
        ok = httpx.options(f"{server.url}/ask/stream", headers={"Origin": allowed, **preflight})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == allowed
        bad = httpx.options(f"{server.url}/ask/stream", headers={"Origin": other, **preflight})
        assert "access-control-allow-origin" not in bad.headers
        models = httpx.get(f"{server.url}/v1/models", headers={"Origin": allowed})
        assert models.headers["access-control-allow-origin"] == allowed
        invalid = httpx.post(f"{server.url}/ask/stream", json={"question": ""}, headers={"Origin": allowed})
        assert invalid.status_code == 422 and invalid.headers["access-control-allow-origin"] == allowed


@pytest.mark.slow
def test_demo_page_and_widget_are_served(shared_server):
    page = httpx.get(f"{shared_server.url}/", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/widget.js"' in page.text and "/v1/chat/completions" in page.text
    assert "报告" in page.text and "report" in page.text  # explained in both languages
    js = httpx.get(f"{shared_server.url}/widget.js", timeout=30)
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert 'customElements.define("qa-chat"' in js.text and "attachShadow" in js.text


@pytest.mark.slow
def test_failures_mid_stream_are_error_events(serve):
    """An answer over QA_REQUEST_TIMEOUT_S: an `error` event on /ask/stream, an OpenAI error
    frame (which the openai client raises) on the streamed completion, a 504 otherwise."""
    openai = pytest.importorskip("openai")
    with serve(request_timeout_s=0.001, max_in_flight=8) as server:
        response, events = stream(server, {"question": LINK_ZH})
        assert response.status_code == 200
        assert [name for name, _ in events] == ["error"]
        assert "QA_REQUEST_TIMEOUT_S" in events[0][1]["detail"]

        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="x", timeout=60, max_retries=0)
        with pytest.raises(openai.APIError, match="QA_REQUEST_TIMEOUT_S"):
            list(client.chat.completions.create(model="qa-extractive", messages=_user(LINK_ZH), stream=True))
        plain = httpx.post(f"{server.url}/v1/chat/completions", json={"messages": _user(LINK_ZH)}, timeout=60)
        assert plain.status_code == 504 and "QA_REQUEST_TIMEOUT_S" in _message(plain)
