"""A browser's fetch() of an oversized body reads the 413 and its {"detail"} (qa.api.middleware)."""

from __future__ import annotations

from apihelpers import ServerThread

from qa.config import Settings


def test_fetch_of_a_2_mb_body_reads_the_413(browser):
    from qa.api import create_app
    from qa.api.state import ServiceState

    settings = Settings(_env_file=None, rate_limit_per_min=0)
    state = ServiceState(settings, error="not loaded (test)")  # refused before any route: no model
    state.ready.set()
    with ServerThread(create_app(settings, state=state), settings) as server:
        page = browser.new_page()
        try:
            page.goto(f"{server.url}/healthz")
            result = page.evaluate(
                """async () => {
                    const body = JSON.stringify({question: "a".repeat(2 * 1024 * 1024)});
                    const r = await fetch("/ask", {method: "POST", body,
                                                   headers: {"Content-Type": "application/json"}});
                    return {status: r.status, body: await r.json()};
                }"""
            )
        finally:
            page.close()
    assert result["status"] == 413
    assert "QA_MAX_BODY_BYTES" in result["body"]["detail"]
