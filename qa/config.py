"""One settings object for the whole service.

Everything that changes what the index holds or what an answer says lives here, read
from ``QA_*`` environment variables and ``.env`` and validated at start, so that a bad
value fails loudly before any model is loaded. Tests build their own ``Settings`` and
inject it instead of touching the environment.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from qa.config_llm import LLMSettings

ROOT = Path(__file__).resolve().parent.parent


class SearchMode(StrEnum):
    """Retrieval modes; `hybrid` fuses dense and BM25 rankings."""

    DENSE = "dense"
    BM25 = "bm25"
    HYBRID = "hybrid"


class EmbedBackend(StrEnum):
    """How questions, and passages at build time, are embedded (both fp32; the vectors agree)."""

    TORCH = "torch"  # sentence-transformers on PyTorch, fp32
    ONNX = "onnx"  # the same fp32 graph on ONNX Runtime, exported once into <model>/onnx


class Settings(LLMSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(ROOT / "corpus", description="Folder of .txt/.md/.html/.pdf/.docx documents.")
    index_dir: Path = Field(ROOT / "index", description="Where the built index lives.")
    prompts_dir: Path = Field(ROOT / "prompts", description="Answer and refusal templates.")
    embed_model: str = Field(
        str(ROOT / "models" / "embeddinggemma-300m"),
        description="A local sentence-transformers folder, or a hub id (needs internet).",
    )
    embed_batch_size: int = Field(16, ge=1, le=512)
    embed_dim: int | None = Field(
        None, description="Truncate embeddings (Matryoshka: 768/512/256/128); None keeps all."
    )
    # Speed (qa.embed_onnx, qa.batching, qa.answer.cache); none of these changes the index.
    embed_backend: EmbedBackend = Field(
        EmbedBackend.ONNX, description="Query and passage encoder: onnx or torch."
    )
    embed_threads: int | None = Field(None, ge=1, le=256, description="Encoder threads; None: the default.")
    batch_max_wait_ms: float = Field(
        3.0, ge=0, le=100, description="Under load, how long a question waits for others to share its encode."
    )
    batch_max_size: int = Field(64, ge=1, le=1024, description="Questions per shared encode; 1 turns it off.")
    answer_cache_size: int = Field(1024, ge=0, le=1_000_000, description="Answers kept (LRU); 0: off.")

    # Corpus growth (qa.index.embed_cache, qa.index.vectors).
    embed_cache_dir: Path | None = Field(
        None,
        description="Where passage vectors are kept between builds, so a rebuild embeds only new or "
        "changed text; None: <index_dir>/.embed-cache. Holds one build's vectors; safe to delete.",
    )
    vector_store: str = Field(
        "faiss",
        description="Where the index's vectors live: faiss (in-process, the default), "
        "milvus:///path/file.db (Milvus Lite: a file, one process at a time) or http://host:19530 "
        "(a Milvus server shared by replicas). Needs the milvus extra for Milvus.",
    )
    milvus_token: SecretStr = Field(
        SecretStr(""), description="Milvus server token (user:password); empty: none."
    )

    @field_validator("vector_store")
    @classmethod
    def _check_store(cls, value: str) -> str:
        return check_store_url(value)

    chunk_size: int = Field(300, ge=50, le=4000, description="Chunk size in characters.")
    chunk_overlap: int = Field(60, ge=0, description="Overlap between chunks in characters.")
    heading_max_chars: int = Field(24, ge=4, le=80, description="Longest line taken as a heading.")

    answer_policy: Path | None = Field(
        None, description="A JSON or TOML file of answer-policy overrides (qa.answer.policy); None: defaults."
    )

    search_mode: SearchMode = SearchMode.HYBRID
    top_k: int = Field(5, ge=1, le=20)
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion damping constant.")
    candidate_k: int = Field(30, ge=1, le=500, description="Hits taken from each ranker.")

    rebuild_on_start: bool = Field(True, description="Rebuild a missing/stale index at start.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"],
        description="Origins whose pages may call the API (the chat widget): a JSON list or comma-separated, "
        'e.g. "https://a.example,http://localhost:3000"; "*" allows any page, an empty value none.',
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: object) -> object:
        """Accept a JSON list or a comma-separated string; an origin is scheme://host[:port]."""
        value = _as_list(value)
        if not isinstance(value, list):
            return value
        origins = [str(v).strip().rstrip("/") for v in value if str(v).strip()]
        bad = [o for o in origins if o != "*" and not re.fullmatch(r"https?://[^/\s]+", o)]
        if bad:
            raise ValueError(f"not an origin (scheme://host[:port]): {', '.join(bad)}")
        return origins

    # Reliability and access (qa.api.middleware, qa.api.limits, qa.api.security).
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Larger request bodies get 413.")
    max_in_flight: int = Field(
        4, ge=1, le=256, description="Questions answered at once (worker slots); more wait in a queue."
    )
    max_wait_ms: float = Field(
        3000.0,
        ge=0,
        le=600_000,
        description="A question is admitted while its expected wait for a slot (recent service time x "
        "questions ahead / slots) is under this; past it, 503 with Retry-After at once.",
    )
    max_question_tokens: int = Field(
        256,
        ge=16,
        le=2000,
        description="Longest question (and each history entry, and the resolved follow-up) in tokens of "
        "the embedding model's tokenizer; longer ones get 422. Bounds one question's encoder time.",
    )
    batch_max_tokens: int = Field(
        2048,
        ge=64,
        le=65536,
        description="Padded tokens per shared encode (questions x longest): a long question cannot "
        "hold short ones behind it in one slow batch.",
    )
    request_timeout_s: float = Field(30.0, gt=0, le=600, description="Longer answers get 504.")
    rate_limit_per_min: float = Field(
        120.0, ge=0, description="Requests per minute per API key (or client IP); 0 turns it off."
    )
    rate_limit_burst: int = Field(30, ge=1, description="Requests allowed at once before the rate applies.")
    api_keys: SecretStr = Field(
        SecretStr(""), description="Comma-separated API keys; empty leaves the API open (admin off)."
    )
    log_questions: bool = Field(False, description="Put question text in INFO access logs.")
    metrics_public: bool = Field(
        False,
        description="Serve /metrics without an API key even when QA_API_KEYS is set, for a scraper that "
        "cannot send one (it shows counts, timings and the index build id, never questions or keys).",
    )
    shutdown_grace_s: float = Field(30.0, ge=0, description="On SIGTERM, time to finish requests.")
    upload_max_bytes: int = Field(
        20 * 1024 * 1024,
        ge=1024,
        le=1024**3,
        description="Largest file POST /documents accepts (larger: 413); QA_MAX_BODY_BYTES does not "
        "apply to uploads.",
    )
    # Worker processes (qa.api.workers) and their shared state (qa.api.shared).
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server processes sharing the port and the index on disk; each loads its own model "
        "(~1 GB). Raise it only with more cores than one worker keeps busy (README: Workers).",
    )
    redis_url: str = Field(
        "",
        description="Redis (redis://host:port/db) holding the rate-limit buckets and every worker's "
        "queue, so limits and the wait bound hold across workers; empty keeps them per worker.",
    )
    keep_alive_s: float = Field(
        15.0, gt=0, le=600, description="Idle keep-alive; above clients' idle expiry (httpx: 5 s)."
    )
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: IP addresses or "
        'networks, comma-separated or a JSON list, e.g. "127.0.0.1" for a reverse proxy on this host; '
        '"*" believes anyone. Empty (the default) believes no one: the client IP that the per-IP rate '
        "limit and the access log see is the socket peer. (uvicorn on its own would believe any client "
        "on 127.0.0.1, which lets a local client pick a fresh rate-limit bucket per request.)",
    )

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        """Accept a JSON list or a comma-separated string of IP addresses, networks or "*"."""
        value = _as_list(value)
        if not isinstance(value, list):
            return value
        proxies = [str(v).strip() for v in value if str(v).strip()]
        if "*" in proxies:
            return ["*"]  # uvicorn believes everyone only when "*" stands alone
        bad = []
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy)  # an address is a network of one; host bits must be 0
            except ValueError:
                bad.append(proxy)
        if bad:
            raise ValueError(f"not an IP address or network: {', '.join(bad)}")
        return proxies

    def api_key_list(self) -> list[str]:
        return [k.strip() for k in self.api_keys.get_secret_value().split(",") if k.strip()]

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"QA_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than "
                f"QA_CHUNK_SIZE ({self.chunk_size})"
            )
        if self.workers > 1 and self.vector_store.startswith("milvus://"):
            raise ValueError(
                f"QA_VECTOR_STORE={self.vector_store} is a Milvus Lite file, which one process opens at a "
                f"time: QA_WORKERS ({self.workers}) must be 1, or use a Milvus server (http://host:19530)"
            )
        return self

    def index_params(self) -> dict[str, object]:
        """The settings that decide what the index holds; a change makes the index stale."""
        from qa.text import TOKENIZER_VERSION
        from qa.text.values import ANALYSER_VERSION

        return {
            "tokenizer": TOKENIZER_VERSION,
            "value_rules": ANALYSER_VERSION,
            "chunk_size": self.chunk_size,
            "chunk_overlap": self.chunk_overlap,
            "heading_max_chars": self.heading_max_chars,
            "embed_dim": self.embed_dim,
        }


def check_store_url(value: str) -> str:
    """The setting's value, normalized; ValueError says what is accepted."""
    url = value.strip()
    if url in ("", "faiss"):
        return "faiss"
    if url.startswith("milvus://"):
        path = url.removeprefix("milvus://")
        if not path.endswith(".db") or path in ("", ".db"):
            raise ValueError(
                f"{value!r}: a Milvus Lite file must end in .db, e.g. milvus:///srv/qa/vectors.db"
            )
        return url
    if url.startswith(("http://", "https://")) and len(url.split("://", 1)[1].strip("/")) > 0:
        return url.rstrip("/")
    raise ValueError(f"{value!r}: use faiss, milvus:///path/file.db (Milvus Lite) or http://host:19530")


def _as_list(value: object) -> object:
    """A JSON list or a comma-separated string as a list; anything else as it is (pydantic rejects it)."""
    if isinstance(value, str):
        text = value.strip()
        return json.loads(text) if text.startswith("[") else text.split(",")
    return value


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once. A bad value raises ConfigError with one line that
    names the variable (qa.config_check); a ``QA_*`` name no setting reads is warned about."""
    from pydantic import ValidationError

    from qa.config_check import explain, unknown_variables
    from qa.errors import ConfigError

    for warning in unknown_variables(Settings):
        logging.getLogger("qa.config").warning(warning)
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(explain(exc, Settings)) from None
