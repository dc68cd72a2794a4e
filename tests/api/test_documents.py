"""Documents through the API, end to end: the real model, real builds, a real server.

A PDF is uploaded with the admin key, its job polled until done, and a question about it is
answered with a citation naming its page, with no restart; deleted, the same question is
refused. Questions asked while an upload rebuilds the index are all answered (from the old
build until the swap). A corpus with a .docx, a .pdf, a PDF without text and an .xlsx answers
from the first two and lists the other two as skipped with their reasons. Bad uploads get 4xx.

The documents are written by tests/data/make_documents.py; the expected answers below are
quoted from the text written there.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from apihelpers import OPEN, ServerThread, loaded_state
from pydantic import SecretStr

from qa.config import Settings

pytestmark = pytest.mark.slow
KEY = "documents-admin-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
UPLOAD_MAX = 64 * 1024
# survey.pdf, page 2: "Its light can be seen from 22 nautical miles away in clear weather."
LIGHT = "How far away can the Merrow Point light be seen?"
LIGHT_SENTENCE = "Its light can be seen from 22 nautical miles away in clear weather."
# canal.md: "The Calder canal has 17 locks between the river and the upper basin."
LOCKS = "How many locks does the Calder canal have?"
# note.docx, under the heading "Members": "Membership grew from 36 to 45 growers during the year."
MEMBERS = "How many growers are members of the Fenwick cooperative?"


def _server(embedder: Any, root: Path, files: list[Path], **overrides: Any) -> ServerThread:
    from qa.api import create_app
    from qa.engine import open_engine

    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for path in files:
        shutil.copy(path, corpus / path.name)
    values = {"api_keys": KEY, "upload_max_bytes": UPLOAD_MAX, "request_timeout_s": 300, **OPEN, **overrides}
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", _env_file=None, **values)
    engine = open_engine(settings, rebuild=True, embedder=embedder)
    state = loaded_state(engine, settings)
    server = ServerThread(create_app(settings, state=state), settings)
    server.corpus = corpus  # type: ignore[attr-defined]
    server.state = state  # type: ignore[attr-defined]
    return server


@pytest.fixture(scope="module")
def library(embedder, documents, tmp_path_factory):
    """A server over a corpus of one Markdown file, with an admin key and a 64 KB upload limit."""
    with _server(embedder, tmp_path_factory.mktemp("library"), [documents["md"]]) as server:
        yield server


def upload(
    client: httpx.Client, server: Any, path: Path, name: str | None = None, **kw: Any
) -> httpx.Response:
    headers = kw.pop("headers", AUTH)
    content = kw.pop("content", None)
    data = path.read_bytes() if content is None else content
    files = {"file": (name or path.name, data, "application/octet-stream")}
    return client.post(f"{server.url}/documents", files=files, headers=headers)


def finish(client: httpx.Client, server: Any, job_id: str, timeout: float = 600) -> dict[str, Any]:
    """Poll GET /jobs/{id} until the job is done or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"{server.url}/jobs/{job_id}", headers=AUTH).json()
        assert job["status"] in ("queued", "running", "done", "failed"), job
        assert 0 <= job["progress"] <= 1
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


def ask(client: httpx.Client, server: Any, question: str) -> dict[str, Any]:
    r = client.post(f"{server.url}/ask", json={"question": question}, headers=AUTH)
    assert r.status_code == 200, r.text[:300]
    return r.json()


def listing(client: httpx.Client, server: Any) -> dict[str, Any]:
    r = client.get(f"{server.url}/documents", headers=AUTH)
    assert r.status_code == 200, r.text[:300]
    return r.json()


def test_an_uploaded_pdf_is_answered_with_its_page_and_refused_once_deleted(library, client, documents):
    assert ask(client, library, LIGHT)["found"] is False  # not in the corpus yet

    r = upload(client, library, documents["pdf"])
    assert r.status_code == 202, r.text
    assert r.json()["doc_id"] == "survey"
    job = finish(client, library, r.json()["job_id"])
    assert job["status"] == "done" and job["progress"] == 1, job
    assert (library.corpus / "survey.pdf").read_bytes() == documents["pdf"].read_bytes()
    survey = {d["doc_id"]: d for d in listing(client, library)["documents"]}["survey"]
    assert survey["pages"] == 2 and survey["source"] == "survey.pdf"

    answer = ask(client, library, LIGHT)
    assert answer["found"] is True and "22" in answer["answer"], answer["answer"]
    cite = answer["citations"][0]
    assert cite["doc_id"] == "survey" and cite["page"] == 2 and LIGHT_SENTENCE in cite["quote"]
    text = client.get(f"{library.url}/documents/survey", headers=AUTH).json()["text"]
    assert text[cite["start"] : cite["end"]] == cite["quote"]

    r = client.delete(f"{library.url}/documents/survey", headers=AUTH)
    assert r.status_code == 202, r.text
    assert finish(client, library, r.json()["job_id"])["status"] == "done"
    assert not (library.corpus / "survey.pdf").exists()
    assert "survey" not in {d["doc_id"] for d in listing(client, library)["documents"]}
    assert ask(client, library, LIGHT)["found"] is False


def test_questions_asked_during_an_upload_triggered_rebuild_all_succeed(library, client, documents):
    results: list[tuple[str, float, float]] = []
    stop = threading.Event()

    def ask_loop() -> None:
        with httpx.Client(timeout=300) as c:
            while not stop.is_set():
                began = time.monotonic()
                try:
                    r = c.post(f"{library.url}/ask", json={"question": LOCKS}, headers=AUTH)
                    ok = r.status_code == 200 and "17" in r.json()["answer"]
                    outcome = "ok" if ok else f"bad {r.status_code}: {r.text[:200]}"
                except httpx.HTTPError as exc:
                    outcome = f"lost {type(exc).__name__}: {exc}"
                results.append((outcome, began, time.monotonic()))

    loops = [threading.Thread(target=ask_loop) for _ in range(2)]
    for thread in loops:
        thread.start()
    try:
        time.sleep(1.0)
        r = upload(client, library, documents["docx"])
        assert r.status_code == 202, r.text
        submitted = time.monotonic()
        job = finish(client, library, r.json()["job_id"])
        swapped = time.monotonic()
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in loops:
            thread.join(300)
    assert job["status"] == "done", job
    failures = [outcome for outcome, _, _ in results if outcome != "ok"]
    assert failures == []
    during = [1 for _, began, ended in results if began >= submitted and ended <= swapped]
    assert len(during) >= 2, (len(results), swapped - submitted)  # questions answered during the build

    answer = ask(client, library, MEMBERS)
    assert answer["found"] is True and "45" in answer["answer"], answer["answer"]
    cite = answer["citations"][0]
    assert cite["doc_id"] == "note" and cite["section"] == "Members" and cite["page"] is None

    r = client.delete(f"{library.url}/documents/note", headers=AUTH)
    assert finish(client, library, r.json()["job_id"])["status"] == "done"


def test_docx_and_pdf_are_answered_unreadable_files_are_listed_with_reasons(embedder, documents, tmp_path):
    files = [documents[role] for role in ("docx", "pdf", "scanned", "xlsx")]
    with _server(embedder, tmp_path, files) as server, httpx.Client(timeout=300) as client:
        body = listing(client, server)
        assert sorted(d["doc_id"] for d in body["documents"]) == ["note", "survey"]
        skipped = {s["source"]: s["reason"] for s in body["skipped"]}
        assert set(skipped) == {"scanned.pdf", "figures.xlsx"}
        assert "no text layer" in skipped["scanned.pdf"]
        assert skipped["figures.xlsx"].startswith("unsupported type .xlsx")
        manifest = client.get(f"{server.url}/manifest", headers=AUTH).json()
        assert manifest["corpus"]["skipped"] == body["skipped"]

        light = ask(client, server, LIGHT)
        assert light["found"] and light["citations"][0]["doc_id"] == "survey"
        assert light["citations"][0]["page"] == 2
        members = ask(client, server, MEMBERS)
        assert members["found"] and members["citations"][0]["doc_id"] == "note"


def _refused(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text[:300]
    detail = response.json()["detail"]
    assert detail
    return str(detail)


def test_bad_uploads_get_a_clear_4xx_and_leave_the_corpus_alone(library, client, documents, tmp_path):
    before = sorted(p.name for p in library.corpus.iterdir() if not p.name.startswith("."))
    pdf = documents["pdf"]
    assert "API key" in _refused(upload(client, library, pdf, headers={}), 401)
    _refused(upload(client, library, pdf, headers={"Authorization": "Bearer wrong"}), 401)
    assert "unsupported file type .xlsx" in _refused(upload(client, library, documents["xlsx"]), 415)
    assert "hidden" in _refused(upload(client, library, pdf, name=".secret.pdf"), 400)
    _refused(upload(client, library, pdf, name=".."), 400)
    assert "empty" in _refused(upload(client, library, pdf, name="empty.txt", content=b""), 400)
    for size in (UPLOAD_MAX + 1, UPLOAD_MAX * 4):  # the route's check, then the body limit's
        too_big = b"x" * size
        assert "QA_UPLOAD_MAX_BYTES" in _refused(
            upload(client, library, pdf, name="big.txt", content=too_big), 413
        )
    assert "no text layer" in _refused(upload(client, library, documents["scanned"]), 422)
    assert "encrypted" in _refused(upload(client, library, documents["encrypted"]), 422)
    _refused(client.post(f"{library.url}/documents", headers=AUTH, data={"nofile": "x"}), 422)
    assert "unknown document id" in _refused(
        client.delete(f"{library.url}/documents/nope", headers=AUTH), 404
    )
    assert "only document" in _refused(client.delete(f"{library.url}/documents/canal", headers=AUTH), 409)
    _refused(client.get(f"{library.url}/jobs/{'0' * 32}", headers=AUTH), 404)
    _refused(client.get(f"{library.url}/jobs/not-a-job", headers=AUTH), 422)
    assert sorted(p.name for p in library.corpus.iterdir() if not p.name.startswith(".")) == before
    assert list((library.corpus / ".incoming").glob("*")) == []  # nothing staged was left behind


def test_without_keys_the_routes_that_change_the_corpus_are_off(library, client, documents):
    from qa.api import create_app

    settings = library.state.settings.model_copy(update={"api_keys": SecretStr("")})
    with ServerThread(create_app(settings, state=library.state), settings) as open_server:
        assert "QA_API_KEYS" in _refused(upload(client, open_server, documents["pdf"], headers={}), 403)
        _refused(client.delete(f"{open_server.url}/documents/canal"), 403)
        _refused(client.get(f"{open_server.url}/jobs/{'0' * 32}"), 403)
        assert client.get(f"{open_server.url}/documents").status_code == 200  # reading stays open


def test_a_name_with_folders_is_stored_as_its_base_name_inside_the_corpus(library, client, documents):
    r = upload(client, library, documents["md"], name="../../escape.md")
    assert r.status_code == 202, r.text
    assert r.json()["doc_id"] == "escape"
    assert finish(client, library, r.json()["job_id"])["status"] == "done"
    assert (library.corpus / "escape.md").is_file()
    assert not (library.corpus.parent.parent / "escape.md").exists()
    r = client.delete(f"{library.url}/documents/escape", headers=AUTH)
    assert finish(client, library, r.json()["job_id"])["status"] == "done"
    assert not (library.corpus / "escape.md").exists()
