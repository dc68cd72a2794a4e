"""``GET /metrics``: requests by route template and status, latency, answers, refusals, cache
hits, the index serving; behind the API key unless ``QA_METRICS_PUBLIC``; multiprocess mode.

The counters are the process's (prometheus-client's registry), shared by every app a test
session creates, so each test reads them before and after and checks the difference.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from apihelpers import OPEN, ServerThread
from prometheus_client.parser import text_string_to_metric_families

from qa.api.metrics import refusal_check, route_template
from qa.config import ROOT, Settings

KEY = "k-metrics-0c1d"
FOUND = "重庆和成都两地直联带宽达到多少?"
REFUSED = "重庆有多少个6G基站?"  # the report names no 6G: refused by the terms check


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of an exposition, keyed by name and labels."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(exposition: dict, name: str, **labels: str) -> float:
    return exposition.get((name, frozenset(labels.items())), 0.0)


def scrape(client: httpx.Client, url: str, **headers: str) -> dict:
    response = client.get(f"{url}/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


# --- units ----------------------------------------------------------------------------------------


def test_refusal_reasons_are_a_closed_set():
    assert refusal_check("terms: missing: 6G") == "terms"
    assert refusal_check("support: score 0.41 < 0.55") == "support"
    assert refusal_check("subject: closest 0.2") == "subject"
    assert refusal_check("kind: no figure") == "kind"
    assert refusal_check("no passage retrieved") == "none"
    assert refusal_check("重庆有多少个6G基站") == "other"  # never free text in a label
    assert refusal_check(None) == "other"


def test_route_template_of_a_request_refused_before_routing():
    from qa.api import create_app
    from qa.api.metrics import flat_routes

    routes = flat_routes(create_app(Settings(_env_file=None)).routes)

    def template(method: str, path: str) -> str:
        return route_template(routes, {"type": "http", "method": method, "path": path, "root_path": ""})

    assert template("GET", "/documents/some-id") == "/documents/{doc_id}"
    assert template("POST", "/admin/reload") == "/admin/reload"
    assert template("GET", "/docs/assets/swagger-ui.css") == "/docs/assets/{path}"
    assert template("DELETE", "/ask") == "/ask"  # wrong method: still that route (405)
    assert template("GET", "/wp-login.php") == "unmatched"


def test_metrics_work_across_worker_processes(tmp_path: Path):
    """In multiprocess mode, counters of two processes add up and a dead worker's in-flight
    gauge stops counting once it is marked dead."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    worker = textwrap.dedent(
        """
        import os
        from qa.api import metrics
        metrics.REQUESTS.labels("/ask", "POST", "200").inc(3)
        metrics.set_in_flight(2)
        print(os.getpid())
        """
    )
    pids = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", worker], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        pids.append(int(done.stdout))
    render = textwrap.dedent(
        """
        import sys
        from qa.api import metrics
        for pid in sys.argv[1:]:
            metrics.worker_exited(int(pid))
        print(metrics.render(None, None)[0].decode())
        """
    )

    def rendered(*dead: int) -> dict:
        args = [sys.executable, "-c", render, *map(str, dead)]
        done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return samples(done.stdout)

    both = rendered()
    assert value(both, "qa_requests_total", route="/ask", method="POST", status="200") == 6
    assert value(both, "qa_questions_in_flight") == 4
    one_left = rendered(pids[0])
    assert value(one_left, "qa_questions_in_flight") == 2
    assert value(one_left, "qa_requests_total", route="/ask", method="POST", status="200") == 6


# --- over HTTP -------------------------------------------------------------------------------------


@pytest.fixture
def no_model():
    """The service without a model (it reports not ready): enough for access and routing."""

    def start(**overrides):
        from qa.api import create_app
        from qa.api.state import ServiceState

        settings = Settings(_env_file=None, **{**OPEN, **overrides})
        state = ServiceState(settings, error="no model in this test")
        state.ready.set()
        return ServerThread(create_app(settings, state=state), settings)

    return start


def test_metrics_need_the_key_unless_opened_to_a_scraper(no_model, client):
    with no_model(api_keys=KEY) as server:
        refused = client.get(f"{server.url}/metrics")
        assert refused.status_code == 401 and "API key" in refused.json()["detail"]
        before = scrape(client, server.url, **{"X-API-Key": KEY})
        assert client.get(f"{server.url}/documents/secret-id").status_code == 401
        after = scrape(client, server.url, **{"Authorization": f"Bearer {KEY}"})
        assert value(before, "qa_ready") == 0
    # A refusal by the key layer is counted under the route's template, never the raw path.
    labels = {"route": "/documents/{doc_id}", "method": "GET", "status": "401"}
    assert value(after, "qa_requests_total", **labels) - value(before, "qa_requests_total", **labels) == 1
    assert not any("secret-id" in str(key) for key in after)

    with no_model(api_keys=KEY, metrics_public=True) as server:
        assert client.get(f"{server.url}/metrics").status_code == 200
        assert client.get(f"{server.url}/documents").status_code == 401  # nothing else opened
    with no_model() as server:  # no keys at all: open, like every route
        assert client.get(f"{server.url}/metrics").status_code == 200


def test_metrics_speak_openmetrics_to_a_scraper_that_asks(no_model, client):
    with no_model() as server:
        response = client.get(f"{server.url}/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


@pytest.fixture
def cached(serve, engine):
    """A real server whose answerer is the serving one (warmed up, cached), as `qa serve` has."""
    from qa.answer.cache import serving_answerer
    from qa.answer.pipeline import build_pipeline
    from qa.api.state import Live, ServiceState

    settings = Settings(index_dir=engine.settings.index_dir, _env_file=None, **OPEN)
    state = ServiceState(settings, load_seconds=12.5)
    state.live = Live(engine, serving_answerer(build_pipeline(engine), settings))
    state.ready.set()
    with serve(state=state) as server:
        yield server


@pytest.mark.slow
def test_questions_are_counted_by_route_status_and_outcome(cached, engine, client):
    url = cached.url
    before = scrape(client, url)
    for question in (FOUND, FOUND, REFUSED):  # the second is answered from the cache
        assert client.post(f"{url}/ask", json={"question": question}).status_code == 200
    assert client.post(f"{url}/ask", json={"question": ""}).status_code == 422
    chat = {"messages": [{"role": "user", "content": "电信固定资产投资4年累计超过多少亿元?"}]}
    assert client.post(f"{url}/v1/chat/completions", json=chat).status_code == 200
    assert client.get(f"{url}/documents/no-such-doc").status_code == 404
    after = scrape(client, url)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("qa_requests_total", route="/ask", method="POST", status="200") == 3
    assert grew("qa_requests_total", route="/ask", method="POST", status="422") == 1
    assert grew("qa_requests_total", route="/v1/chat/completions", method="POST", status="200") == 1
    assert grew("qa_requests_total", route="/documents/{doc_id}", method="GET", status="404") == 1
    assert grew("qa_requests_total", route="/metrics", method="GET", status="200") == 1  # the first scrape
    assert not any("no-such-doc" in str(key) for key in after)
    assert grew("qa_request_duration_seconds_count", route="/ask", method="POST") == 4
    assert grew("qa_answers_total", found="true") == 3
    assert grew("qa_answers_total", found="false") == 1
    assert grew("qa_refusals_total", reason="terms") == 1
    assert grew("qa_answer_cache_hits_total") == 1
    assert value(after, "qa_questions_in_flight") == 0  # every slot given back

    manifest = engine.index.manifest
    info = {"build_id": manifest.build_id, "format_version": str(manifest.format_version)}
    assert value(after, "qa_index_info", **info) == 1
    assert value(after, "qa_index_documents") == len(engine.index.documents) == 1
    assert value(after, "qa_index_chunks") == len(engine.index.chunks)
    assert value(after, "qa_ready") == 1
    assert value(after, "qa_startup_load_seconds") == 12.5
    assert value(after, "qa_answer_cache_entries") >= 2  # the warm-up question and the two asked
    assert value(after, "process_resident_memory_bytes") > 0


@pytest.mark.slow
def test_busy_refusals_are_counted_as_shed(serve, client):
    """A question refused because its expected wait is over QA_MAX_WAIT_MS counts in
    qa_shed_total{reason="wait"}, and the held slot shows in qa_questions_in_flight."""
    with serve(max_in_flight=1, max_wait_ms=1) as server:
        before = scrape(client, server.url)
        guard = server.app.state.qa_guard
        guard.service_s = 1.0  # answers take a second: a question behind the held slot waits ~1 s
        ticket = guard.reserve()  # the only slot, held
        try:
            busy = client.post(f"{server.url}/ask", json={"question": FOUND})
            held = scrape(client, server.url)
        finally:
            ticket.drop_if_unstarted()
        after = scrape(client, server.url)
    assert busy.status_code == 503
    assert value(after, "qa_shed_total", reason="wait") - value(before, "qa_shed_total", reason="wait") == 1
    labels = {"route": "/ask", "method": "POST", "status": "503"}
    assert value(after, "qa_requests_total", **labels) - value(before, "qa_requests_total", **labels) == 1
    assert value(held, "qa_questions_in_flight") == 1
    assert value(after, "qa_questions_in_flight") == 0
