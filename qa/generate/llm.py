"""Chat models behind one small interface: a local GGUF (llama-cpp-python) or a remote
OpenAI-compatible endpoint.

Both stream: ``stream(messages)`` yields text pieces as the model writes them, so the API can
pass tokens on and measure the first one. The local model is not thread-safe, and two
generations at once on two cores would only halve each other's speed, so it generates one
answer at a time behind a lock. Greedy decoding (temperature 0): the same question over the
same build gets the same answer, which is what makes answers cacheable and evals repeatable.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from qa.config import Settings
from qa.errors import LLMError, LLMUnavailableError

log = logging.getLogger(__name__)

Message = dict[str, str]


class ChatModel(Protocol):
    name: str

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]: ...


@dataclass
class LocalChatModel:
    """A GGUF model in this process (llama-cpp-python), loaded once."""

    llama: Any
    name: str
    lock: threading.Lock

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        with self.lock:
            chunks = self.llama.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece


@dataclass
class RemoteChatModel:
    """Any OpenAI-compatible chat endpoint: Ollama, vLLM, a llama.cpp server, a hosted API."""

    client: Any
    name: str

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        import openai

        try:
            chunks = self.client.chat.completions.create(
                model=self.name, messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True
            )
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.APIError as exc:
            raise LLMError(f"the LLM endpoint failed: {exc}") from exc


def llm_configured(settings: Settings) -> bool:
    """An LLM can be had without loading it: an endpoint is set, or the GGUF and the runtime are here."""
    import importlib.util

    if settings.llm_base_url:
        return True
    return settings.llm_model_path.is_file() and importlib.util.find_spec("llama_cpp") is not None


def open_chat_model(settings: Settings) -> ChatModel:
    """The configured chat model: ``QA_LLM_BASE_URL`` when set, else the local GGUF.

    Raises LLMUnavailableError naming what to run when neither is there, so a request for the
    generative answerer gets a clear 503 instead of a 500.
    """
    if settings.llm_base_url:
        return _remote(settings)
    path = settings.llm_model_path
    if not path.is_file():
        raise LLMUnavailableError(
            f"the generative answerer needs a model: {path} is missing (run `make llm`), "
            "or set QA_LLM_BASE_URL to an OpenAI-compatible endpoint"
        )
    # llama.cpp's OpenMP threads spin while they wait; beside the embedding encoder (and any other
    # process) on few cores that spinning halved prompt speed here (32 vs 67 tokens/s under load).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise LLMUnavailableError(
            "the generative answerer needs llama-cpp-python (run `make install-llm`), "
            "or set QA_LLM_BASE_URL to an OpenAI-compatible endpoint"
        ) from exc
    began = time.perf_counter()
    llama = Llama(
        model_path=str(path), n_ctx=settings.llm_context, n_threads=settings.llm_threads, verbose=False
    )
    log.info("LLM %s loaded in %.1f s", path.name, time.perf_counter() - began)
    return LocalChatModel(llama, path.stem, threading.Lock())


def _remote(settings: Settings) -> RemoteChatModel:
    try:
        import openai
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise LLMUnavailableError("QA_LLM_BASE_URL needs the openai package") from exc
    if not settings.llm_model:
        raise LLMUnavailableError("QA_LLM_BASE_URL is set, so QA_LLM_MODEL must name its model")
    client = openai.OpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value() or "none",
        timeout=settings.llm_timeout_s,
        max_retries=0,
    )
    return RemoteChatModel(client, settings.llm_model)
