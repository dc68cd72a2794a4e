"""The generative answerer through the HTTP API: chosen per request and by chat model id, a clear
error when no LLM is there, and (with the real 0.5B model) answers, streams and chat."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from apihelpers import OPEN, ServerThread, loaded_state
from fakes import FakeEmbedder
from test_chat import read_events

from qa.config import Settings

LINK_EN = "What is the direct-link bandwidth between Chongqing and Chengdu?"
LINK_ZH = "重庆和成都两地直联带宽达到多少?"


@pytest.fixture(scope="module")
def fake_engine(tmp_path_factory):
    from qa.engine import open_engine

    settings = Settings(index_dir=tmp_path_factory.mktemp("index"), _env_file=None)
    return open_engine(settings, rebuild=True, embedder=FakeEmbedder())


@pytest.fixture
def no_llm(fake_engine, tmp_path: Path) -> Iterator[ServerThread]:
    """A service whose LLM file is missing (and no endpoint configured)."""
    from qa.api import create_app

    settings = Settings(
        index_dir=fake_engine.settings.index_dir,
        llm_model_path=tmp_path / "absent.gguf",
        _env_file=None,
        **OPEN,
    )
    with ServerThread(create_app(settings, state=loaded_state(fake_engine, settings)), settings) as server:
        yield server


def test_asking_for_the_generative_answerer_without_an_llm_is_a_clear_503(no_llm):
    response = httpx.post(
        f"{no_llm.url}/ask", json={"question": LINK_ZH, "answerer": "generative"}, timeout=60
    )
    assert response.status_code == 503
    assert "make llm" in response.json()["detail"] and "QA_LLM_BASE_URL" in response.json()["detail"]
    # The extractive answerer is unaffected.
    fine = httpx.post(f"{no_llm.url}/ask", json={"question": LINK_ZH}, timeout=60)
    assert fine.status_code == 200 and fine.json()["answerer"] == "extractive"


def test_an_unknown_answerer_is_a_422(no_llm):
    response = httpx.post(f"{no_llm.url}/ask", json={"question": LINK_ZH, "answerer": "gpt"}, timeout=60)
    assert response.status_code == 422


def test_without_an_llm_only_the_extractive_model_is_offered(no_llm):
    client = openai.OpenAI(base_url=f"{no_llm.url}/v1", api_key="x", max_retries=0, timeout=60)
    assert [m.id for m in client.models.list()] == ["qa-extractive"]
    with pytest.raises(openai.NotFoundError, match="make install-llm"):
        client.chat.completions.create(model="qa-generative", messages=[{"role": "user", "content": LINK_ZH}])


# --- with the real 0.5B model ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def llm_server(engine, llm_path: Path) -> Iterator[ServerThread]:
    from qa.api import create_app

    settings = Settings(
        index_dir=engine.settings.index_dir,
        llm_model_path=llm_path,
        request_timeout_s=170,
        _env_file=None,
        **OPEN,
    )
    with ServerThread(create_app(settings, state=loaded_state(engine, settings)), settings) as server:
        yield server


@pytest.mark.slow
@pytest.mark.llm
def test_ask_with_the_generative_answerer(llm_server):
    body = httpx.post(
        f"{llm_server.url}/ask", json={"question": LINK_EN, "answerer": "generative"}, timeout=180
    ).json()
    assert body["found"] and body["grounded"] is True
    assert body["answerer"] in ("generative", "extractive")  # extractive: the guard's fallback
    assert (body["answerer"] == "extractive") <= bool(body["violations"])  # a fallback says why
    assert "9540GB" in f"{body['short_answer']} {body['answer']}"
    assert body["timings_ms"]["total"] > 0


@pytest.mark.slow
@pytest.mark.llm
def test_generative_stream_sends_the_draft_then_citations_then_the_checked_answer(llm_server):
    payload = {"question": LINK_ZH, "answerer": "generative", "history": ["重庆有多少个5G基站?"]}
    with httpx.stream("POST", f"{llm_server.url}/ask/stream", json=payload, timeout=180) as response:
        assert response.status_code == 200
        events = read_events(response)
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"] or names[-1] == "done"
    done = events[-1][1]
    assert done["grounded"] is True and done["answerer"] in ("generative", "extractive")
    if done["answerer"] == "generative" and not done["violations"]:
        streamed = "".join(data["text"] for name, data in events if name == "delta")
        assert streamed.strip() == done["answer"].strip()  # no repair: the draft was the answer
        assert names.index("delta") < names.index("citations")  # the text came as it was written


@pytest.mark.slow
@pytest.mark.llm
def test_chat_picks_the_generative_answerer_by_model_id(llm_server):
    client = openai.OpenAI(base_url=f"{llm_server.url}/v1", api_key="x", max_retries=0, timeout=180)
    assert [m.id for m in client.models.list()] == ["qa-extractive", "qa-generative"]
    chunks = list(
        client.chat.completions.create(
            model="qa-generative", messages=[{"role": "user", "content": LINK_ZH}], stream=True
        )
    )
    assert all(c.model == "qa-generative" for c in chunks)
    last = json.loads(chunks[-1].model_dump_json())
    assert last["found"] is True
