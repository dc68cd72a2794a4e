"""Evaluation over HTTP against the real service (slow: real model, index, uvicorn server).

The acceptance check of the evaluation issue: ``qa eval --url`` against a running service
gives the same answers and answer metrics as the in-process run. The server runs in a
thread on a free loopback port and loads the index the session ``engine`` fixture built.
"""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from typer.testing import CliRunner

from qa.config import SearchMode, Settings
from qa.eval.backends import HttpBackend, ServiceError
from qa.eval.runner import run_eval
from qa.loadtest import free_port

pytestmark = pytest.mark.slow

ANSWER_METRICS = (
    "answer_accuracy",
    "short_exact_match",
    "citation_precision",
    "citation_recall",
    "refusal_precision",
    "refusal_recall",
    "refusal_f1",
    "hit_at_1",
    "hit_at_3",
    "hit_at_5",
    "mrr",
)


def _post(url: str, **kwargs) -> httpx.Response:
    """POST, waiting out the service's rate limit (429 + Retry-After) for at most a minute: the
    server is shared by the tests of this module and keeps its default limits on purpose."""
    deadline = time.monotonic() + 60
    while True:
        response = httpx.post(url, timeout=60, **kwargs)
        if response.status_code != 429 or time.monotonic() > deadline:
            return response
        time.sleep(float(response.headers.get("Retry-After", "1")))


@pytest.fixture(scope="module")
def service(engine):
    import uvicorn

    from qa.api import create_app

    settings = Settings(index_dir=engine.settings.index_dir, rebuild_on_start=False, _env_file=None)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, wait=True), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 600
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start within 600 s"
        time.sleep(0.5)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def test_http_eval_matches_the_in_process_eval(service, inprocess_backend, mixed_gold):
    assert len(mixed_gold) == 40
    local = run_eval(mixed_gold, inprocess_backend, [SearchMode.HYBRID], progress=False)
    remote = run_eval(mixed_gold, HttpBackend(service), [SearchMode.HYBRID], progress=False)
    assert remote.index == local.index is not None
    assert [r.error for r in remote.results] == [None] * 40
    for mine, theirs in zip(local.results, remote.results, strict=True):
        assert theirs.id == mine.id
        assert (theirs.answer, theirs.short_answer, theirs.found) == (
            mine.answer,
            mine.short_answer,
            mine.found,
        )
        assert theirs.citations == mine.citations
        assert theirs.retrieved == mine.retrieved
        assert theirs.failures == mine.failures
    mine, theirs = local.summary["hybrid"], remote.summary["hybrid"]
    for a, b in [
        (mine.overall, theirs.overall),
        *((mine.by_language[k], theirs.by_language[k]) for k in ("zh", "en")),
    ]:
        assert {m: getattr(b, m) for m in ANSWER_METRICS} == {m: getattr(a, m) for m in ANSWER_METRICS}


def test_cli_eval_over_http_compares_modes_and_writes_every_report(
    service, inprocess_backend, gold_items, tmp_path
):
    from qa.cli import app

    paths = {k: tmp_path / f"eval.{k}" for k in ("json", "html")}
    result = CliRunner().invoke(
        app,
        [
            "eval", "--url", service, "--compare", "--limit", "4", "--no-progress",
            "--json", str(paths["json"]), "--html", str(paths["html"]),
            "--ragas", str(tmp_path / "ragas.jsonl"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for header in ("Overall", "By language", "By type", "dense", "bm25", "hybrid", "hit@5"):
        assert header in result.output
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["modes"] == ["dense", "bm25", "hybrid"] and data["backend"] == service
    # The mode travels in the request: each mode's passages are what that mode retrieves here.
    for row in data["results"]:
        expected = inprocess_backend.search(row["question"], 5, SearchMode(row["mode"]))
        assert [p["chunk_id"] for p in row["retrieved"]] == [h.chunk_id for h in expected]
    assert "<svg" in paths["html"].read_text(encoding="utf-8")
    for mode in ("dense", "bm25", "hybrid"):
        lines = (tmp_path / f"ragas.{mode}.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["user_input"] for line in lines] == [g.question for g in gold_items[:4]]


def test_search_endpoint_returns_the_retrievers_hits(service, inprocess_backend):
    question = "重庆和成都两地直联带宽达到多少?"
    for mode in SearchMode:
        response = _post(f"{service}/search", json={"question": question, "top_k": 3, "mode": mode.value})
        assert response.status_code == 200
        hits = response.json()["hits"]
        assert len(hits) == 3
        assert [h["chunk_id"] for h in hits] == [
            h.chunk_id for h in inprocess_backend.search(question, 3, mode)
        ]
    assert any("9540GB" in h["text"] for h in hits)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"question": ""},
        {"question": "   "},
        {"question": "带宽", "top_k": 0},
        {"question": "带宽", "top_k": 21},
        {"question": "带宽", "mode": "fuzzy"},
        {"question": "带宽", "extra": 1},
        {"question": "带" * 2001},
        {"question": "a\x00b"},
    ],
)
def test_search_endpoint_rejects_bad_input_with_422(service, body):
    response = _post(f"{service}/search", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_search_endpoint_rejects_a_non_json_body(service):
    response = _post(f"{service}/search", content=b"not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"]


def test_http_backend_reports_an_unreachable_service():
    with pytest.raises(ServiceError, match="cannot reach the service"):
        HttpBackend(f"http://127.0.0.1:{free_port()}", ready_timeout=1)
