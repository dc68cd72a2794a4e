"""The token budget of a question (qa.api.budget, qa.tokens): counted with the encoder's own
tokenizer, refused with 422 past QA_MAX_QUESTION_TOKENS — the question, each earlier turn, and
the follow-up they resolve to — before any work is queued."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from apihelpers import HeldAnswerer, held_server

from qa.answer.followup import resolve_conversation
from qa.api.budget import QuestionBudget
from qa.config import ROOT
from qa.errors import InvalidInputError
from qa.tokens import TokenCounter

TOKENIZER = ROOT / "models" / "embeddinggemma-300m" / "tokenizer.json"
RARE = "𠀀"


@pytest.fixture(scope="module")
def gemma_embedder():
    """An embedder-shaped object holding the real tokenizer (as OnnxEmbedder.encoder does)."""
    if not TOKENIZER.is_file():
        pytest.skip("the model folder is not there (make model)")
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.enable_truncation(max_length=2048)  # as qa.embed_onnx.OnnxQueryEncoder sets it
    return SimpleNamespace(inner=SimpleNamespace(encoder=SimpleNamespace(tokenizer=tokenizer)))


def test_rare_characters_cost_four_tokens_common_ones_one(gemma_embedder):
    counter = TokenCounter.for_embedder(gemma_embedder)
    assert counter.exact
    rare, common = counter.counts([RARE * 100, "数据中心" * 25])
    assert counter.cap == 2048
    assert rare == 400 and common <= 100


def test_the_worst_question_of_2000_characters_is_refused_by_tokens(gemma_embedder):
    budget = QuestionBudget(256)
    with pytest.raises(InvalidInputError) as err:
        budget.check_question(gemma_embedder, RARE * 1999)
    assert err.value.status_code == 422
    assert "QA_MAX_QUESTION_TOKENS" in err.value.detail and "1999 characters" in err.value.detail
    assert "at least 2048 tokens" in err.value.detail  # the encoder's tokenizer stops counting there
    assert budget.check_question(gemma_embedder, "重庆和成都两地直联带宽达到多少?") is False  # short: light
    assert budget.check_question(gemma_embedder, RARE * 60) is True  # 240 tokens: admitted, heavy


def test_each_earlier_turn_is_counted():
    budget = QuestionBudget(50)  # embedder None: one token per character
    with pytest.raises(InvalidInputError, match="earlier question 2 of 3"):
        budget.check_conversation(None, ["短", "长" * 51, "短", "那农村呢?"])


def test_a_follow_up_that_resolves_past_the_budget_is_refused():
    previous = "重庆" + "数字经济核心产业" * 5 + "投资多少亿元?"
    follow_up = "与" + "成都市" * 12 + "相比增长了多少?"
    assert len(previous) <= 50 and len(follow_up) <= 50
    assert max(len(c) for c in resolve_conversation([previous, follow_up]).candidates) > 50
    with pytest.raises(InvalidInputError, match="follow-up resolves"):
        QuestionBudget(50).check_conversation(None, [previous, follow_up])


def test_over_the_budget_every_question_route_answers_422_before_any_work():
    answerer = HeldAnswerer()  # never released: a request that reached it would hang
    with (
        held_server(answerer, max_question_tokens=64) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        long = "长" * 65
        chat = {"messages": [{"role": "user", "content": long}, {"role": "user", "content": "那呢?"}]}
        for path, body in [
            ("/ask", {"question": long}),
            ("/search", {"question": long}),
            ("/ask/stream", {"question": "那农村呢?", "history": [long]}),
            ("/v1/chat/completions", chat),
            ("/v1/chat/completions", {**chat, "stream": True}),
        ]:
            r = client.post(path, json=body)
            openai = path.startswith("/v1/")  # OpenAI's shape there: 400 {"error": {"message"}}
            assert r.status_code == (400 if openai else 422), (path, r.status_code, r.text)
            message = r.json()["error"]["message"] if openai else r.json()["detail"]
            assert "QA_MAX_QUESTION_TOKENS" in message, path
    assert not answerer.started.is_set()
