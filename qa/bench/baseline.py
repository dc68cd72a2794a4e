"""The alternative a user would otherwise write: LangChain's FAISS store over HuggingFaceEmbeddings.

Same local model folder, same chunks (read from the bench's index), same questions. The
model's task prompts are used as the product uses them ("title: none | text: " for the
chunks, "task: search result | query: " for questions) and vectors are normalized.

``langchain-huggingface`` (whose HuggingFaceEmbeddings has ``query_encode_kwargs``) pins
``huggingface-hub<2``, which conflicts with this project's transformers, so the bench uses
``langchain_community``'s HuggingFaceEmbeddings, the same class before it moved; it has one
``encode_kwargs`` for both sides, so a three-line subclass passes the query prompt in
``embed_query``, which is what ``query_encode_kwargs`` does in the newer package.
This is in-process retrieval only (no HTTP, no answer extraction): a lower bound on what
such a service would cost per question.
"""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

from qa.bench.models import BaselineResult, Latency
from qa.config import Settings

K = 5


def _embeddings(model: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the community package warns that it is being sunset
        from langchain_community.embeddings import HuggingFaceEmbeddings

    class QueryPromptEmbeddings(HuggingFaceEmbeddings):  # type: ignore[misc, valid-type]
        def embed_query(self, text: str) -> list[float]:
            vector = self.client.encode([text], prompt_name="query", normalize_embeddings=True)[0]
            return [float(x) for x in vector]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return QueryPromptEmbeddings(
            model_name=model,
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"prompt_name": "document", "normalize_embeddings": True, "batch_size": 16},
        )


def measure(settings: Settings, index_dir: Path, questions: list[str]) -> BaselineResult:
    try:
        from langchain_community.vectorstores import FAISS
    except ImportError as exc:
        raise SystemExit("error: the LangChain baseline needs: pip install -e '.[bench]'") from exc
    from qa.index import load_index

    logging.getLogger("langchain_community").setLevel(logging.ERROR)
    chunks = load_index(index_dir).chunks
    embeddings = _embeddings(settings.embed_model)
    began = time.perf_counter()
    store = FAISS.from_texts(
        [c.text for c in chunks], embeddings, metadatas=[{"chunk_id": c.chunk_id} for c in chunks]
    )
    build_seconds = time.perf_counter() - began
    store.similarity_search(questions[0], k=K)  # warm-up
    latencies = []
    for question in questions:
        began = time.perf_counter()
        store.similarity_search(question, k=K)
        latencies.append((time.perf_counter() - began) * 1000)
    return BaselineResult(
        name="LangChain FAISS + HuggingFaceEmbeddings (langchain-community 0.4.2), same model, fp32",
        build_seconds=round(build_seconds, 2),
        query=Latency.of(latencies),
        prompts="query prompt for questions, document prompt for chunks, normalized (as the product)",
    )
