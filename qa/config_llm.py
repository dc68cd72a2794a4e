"""The generative answerer's settings, declared apart and inherited by ``qa.config.Settings``.

They are fields of the one ``Settings`` object (``QA_LLM_*`` variables, same ``.env``, same
start-up validation); they live in their own module only to keep ``qa/config.py`` readable.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parent.parent
LLM_DIR = ROOT / "models" / "llm"
LLM_FILES = {
    "0.5b": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    "1.5b": "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
}


class AnswererName(StrEnum):
    """Who writes the answer: quotes chosen by rules (fast, no model) or an LLM checked against them."""

    EXTRACTIVE = "extractive"
    GENERATIVE = "generative"


class LLMSettings(BaseSettings):
    answerer: AnswererName = Field(
        AnswererName.EXTRACTIVE,
        description="The default answerer; a request may pick the other (`answerer`, or the chat model id).",
    )
    llm_model_path: Path = Field(
        LLM_DIR / LLM_FILES["1.5b"],
        description="The local GGUF model of the generative answerer (`make llm` fetches it).",
    )
    llm_base_url: str = Field(
        "",
        description="An OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, a hosted API) used "
        "instead of the local model, e.g. http://127.0.0.1:8080/v1; empty: the local GGUF.",
    )
    llm_model: str = Field("", description="The model name sent to QA_LLM_BASE_URL.")
    llm_api_key: SecretStr = Field(
        SecretStr(""), description="Bearer key for QA_LLM_BASE_URL, if it needs one."
    )
    llm_threads: int | None = Field(
        None,
        ge=1,
        le=256,
        description="Local model threads writing the answer; None: llama.cpp's default, half the cores. "
        "The prompt is read with all cores either way.",
    )
    llm_context: int = Field(4096, ge=512, le=32768, description="Local model context window in tokens.")
    llm_max_tokens: int = Field(200, ge=16, le=4096, description="Longest generated answer in tokens.")
    llm_timeout_s: float = Field(60.0, gt=0, le=600, description="One LLM call, remote or local.")
    llm_passages: int = Field(4, ge=1, le=10, description="Passages numbered [1]..[k] in the prompt.")

    @field_validator("llm_base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("an http:// or https:// URL, e.g. http://127.0.0.1:8080/v1")
        return value
