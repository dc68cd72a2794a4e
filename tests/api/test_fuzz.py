"""Property-based fuzzing of the HTTP API from its own OpenAPI schema (schemathesis + hypothesis).

Every operation in the schema gets generated requests, both fitting the schema and
deliberately not (wrong types, missing fields, odd strings incl. NUL), sent to a real server
over loopback. No response may be a 500 (or any 5xx other than a deliberate 503/504 with
``{"detail"}``), and every error response carries ``{"detail"}`` (OpenAI's ``{"error"}`` under
/v1) and a request id. Bounded: a few dozen examples per operation, deterministic, no shrinking,
so CI stays well under 2 min.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from apihelpers import ServerThread, loaded_state
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from qa.api.jobs import JobOut, JobQueue, JobStatus, Work
from qa.config import Settings

KEY = "fuzz-admin-key"
MAX_EXAMPLES = 25


def _settings(index_dir: Path) -> Settings:
    # keys set so that the admin routes are reachable too; a slow answer is a 504, not a hang
    return Settings(
        index_dir=index_dir, _env_file=None, api_keys=KEY, rate_limit_per_min=0, request_timeout_s=60
    )


class _HeldJobs(JobQueue):
    """Jobs accepted and never run: a fuzzed upload must not rebuild the session index."""

    def submit(self, kind: str, doc_id: str, work: Work) -> JobOut:
        job = JobOut(
            job_id="0" * 32, kind=kind, doc_id=doc_id, status=JobStatus.QUEUED, progress=0, created_at=""
        )
        return job


@pytest.fixture(scope="module")
def fuzz_server(engine, tmp_path_factory) -> Iterator[ServerThread]:
    from qa.api import create_app

    # a corpus folder of its own: an accepted upload is staged there, never in the repository's
    corpus = tmp_path_factory.mktemp("fuzz-corpus")
    config = _settings(engine.settings.index_dir).model_copy(update={"corpus_dir": corpus})
    app = create_app(config, state=loaded_state(engine, config))
    app.state.qa_jobs = _HeldJobs(tmp_path_factory.mktemp("fuzz-jobs"))
    with ServerThread(app) as server:
        yield server


def _schema() -> schemathesis.schemas.BaseSchema:
    """The app's own schema, built without loading anything (pytest 9 cannot use schemathesis'
    lazy fixture loader, so the schema comes from the app object and the URL from the fixture)."""
    from qa.api import create_app

    loaded = schemathesis.openapi.from_dict(create_app(_settings(Path("unused"))).openapi())
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
        no_shrink=True,
        allow_x00=True,
    )
    return loaded


schema = _schema()


def _header(response, name: str) -> str:
    """schemathesis responses hold each header as a list of values."""
    values = response.headers.get(name) or [""]
    return values[0] if isinstance(values, list) else str(values)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error(case, fuzz_server):
    response = case.call(base_url=fuzz_server.url, headers={"X-API-Key": KEY}, timeout=180)
    status = response.status_code
    assert status != 500, f"{case.method} {case.path}: {response.text[:500]}"
    assert status < 500 or status in (503, 504), f"{status} {response.text[:300]}"
    assert _header(response, "x-request-id")
    if status >= 400 and _header(response, "content-type").startswith("application/json"):
        if case.path.startswith("/v1/"):  # OpenAI's shape there (qa.api.openai_errors)
            assert response.json()["error"]["message"], response.text[:300]
        else:
            assert "detail" in response.json(), response.text[:300]


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_error_without_a_key(case, fuzz_server):
    """The same requests without a key: refused (401/403) or public, never a 5xx."""
    response = case.call(base_url=fuzz_server.url, timeout=180)
    assert response.status_code < 500 or response.status_code in (503, 504), response.text[:300]
    if case.path not in {"/healthz", "/readyz", "/", "/widget.js", "/openapi.json"}:
        assert response.status_code in (400, 401, 403, 404, 405, 422), (case.path, response.status_code)
