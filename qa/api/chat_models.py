"""Request and response models of the chat endpoints: ``/ask/stream`` events and the
OpenAI-compatible ``/v1/chat/completions`` shapes.

The OpenAI models follow the Chat Completions API field for field, so unmodified OpenAI
clients parse them; what this service adds (the citations that prove the answer) travels
in extra top-level fields that such clients keep and ignore: ``citations``, ``found``,
``short_answer`` and ``resolved_question``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from qa.api.models import MAX_QUESTION_CHARS, AskRequest, check_text
from qa.config import SearchMode
from qa.config_llm import AnswererName
from qa.schemas import Citation

MAX_HISTORY = 20
MAX_MESSAGES = 100
MODEL_ID = "qa-extractive"
# Each answerer is offered as a model; chat picks the answerer by model id.
MODEL_IDS = {MODEL_ID: AnswererName.EXTRACTIVE, "qa-generative": AnswererName.GENERATIVE}


class StreamAskRequest(AskRequest):
    """``/ask`` plus the conversation so far, so that follow-ups can be resolved."""

    history: list[Annotated[str, Field(max_length=MAX_QUESTION_CHARS)]] = Field(
        default_factory=list,
        max_length=MAX_HISTORY,
        description="The previous user questions of the conversation, oldest first, as typed.",
    )

    @field_validator("history")
    @classmethod
    def _check_history(cls, value: list[str]) -> list[str]:
        return [check_text(v, "each history entry") for v in value]


class CitationsEvent(BaseModel):
    """The first event of ``/ask/stream``: the sources, before any answer text."""

    question: str = Field(description="The question as typed.")
    resolved_question: str = Field(description="The question answered, after follow-up resolution.")
    found: bool
    short_answer: str | None
    language: str
    citations: list[Citation]


class DeltaEvent(BaseModel):
    text: str


class ErrorEvent(BaseModel):
    detail: str


# --- OpenAI Chat Completions -------------------------------------------------------------


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """OpenAI's request. The model id picks the answerer (GET /v1/models). Sampling options
    (temperature, max_tokens, ...) are accepted and ignored: the extractive answerer extracts, and
    the generative one decodes greedily within ``QA_LLM_MAX_TOKENS`` so its answers are repeatable."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(MODEL_ID, min_length=1, max_length=200, description="Optional here (GET /v1/models).")
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1, description="Only one choice is ever produced.")
    top_k: int = Field(5, ge=1, le=20, description="Extension: passages retrieved.")
    mode: SearchMode | None = Field(None, description="Extension: retrieval mode.")

    @model_validator(mode="after")
    def _check_turns(self) -> ChatCompletionRequest:
        last = self.messages[-1]
        if last.role != "user":
            raise ValueError("the last message must have role 'user': it is the question")
        check_text(last.text(), "the last user message")
        for message in self.messages:
            if message.role == "user":
                check_text(message.text(), "every user message")
        return self

    def user_questions(self) -> list[str]:
        """The user turns, oldest first (earlier ones resolve follow-ups)."""
        return [m.text().strip() for m in self.messages if m.role == "user"][-MAX_HISTORY - 1 :]


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: str | None = None


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    """Counted as CJK characters plus words and symbols: there is no tokenizer here."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class CitedFields(BaseModel):
    """The extension fields: what proves the answer."""

    citations: list[Citation] = Field(description="The quoted passages the [n] markers refer to.")
    found: bool = Field(description="False when the report does not answer (a refusal).")
    short_answer: str | None = None
    resolved_question: str = Field(description="The question answered, after follow-up resolution.")


class ChatCompletion(CitedFields):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    system_fingerprint: str | None = None


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    system_fingerprint: str | None = None
    usage: Usage | None = None
    citations: list[Citation] | None = Field(None, description="Only on the last chunk(s).")
    found: bool | None = None
    short_answer: str | None = None
    resolved_question: str | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "qa"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class OpenAIErrorBody(BaseModel):
    message: str
    type: str = Field(
        description="invalid_request_error, authentication_error, rate_limit_error, server_error…"
    )
    param: str | None = Field(None, description="The request field at fault, e.g. `messages` or `model`.")
    code: str | None = Field(None, description="e.g. `model_not_found`, `rate_limit_exceeded`.")


class OpenAIError(BaseModel):
    """Every error under /v1 (qa.api.openai_errors), so OpenAI clients raise it with our message."""

    error: OpenAIErrorBody


# Request examples shown (and sendable) in /docs; each one is answered from the bundled report.
COMPLETION_EXAMPLES = {
    "zh": {
        "summary": "中文问题 (a question in Chinese)",
        "value": {
            "model": MODEL_ID,
            "messages": [{"role": "user", "content": "重庆和成都两地直联带宽达到多少?"}],
        },
    },
    "follow-up": {
        "summary": "追问 (a follow-up: earlier user turns resolve it)",
        "value": {
            "model": MODEL_ID,
            "messages": [
                {"role": "user", "content": "电信固定资产投资4年累计超过多少亿元?"},
                {"role": "assistant", "content": "超670亿元。原文:“…4年累计超670亿元…”[1]"},
                {"role": "user", "content": "那农村呢?"},
            ],
        },
    },
    "stream": {
        "summary": "Streaming, English, with usage in the last chunk",
        "value": {
            "model": MODEL_ID,
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [
                {"role": "system", "content": "Answer from the report."},
                {
                    "role": "user",
                    "content": "What is the direct-link bandwidth between Chongqing and Chengdu?",
                },
            ],
        },
    },
}
