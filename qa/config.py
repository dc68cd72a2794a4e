"""One settings object for the whole service.

Everything that changes what the index holds or what an answer says lives here, read
from ``QA_*`` environment variables and ``.env`` and validated at start, so that a bad
value fails loudly before any model is loaded. Tests build their own ``Settings`` and
inject it instead of touching the environment.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class SearchMode(StrEnum):
    """Retrieval modes; `hybrid` fuses dense and BM25 rankings."""

    DENSE = "dense"
    BM25 = "bm25"
    HYBRID = "hybrid"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(ROOT / "corpus", description="Folder of .txt/.md/.html documents.")
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

    chunk_size: int = Field(300, ge=50, le=4000, description="Chunk size in characters.")
    chunk_overlap: int = Field(60, ge=0, description="Overlap between chunks in characters.")
    heading_max_chars: int = Field(24, ge=4, le=80, description="Longest line taken as a heading.")

    search_mode: SearchMode = SearchMode.HYBRID
    top_k: int = Field(5, ge=1, le=20)
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion damping constant.")
    candidate_k: int = Field(30, ge=1, le=500, description="Hits taken from each ranker.")

    rebuild_on_start: bool = Field(True, description="Rebuild a missing/stale index at start.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    max_question_chars: int = Field(2000, ge=10, le=100_000)

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than "
                f"chunk_size ({self.chunk_size})"
            )
        return self

    def index_params(self) -> dict[str, object]:
        """The settings that decide what the index holds; a change makes the index stale."""
        from qa.text import TOKENIZER_VERSION

        return {
            "tokenizer": TOKENIZER_VERSION,
            "chunk_size": self.chunk_size,
            "chunk_overlap": self.chunk_overlap,
            "heading_max_chars": self.heading_max_chars,
            "embed_dim": self.embed_dim,
        }


@lru_cache
def get_settings() -> Settings:
    return Settings()
