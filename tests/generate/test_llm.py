"""The generative answerer with the real 0.5B model: in process, behind llama-cpp-python's own
OpenAI-compatible server (the remote path), and over a sample of the gold set, where the guard
must catch what the model gets wrong."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qa.answer.pipeline import build_pipeline
from qa.config import ROOT, Settings
from qa.errors import LLMError
from qa.eval.gold import load_gold
from qa.generate.answerer import open_generative
from qa.generate.guard import check_answer
from qa.generate.llm import LocalChatModel, RemoteChatModel, open_chat_model

pytestmark = [pytest.mark.slow, pytest.mark.llm]

BANDWIDTH_EN = "What is the direct-link bandwidth between Chongqing and Chengdu?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def local(engine, llm_path: Path):
    settings = Settings(index_dir=engine.settings.index_dir, llm_model_path=llm_path, _env_file=None)
    model = open_chat_model(settings)
    assert isinstance(model, LocalChatModel)
    return open_generative(build_pipeline(engine), settings, model)


@pytest.fixture(scope="module")
def llama_server(llm_path: Path, tmp_path_factory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the 0.5B model, as a user would run it."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("llama-server") / "server.log").open("w")
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(llm_path),
        "--model_alias",
        "qwen-0.5b",
    ]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"], stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, "llama_cpp.server exited; see its log"
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "llama_cpp.server did not start within 120 s"
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def _recheck(response) -> list[str]:
    """What the guard finds in a delivered generative answer, against the passages it delivered."""
    if response.answerer != "generative" or not response.found:
        return [] if response.grounded else ["delivered with grounded=false"]
    passages = {c.n: c.quote for c in response.citations}
    report = check_answer(response.answer, passages, response.language, response.question)
    return [v.detail for v in report.violations]


def _delivered_is_grounded(response) -> bool:
    return not _recheck(response)


def test_the_local_model_answers_the_acceptance_question_grounded(local):
    response = local.answer(BANDWIDTH_EN)
    assert response.found and response.grounded and _delivered_is_grounded(response)
    assert "9540GB" in response.answer  # the model's sentence, or the extractive quote after a fallback
    assert response.timings_ms["first_token"] < response.timings_ms["total"]


def test_the_remote_path_answers_through_a_real_openai_compatible_server(engine, llama_server):
    settings = Settings(
        index_dir=engine.settings.index_dir, llm_base_url=llama_server, llm_model="qwen-0.5b", _env_file=None
    )
    model = open_chat_model(settings)
    assert isinstance(model, RemoteChatModel)
    assert "".join(model.stream([{"role": "user", "content": "Say OK."}], 8)).strip()
    response = open_generative(build_pipeline(engine), settings, model).answer(
        "重庆和成都两地直联带宽达到多少?"
    )
    assert response.found and response.grounded and _delivered_is_grounded(response)
    assert "9540GB" in f"{response.short_answer} {response.answer}"


def test_an_endpoint_that_is_down_is_an_llm_error_not_a_crash(engine):
    settings = Settings(
        index_dir=engine.settings.index_dir,
        llm_base_url=f"http://127.0.0.1:{_free_port()}/v1",
        llm_model="absent",
        llm_timeout_s=5,
        _env_file=None,
    )
    answerer = open_generative(build_pipeline(engine), settings)
    with pytest.raises(LLMError, match="LLM endpoint failed"):
        answerer.answer(BANDWIDTH_EN)


GOLD_SAMPLE = 24


def test_on_the_gold_set_the_guard_catches_the_model_and_nothing_ungrounded_is_delivered(local):
    """The 0.5B model is coder-tuned and small: over a sample of figure questions it changes or
    invents something at least once, and every such answer is repaired or replaced."""
    gold = [
        g
        for g in load_gold(ROOT / "corpus" / "gold" / "gold.jsonl")
        if g.answerable and g.type.value == "number"
    ]
    responses = [local.answer(g.question) for g in gold[:GOLD_SAMPLE]]
    caught = [r for r in responses if r.violations]
    assert caught, "the guard found nothing to repair in the sample: widen it"
    ungrounded = {r.question: (r.answer, _recheck(r)) for r in responses if _recheck(r)}
    assert not ungrounded
    assert {r.answerer for r in caught} <= {"generative", "extractive"}
