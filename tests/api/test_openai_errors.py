"""OpenAI's error shape on /v1, checked with the official `openai` client against a real server.

The server answers with a model-free engine (the fake embedder over the real report), so these
run in seconds: every error here is decided before any question is embedded.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from apihelpers import OPEN, ServerThread, loaded_state
from fakes import FakeEmbedder

from qa.api.openai_errors import openai_error
from qa.config import Settings
from qa.generate.llm import llm_configured

KEY = "openai-errors-test-key"
USER = [{"role": "user", "content": "重庆和成都两地直联带宽达到多少?"}]


@pytest.fixture(scope="module")
def fake_engine(tmp_path_factory):
    from qa.engine import open_engine

    settings = Settings(index_dir=tmp_path_factory.mktemp("index"), _env_file=None)
    return open_engine(settings, rebuild=True, embedder=FakeEmbedder())


@pytest.fixture
def server(fake_engine) -> Iterator[ServerThread]:
    from qa.api import create_app

    settings = Settings(
        index_dir=fake_engine.settings.index_dir, _env_file=None, max_in_flight=1, max_wait_ms=1, **OPEN
    )
    with ServerThread(create_app(settings, state=loaded_state(fake_engine, settings)), settings) as running:
        yield running


def _client(server: ServerThread, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=30)


def test_unknown_model_is_not_found_naming_the_valid_model(server):
    with pytest.raises(openai.NotFoundError) as caught:
        _client(server).chat.completions.create(model="nope", messages=USER)
    error = caught.value
    assert error.status_code == 404
    assert "'nope' not found" in error.message and "qa-extractive" in error.message
    offered = (
        "'qa-extractive', 'qa-generative'" if llm_configured(Settings(_env_file=None)) else "'qa-extractive'"
    )
    assert error.body == {
        "message": f"model 'nope' not found; this service offers {offered} (GET /v1/models)",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }


def test_an_empty_message_list_is_a_bad_request_naming_the_field(server):
    with pytest.raises(openai.BadRequestError) as caught:
        _client(server).chat.completions.create(model="qa-extractive", messages=[])
    error = caught.value
    assert error.status_code == 400
    assert error.body["param"] == "messages" and error.body["type"] == "invalid_request_error"
    assert error.message.endswith(" - messages: List should have at least 1 item after validation, not 0")
    assert error.body["code"] == "too_short"


def test_a_question_that_is_not_last_is_a_bad_request_with_our_reason(server):
    messages = [*USER, {"role": "assistant", "content": "9540GB"}]
    with pytest.raises(openai.BadRequestError, match="the last message must have role 'user'"):
        _client(server).chat.completions.create(model="qa-extractive", messages=messages)


@pytest.mark.parametrize("stream", [False, True])
def test_overload_is_a_503_whose_error_carries_our_message(server, stream):
    guard = server.app.state.qa_guard
    guard.service_s = 1.0  # answers take a second, so a question behind the held slot would wait ~1 s
    ticket = guard.reserve()  # the only slot (max_in_flight=1) is taken
    try:
        with pytest.raises(openai.InternalServerError) as caught:
            _client(server).chat.completions.create(model="qa-extractive", messages=USER, stream=stream)
    finally:
        ticket.drop_if_unstarted()
    error = caught.value
    assert error.status_code == 503
    assert " - busy: the expected wait is 1.0 s, over 0.001 s (QA_MAX_WAIT_MS)" in error.message
    assert error.body["type"] == "server_error"
    # From the queue: the expected wait over the bound plus one service time, rounded up (1 - 0.001 + 1).
    assert error.response.headers["retry-after"] == "2"
    assert error.response.headers["x-request-id"]


def test_a_missing_key_is_an_authentication_error(fake_engine):
    from qa.api import create_app

    settings = Settings(index_dir=fake_engine.settings.index_dir, _env_file=None, api_keys=KEY, **OPEN)
    with ServerThread(create_app(settings, state=loaded_state(fake_engine, settings)), settings) as keyed:
        with pytest.raises(openai.AuthenticationError) as caught:
            _client(keyed, key="wrong").chat.completions.create(model="qa-extractive", messages=USER)
        assert caught.value.body["code"] == "invalid_api_key"
        assert "API key" in caught.value.message
        assert "qa-extractive" in [m.id for m in _client(keyed, key=KEY).models.list()]


def test_other_routes_keep_detail(server):
    response = httpx.post(f"{server.url}/ask", json={}, timeout=30)
    assert response.status_code == 422 and "detail" in response.json() and "error" not in response.json()
    unknown = httpx.get(f"{server.url}/v1/nothing-here", timeout=30)
    assert unknown.status_code == 404 and unknown.json()["error"]["message"] == "Not Found"
    assert int(unknown.headers["content-length"]) == len(unknown.content)


@pytest.mark.parametrize(
    ("status", "detail", "path", "expected"),
    [
        (
            422,
            [{"type": "missing", "loc": ["body", "messages", 0, "content"], "msg": "Field required"}],
            "/v1/chat/completions",
            (400, "messages[0].content: Field required", "invalid_request_error", "messages[0].content"),
        ),
        (429, "slow down", "/v1/chat/completions", (429, "slow down", "rate_limit_error", None)),
        (413, "too big", "/v1/chat/completions", (413, "too big", "invalid_request_error", None)),
        (504, "too long", "/v1/chat/completions", (504, "too long", "server_error", None)),
        (404, "Not Found", "/v1/other", (404, "Not Found", "invalid_request_error", None)),
    ],
)
def test_openai_error_shape(status, detail, path, expected):
    new_status, body = openai_error(status, detail, path)
    error = body["error"]
    assert (new_status, error["message"], error["type"], error["param"]) == expected
    assert set(error) == {"message", "type", "param", "code"}
