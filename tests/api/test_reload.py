"""Hot reload under load: `build_index` runs into the served index folder while clients keep
asking, then POST /admin/reload swaps the new build in. No request may fail, requests that
span the swap finish, and /readyz reports the new build id afterwards.

The build is real (the real model over the real report, into a copy of the session index),
so this is the slowest test of the API suite; it runs once.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time

import httpx
import pytest
from apihelpers import copy_index

from qa.config import Settings
from qa.index import build_index

pytestmark = pytest.mark.slow
KEY = "reload-admin-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
QUESTIONS = [
    ("重庆和成都两地直联带宽达到多少?", "9540GB"),  # the report: 两地直联带宽达到9540GB
    ("What is the direct-link bandwidth between Chongqing and Chengdu?", "9540GB"),
]
CLIENTS = 3


def test_reload_under_load_loses_no_request(engine, serve, tmp_path):
    index_dir = copy_index(engine, tmp_path / "index")
    old_build = engine.index.manifest.build_id
    results: list[tuple[object, float, float, str]] = []
    stop = threading.Event()

    with serve(index_dir=index_dir, api_keys=KEY, max_in_flight=CLIENTS + 1, request_timeout_s=300) as server:

        def client_loop(n: int) -> None:
            with httpx.Client(timeout=300) as c:
                i = n
                while not stop.is_set():
                    question, expected = QUESTIONS[i % len(QUESTIONS)]
                    i += 1
                    began = time.monotonic()
                    try:
                        r = c.post(f"{server.url}/ask", json={"question": question}, headers=AUTH)
                        ok = r.status_code == 200 and expected in r.json()["answer"]
                        results.append(
                            (
                                r.status_code if ok else f"bad {r.status_code}",
                                began,
                                time.monotonic(),
                                r.text[:200],
                            )
                        )
                    except httpx.HTTPError as exc:  # a lost request
                        results.append((f"lost {type(exc).__name__}", began, time.monotonic(), str(exc)))

        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(client_loop, n) for n in range(CLIENTS)]
            while len(results) < CLIENTS:  # the clients are up and answering
                time.sleep(0.1)
            manifest = build_index(
                Settings(index_dir=index_dir, _env_file=None), engine.embedder, progress=False
            )
            assert manifest.build_id != old_build
            before = len(results)
            swap_began = time.monotonic()
            with httpx.Client(timeout=300) as admin:
                reload = admin.post(f"{server.url}/admin/reload", headers=AUTH)
            swap_ended = time.monotonic()
            while len(results) < before + 2 * CLIENTS:  # every client asks again on the new build
                time.sleep(0.1)
            stop.set()
            for future in futures:
                future.result()

        assert reload.status_code == 200, reload.text
        body = reload.json()
        assert body["build_id"] == manifest.build_id and body["previous_build_id"] == old_build
        assert body["changed"] is True
        serving = httpx.get(f"{server.url}/manifest", headers={"X-API-Key": KEY}, timeout=30).json()
        assert serving["build_id"] == manifest.build_id

    failures = [r for r in results if r[0] != 200]
    assert not failures, failures[:5]
    during_build_or_swap = [r for r in results if r[1] < swap_ended and r[2] > swap_began - 1.0]
    assert during_build_or_swap, "no request overlapped the swap"
    assert len(results) >= 3 * CLIENTS


def test_concurrent_reloads_are_serialised_and_all_succeed(engine, serve):
    with serve(api_keys=KEY) as server:

        def reload(_: int) -> httpx.Response:
            return httpx.post(f"{server.url}/admin/reload", headers=AUTH, timeout=300)

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            responses = list(pool.map(reload, range(3)))
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert {r.json()["build_id"] for r in responses} == {engine.index.manifest.build_id}
        answer = httpx.post(
            f"{server.url}/ask", json={"question": QUESTIONS[0][0]}, headers=AUTH, timeout=180
        )
        assert answer.status_code == 200 and "9540GB" in answer.json()["answer"]
