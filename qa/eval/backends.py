"""Where evaluation questions go: the engine in this process, or a running service over HTTP.

Both sit behind one small ``Backend`` protocol, so the runner and the metrics cannot tell
them apart, and "the HTTP service answers like the library" is a plain comparison of two
runs. Over HTTP, retrieval comes from ``POST /search``, answers from ``POST /ask`` and the
cleaned document text (for evidence offsets) from ``GET /documents/{doc_id}``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Protocol

import httpx
import numpy as np

from qa.config import SearchMode
from qa.config_llm import AnswererName
from qa.errors import QAError
from qa.schemas import AskResponse, Document, Hit

if TYPE_CHECKING:
    from qa.answer.pipeline import Answerer
    from qa.embed import Embedder
    from qa.engine import Engine
    from qa.retrieve import HybridRetriever


RETRY_STATUSES = frozenset({429, 503})
MAX_RETRY_DELAY = 10.0


class ServiceError(QAError):
    """The service cannot be reached, never became ready, or failed in a way no retry fixes."""

    status_code = 502


class QuestionRejected(QAError):
    """The service refused one question with a 4xx/5xx; the run goes on and records it."""


class Backend(Protocol):
    label: str

    def search(self, question: str, top_k: int, mode: SearchMode) -> list[Hit]: ...

    def ask(
        self, question: str, top_k: int, mode: SearchMode, answerer: AnswererName = AnswererName.EXTRACTIVE
    ) -> tuple[AskResponse, float]:
        """The answer and the milliseconds the whole ask took."""
        ...

    def document(self, doc_id: str) -> Document | None: ...

    def index_id(self) -> str | None: ...


class _LastQueryMemo:
    """An embedder that remembers its last query batch, so the eval's search call after an
    ask reuses the ask's embedding instead of paying for a second one. ``forget`` before each
    ask keeps the timed ask honest: it always embeds afresh."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self.model_id = embedder.model_id
        self._last: tuple[list[str], np.ndarray] | None = None

    @property
    def dim(self) -> int:
        return self._embedder.dim

    def weights_hash(self) -> str:
        return self._embedder.weights_hash()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if self._last is not None and self._last[0] == texts:
            return self._last[1]
        vectors = self._embedder.encode_queries(texts)
        self._last = (list(texts), vectors)
        return vectors

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._embedder.encode_documents(texts, progress)

    def forget(self) -> None:
        self._last = None


class InProcessBackend:
    """The engine and answerer of this process; no HTTP in between."""

    def __init__(self, engine: Engine, answerer: Answerer, retriever: HybridRetriever | None = None) -> None:
        self.engine = engine
        self.answerer = answerer
        self.retriever = retriever or engine.retriever
        self.label = "in-process"
        self._generative: Answerer | None = None

    @classmethod
    def open(cls, engine: Engine) -> InProcessBackend:
        """The product's own answerer over the engine's index, with the query memo in front."""
        from qa.answer.pipeline import build_pipeline
        from qa.retrieve import HybridRetriever

        memo = _LastQueryMemo(engine.embedder)
        retriever = HybridRetriever(engine.index, memo, engine.settings)
        return cls(engine, build_pipeline(engine, retriever), retriever)

    def search(self, question: str, top_k: int, mode: SearchMode) -> list[Hit]:
        return self.retriever.retrieve(question, top_k, mode).hits

    def ask(
        self, question: str, top_k: int, mode: SearchMode, answerer: AnswererName = AnswererName.EXTRACTIVE
    ) -> tuple[AskResponse, float]:
        embedder = self.retriever.embedder
        if isinstance(embedder, _LastQueryMemo):
            embedder.forget()
        chosen = self.generative() if answerer is AnswererName.GENERATIVE else self.answerer
        began = time.perf_counter()
        response = chosen.answer(question, top_k, mode)
        return response, (time.perf_counter() - began) * 1000

    def generative(self) -> Answerer:
        """The generative answerer over the same pipeline, its LLM loaded on first use (uncached:
        every question is measured)."""
        if self._generative is None:
            from qa.answer.pipeline import Pipeline
            from qa.generate.answerer import open_generative

            assert isinstance(self.answerer, Pipeline), "the generative answerer writes from a pipeline"
            self._generative = open_generative(self.answerer, self.engine.settings)
        return self._generative

    def document(self, doc_id: str) -> Document | None:
        return self.engine.index.documents.get(doc_id)

    def index_id(self) -> str | None:
        return self.engine.index.manifest.build_id


class HttpBackend:
    """A running ``qa serve``; waits for ``/readyz`` before the first question.

    A 429 (rate limit) or 503 (busy) is retried after its ``Retry-After``, up to
    ``max_wait`` seconds per call, and the latency reported is that of the attempt that
    answered, so a rate-limited run still measures the service, not the waiting.
    A 401/403 stops the run: every other question would fail the same way.
    """

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        ready_timeout: float = 300.0,
        max_wait: float = 120.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.label = self.url
        headers = {"X-API-Key": api_key} if api_key else {}
        self.client = httpx.Client(base_url=self.url, timeout=timeout, headers=headers)
        self.max_wait = max_wait
        self._manifest: dict[str, object] = {}
        self._wait_ready(ready_timeout)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServiceError(f"cannot reach the service at {self.url}: {exc}") from exc

    def _call(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, float]:
        """The response and the milliseconds its (last) attempt took."""
        waited = 0.0
        while True:
            began = time.perf_counter()
            response = self._send(method, path, **kwargs)
            elapsed_ms = (time.perf_counter() - began) * 1000
            if response.status_code in (401, 403):
                raise ServiceError(
                    f"{method} {path} answered {response.status_code}: {_detail(response)} "
                    "(does the service need an API key? pass --api-key)"
                )
            if response.status_code not in RETRY_STATUSES or waited >= self.max_wait:
                return response, elapsed_ms
            delay = min(_retry_after(response), MAX_RETRY_DELAY, self.max_wait - waited)
            time.sleep(delay)
            waited += delay

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            response = self._send("GET", "/readyz")
            body = _json(response)
            if response.status_code == 200:
                # The manifest is behind the key at /manifest (older services put it in /readyz).
                if not body.get("manifest"):
                    manifest = self._send("GET", "/manifest")
                    body["manifest"] = _json(manifest) if manifest.status_code == 200 else {}
                self._manifest = body["manifest"]
                return
            if body.get("status") == "error" or response.status_code != 503:
                raise ServiceError(f"{self.url} is not ready: {body.get('detail') or response.status_code}")
            if time.monotonic() > deadline:
                raise ServiceError(f"{self.url} did not become ready within {timeout:.0f}s")
            time.sleep(1.0)

    def _post(
        self, path: str, question: str, top_k: int, mode: SearchMode, **extra: str
    ) -> tuple[dict[str, Any], float]:
        payload = {"question": question, "top_k": top_k, "mode": mode.value, **extra}
        response, elapsed_ms = self._call("POST", path, json=payload)
        if response.status_code != 200:
            raise QuestionRejected(f"{path} answered {response.status_code}: {_detail(response)}")
        return response.json(), elapsed_ms

    def search(self, question: str, top_k: int, mode: SearchMode) -> list[Hit]:
        body, _ = self._post("/search", question, top_k, mode)
        return [Hit.model_validate(h) for h in body["hits"]]

    def ask(
        self, question: str, top_k: int, mode: SearchMode, answerer: AnswererName = AnswererName.EXTRACTIVE
    ) -> tuple[AskResponse, float]:
        body, elapsed_ms = self._post("/ask", question, top_k, mode, answerer=answerer.value)
        return AskResponse.model_validate(body), elapsed_ms

    def document(self, doc_id: str) -> Document | None:
        response, _ = self._call("GET", f"/documents/{doc_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ServiceError(
                f"GET /documents/{doc_id} answered {response.status_code}: {_detail(response)}"
            )
        body = response.json()
        body.pop("pages", None)  # the API says how many pages; Document holds where each starts
        return Document.model_validate(body)

    def index_id(self) -> str | None:
        build_id = self._manifest.get("build_id")
        return str(build_id) if build_id else None

    def close(self) -> None:
        self.client.close()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _detail(response: httpx.Response) -> str:
    return str(_json(response).get("detail") or response.text[:200])


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(float(response.headers.get("Retry-After", "1")), 0.1)
    except ValueError:
        return 1.0
