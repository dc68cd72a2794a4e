"""Service state: the engine and answerer, loaded once in the lifespan, reached via dependencies.

Loading runs in a worker thread so that ``/healthz`` answers while the model loads (or the
index is rebuilt) and ``/readyz`` can say "loading" or "building" with the build's current
step instead of the port being closed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
from fastapi import Request

from qa.answer.cache import serving_answerer
from qa.answer.pipeline import Answerer, Pipeline, build_pipeline
from qa.api.startup import index_loaded
from qa.config import Settings
from qa.config_llm import AnswererName
from qa.embed import Embedder
from qa.engine import Engine, open_engine
from qa.errors import LLMUnavailableError, NotReadyError, QAError, ReloadError
from qa.generate.llm import ChatModel, llm_configured
from qa.index import Manifest

log = logging.getLogger("qa.api")


@dataclass
class Live:
    """The engine and its answerers, swapped as one reference: a request that read ``live`` once
    finishes on that build even if a reload swaps in another meanwhile. The generative answerer
    is made on first use when the default answerer is the extractive one (``QA_ANSWERER``)."""

    engine: Engine
    answerer: Answerer
    pipeline: Pipeline | None = None  # what the generative answerer writes from (None: it can't)
    generative: Answerer | None = None


@dataclass
class ServiceState:
    settings: Settings
    live: Live | None = None
    error: str | None = None
    load_seconds: float | None = None  # the start-up load (model, index, warm-up), for /metrics
    ready: threading.Event = field(default_factory=threading.Event)
    reload_lock: threading.Lock = field(default_factory=threading.Lock)
    progress: str | None = None  # the start-up index build's current step, while it runs
    chat_model: ChatModel | None = None  # the generative answerer's LLM, loaded once, kept over reloads
    llm_lock: threading.Lock = field(default_factory=threading.Lock)
    llm_offered: bool | None = None  # see offers_llm; None: not decided yet for this loaded state

    @property
    def status(self) -> str:
        """ready, error, building (the index, at start) or loading."""
        if self.live is not None:
            return "ready"
        if self.error is not None:
            return "error"
        return "building" if self.progress else "loading"

    def offers_llm(self) -> bool:
        """Whether the generative answerer can be had (``/v1/models``, chat): decided once per loaded
        state and again when the LLM loads or fails to, not by looking at the disk on every request."""
        if self.llm_offered is None:
            self.llm_offered = self.chat_model is not None or llm_configured(self.settings)
        return self.llm_offered

    def _building(self, step: str) -> None:
        self.progress = f"building the index: {step}"
        log.info("%s", self.progress)

    @property
    def engine(self) -> Engine | None:
        live = self.live
        return live.engine if live else None

    @property
    def answerer(self) -> Answerer | None:
        live = self.live
        return live.answerer if live else None

    def load(self) -> None:
        """Load model, index and templates; remember a failure instead of crashing the server."""
        began = time.perf_counter()
        try:
            self.live = self._build(on_progress=self._building)
            self.progress = None
            self.load_seconds = round(time.perf_counter() - began, 3)
            log.info("%s", index_loaded(self.live.engine.index.manifest.build_id))
        except QAError as exc:
            self.error = exc.detail
            log.error("cannot start: %s", exc.detail)
        except Exception as exc:  # report anything unexpected on /readyz, keep serving /healthz
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("cannot start")
        finally:
            self.ready.set()

    def _build(
        self,
        rebuild: bool | None = None,
        embedder: Embedder | None = None,
        on_progress: Callable[[str], None] | None = None,
    ) -> Live:
        """Model, index, templates and the serving answerer: what start-up and reload both load."""
        engine = open_engine(
            self.settings, rebuild=rebuild, embedder=embedder, progress=True, on_progress=on_progress
        )
        pipeline = build_pipeline(engine)
        live = Live(engine, serving_answerer(pipeline, self.settings), pipeline)
        self.llm_offered = None  # a new loaded state: decided afresh (`make llm` may have run since)
        if self.settings.answerer is AnswererName.GENERATIVE:  # the default: load the LLM now
            self._generative(live)
        return live

    def require(self, answerer: AnswererName | None = None) -> tuple[Engine, Answerer]:
        """The engine and the answerer asked for (None: ``QA_ANSWERER``)."""
        live = self.live
        if live is None:
            raise NotReadyError(self.error or "the service is still loading the model and index")
        if (answerer or self.settings.answerer) is AnswererName.GENERATIVE:
            return live.engine, self._generative(live)
        return live.engine, live.answerer

    async def require_async(self, answerer: AnswererName | None = None) -> tuple[Engine, Answerer]:
        """``require`` for routes: the first generative request loads the LLM (seconds) in a worker
        thread, so the event loop keeps serving meanwhile."""
        live = self.live
        wants_llm = (answerer or self.settings.answerer) is AnswererName.GENERATIVE
        if live is not None and wants_llm and live.generative is None:
            return await anyio.to_thread.run_sync(self.require, answerer)
        return self.require(answerer)

    def _generative(self, live: Live) -> Answerer:
        """The build's generative answerer, made (and its LLM loaded) once, on first use."""
        if live.generative is not None:
            return live.generative
        from qa.generate.answerer import generative_answerer
        from qa.generate.llm import open_chat_model

        if live.pipeline is None:
            raise LLMUnavailableError("this service was started without an answer pipeline to generate from")
        with self.llm_lock:
            if live.generative is None:
                if self.chat_model is None:
                    try:
                        self.chat_model = open_chat_model(self.settings)
                    except LLMUnavailableError:
                        self.llm_offered = False
                        raise
                    self.llm_offered = True
                live.generative = generative_answerer(live.pipeline, self.chat_model, self.settings)
            return live.generative

    def reload(self) -> tuple[Manifest | None, Manifest, float]:
        """Load the build named in CURRENT (no rebuild), verify it, then swap it in atomically.

        Returns (previous manifest, new manifest, seconds). On failure nothing changes: the old
        build keeps serving and ReloadError says why. One reload at a time.
        """
        if not self.ready.is_set():
            raise ReloadError("the service is still loading; reload when /readyz is ready")
        with self.reload_lock:
            began = time.perf_counter()
            old = self.live
            previous = old.engine.index.manifest if old else None
            try:
                live = self._build(rebuild=False, embedder=old.engine.embedder if old else None)
            except QAError as exc:
                serving = f"still serving index {previous.build_id}" if previous else "not serving"
                log.error("reload failed (%s): %s", serving, exc.detail)
                raise ReloadError(f"reload failed, {serving}: {exc.detail}") from exc
            self.live = live
            self.error = None
            current = live.engine.index.manifest
            log.info("reloaded: index %s -> %s", previous.build_id if previous else None, current.build_id)
            return previous, current, time.perf_counter() - began

    def await_followers(self, build_id: str, timeout: float) -> list[int]:
        """Wait until every other server process serves ``build_id``; returns those that did not.
        One process has no others (qa.api.workers has)."""
        return []


def get_state(request: Request) -> ServiceState:
    """The service state, as a FastAPI dependency (routes, chat, search, admin)."""
    state: ServiceState = request.app.state.qa
    return state
