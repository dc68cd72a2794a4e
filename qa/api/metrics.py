"""Prometheus metrics: ``GET /metrics`` in the Prometheus text format (OpenMetrics when asked).

An operator needs to see, without reading logs, how much is asked, how fast it is answered,
how often the service turns questions away or refuses them, and which index is serving.
What is measured and where:

- every HTTP request, by route *template* (``/documents/{doc_id}``, never the raw path, so a
  client cannot create series at will), method and status: ``qa_requests_total``, and the time
  to the end of its response (a stream: the whole stream), ``qa_request_duration_seconds``
  (``MetricsMiddleware``, outermost, so 401/413/429 and the last-resort 500 are counted too);
- answers as the client got them (a follow-up counted once, whatever readings were tried):
  ``qa_answers_total{found}``, ``qa_refusals_total{reason}`` (the failed check), and
  ``qa_answer_cache_hits_total`` (``record_answer``, called by the routes);
- admission: ``qa_questions_in_flight``, ``qa_queue_length``, ``qa_queue_wait_seconds`` and
  ``qa_shed_total{reason}``, fed by the admission code through ``set_in_flight``,
  ``set_queue_length``, ``observe_queue_wait`` and ``count_shed``;
- read at scrape time from the service state: the index (``qa_index_info{build_id}``,
  ``qa_index_documents``, ``qa_index_chunks``), readiness, the start-up load time
  (``qa_startup_load_seconds``) and the answer cache's size; plus prometheus-client's own
  ``process_*`` (RSS, CPU, open files) and ``python_gc_*``.

Several worker processes: prometheus-client's multiprocess mode. Start the workers with
``PROMETHEUS_MULTIPROC_DIR`` naming an empty folder; each process then keeps its values in
files there and ``/metrics`` adds them up, whichever worker answers the scrape. Counters and
histograms add up as they are; the gauges here declare how to combine (in-flight and queue
length: summed over live workers). The scrape-time values (index, load time, cache size) and
``process_*`` are then those of the worker that answered; a supervisor must call
``worker_exited(pid)`` for a worker that ends, so its live gauges stop counting.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    multiprocess,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.answer.cache import HIT, CachedAnswerer
from qa.api.security import METRICS_PATH
from qa.schemas import AskResponse

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CLIENT_CLOSED = 499  # no response started: the client went away first (as the access log says)
UNMATCHED = "unmatched"  # the route label of a path no route serves (404)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REFUSAL_CHECKS = frozenset({"subject", "terms", "kind", "support"})  # qa.answer.checks

REQUESTS = Counter(
    "qa_requests", "HTTP requests by route template, method and status.", ["route", "method", "status"]
)
REQUEST_SECONDS = Histogram(
    "qa_request_duration_seconds",
    "Seconds to the end of the response (a stream: the whole stream), by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60),
)
IN_FLIGHT = Gauge(
    "qa_questions_in_flight",
    "Questions being answered now (worker slots in use).",
    multiprocess_mode="livesum",
)
QUEUE_LENGTH = Gauge("qa_queue_length", "Questions waiting for a worker slot.", multiprocess_mode="livesum")
QUEUE_WAIT = Histogram(
    "qa_queue_wait_seconds",
    "Seconds admitted questions waited for a worker slot.",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10),
)
SHED = Counter("qa_shed", "Questions turned away by admission control (503), by reason.", ["reason"])
ANSWERS = Counter("qa_answers", "Answers returned; found=false: refused.", ["found"])
REFUSALS = Counter(
    "qa_refusals",
    "Refusals by the failed check: subject, terms, kind, support (none: no passage found).",
    ["reason"],
)
CACHE_HITS = Counter("qa_answer_cache_hits", "Answers returned from the answer cache (QA_ANSWER_CACHE_SIZE).")


# The interface the admission code feeds (one process's view; summed across workers).
def set_in_flight(count: int) -> None:
    """Questions being answered now by this process."""
    IN_FLIGHT.set(count)


def set_queue_length(count: int) -> None:
    """Questions waiting for a slot in this process."""
    QUEUE_LENGTH.set(count)


def observe_queue_wait(seconds: float) -> None:
    """How long one admitted question waited before its answer started."""
    QUEUE_WAIT.observe(seconds)


def count_shed(reason: str) -> None:
    """One question refused by admission: "wait" (expected wait too long), "deadline", "shutdown"."""
    SHED.labels(reason).inc()


def record_answer(response: AskResponse) -> None:
    """Count one answer as its client gets it: found or refused (and why), from the cache or not."""
    ANSWERS.labels("true" if response.found else "false").inc()
    if not response.found:
        REFUSALS.labels(refusal_check(response.refusal_reason)).inc()
    if HIT in response.timings_ms:
        CACHE_HITS.inc()


def refusal_check(reason: str | None) -> str:
    """The failed check's name from ``refusal_reason`` ("terms: missing: 6G" → "terms"), a
    closed set so that the label never carries question text."""
    check = (reason or "").split(":", 1)[0].strip()
    if check in REFUSAL_CHECKS:
        return check
    return "none" if reason == "no passage retrieved" else "other"


def worker_exited(pid: int) -> None:
    """In multiprocess mode, forget a dead worker's live gauges (call from the supervisor)."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The template of the route that serves this request: the one the router chose (FastAPI
    leaves it in ``scope["route"]``), else found as the router would (first full match; a method
    mismatch names the route too), for a request refused before routing (401, 413, 429);
    ``unmatched`` when none would serve it (404)."""
    chosen = scope.get("route")
    if isinstance(chosen, BaseRoute):
        return _template(chosen)
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return _template(route)
        if match == Match.PARTIAL and partial is None:
            partial = route
    return _template(partial) if partial is not None else UNMATCHED


def flat_routes(routes: Iterable[BaseRoute]) -> list[BaseRoute]:
    """Every route, those of included routers too (FastAPI keeps an included router whole,
    as one entry holding ``original_router``)."""
    flat: list[BaseRoute] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        flat.extend(flat_routes(inner.routes) if inner is not None else [route])
    return flat


def _template(route: BaseRoute) -> str:
    path = str(getattr(route, "path", UNMATCHED))
    return f"{path}/{{path}}" if isinstance(route, Mount) else path


class MetricsMiddleware:
    """Counts every HTTP request by route template, method and status, and times it.

    ``routes`` is the app's route list; it is flattened at the first request, when the app
    has all its routes."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.app_routes = routes
        self._flat: list[BaseRoute] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        before = dict(scope)  # routing rewrites root_path inside a mount: match on the request as it came
        method = scope["method"] if scope["method"] in METHODS else "other"
        status = CLIENT_CLOSED

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except Exception:
            if status == CLIENT_CLOSED:
                status = 500
            raise
        finally:
            if self._flat is None:
                self._flat = flat_routes(self.app_routes)
            route = route_template(self._flat, {**before, "route": scope.get("route")})
            REQUESTS.labels(route, method, str(status)).inc()
            REQUEST_SECONDS.labels(route, method).observe(time.perf_counter() - began)


class StateCollector(Collector):
    """What the service state says at scrape time: the index serving, readiness, load time."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Iterable[Metric]:
        state = self.state
        live = getattr(state, "live", None)
        ready = GaugeMetricFamily("qa_ready", "1 when the model and index are loaded and serving.")
        ready.add_metric([], 1.0 if live is not None else 0.0)
        yield ready
        seconds = getattr(state, "load_seconds", None)
        if seconds is not None:
            yield GaugeMetricFamily(
                "qa_startup_load_seconds",
                "Seconds the start-up load took: model, index (a rebuild if one was needed), warm-up.",
                value=seconds,
            )
        if live is None:
            return
        index = live.engine.index
        manifest = index.manifest
        yield InfoMetricFamily(
            "qa_index",
            "The index build serving (changes on reload).",
            value={"build_id": manifest.build_id, "format_version": str(manifest.format_version)},
        )
        yield GaugeMetricFamily(
            "qa_index_documents", "Documents in the index serving.", value=len(index.documents)
        )
        yield GaugeMetricFamily("qa_index_chunks", "Chunks in the index serving.", value=len(index.chunks))
        if isinstance(live.answerer, CachedAnswerer):
            yield GaugeMetricFamily(
                "qa_answer_cache_entries", "Answers held in the answer cache.", value=live.answerer.stats.size
            )


def render(state: Any, accept: str | None) -> tuple[bytes, str]:
    """The exposition of this process's metrics (or all workers', in multiprocess mode) and the
    state's, in the format the scraper asked for."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)  # type: ignore[arg-type]  # a registry is a collector too
    registry.register(StateCollector(state))
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


router = APIRouter(include_in_schema=False)


@router.get(METRICS_PATH)
def metrics(request: Request) -> Response:
    """Prometheus scrape target; needs an API key when keys are set, unless QA_METRICS_PUBLIC."""
    body, content_type = render(request.app.state.qa, request.headers.get("accept"))
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})


def install(app: FastAPI) -> None:
    """Add ``/metrics`` and the request counter; call after every other middleware, so that it
    sits outermost and sees every response (CORS and the hardening layers' refusals too).

    The ``*_created`` series (a start timestamp beside every counter and histogram) are turned
    off for the process: Prometheus does not need them and they double the series count."""
    disable_created_metrics()
    app.include_router(router)
    app.add_middleware(MetricsMiddleware, routes=app.router.routes)
