"""The widget with ``data-answerer="generative"``, the real 0.5B model behind the real service:
the model's text streams into the panel as a draft, then the checked answer replaces it."""

from __future__ import annotations

import pytest
from apihelpers import OPEN, ServerThread, loaded_state
from widgethelpers import ask

from qa.config import Settings

pytestmark = [pytest.mark.slow, pytest.mark.llm]

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>generative widget</title></head>
<body><script src="{api}/widget.js" data-api="{api}" data-lang="zh" data-answerer="generative"
  data-open="true"></script></body></html>
"""

# Records every draft text painted while the answer streams (before its sources are known).
WATCH_DRAFTS = """() => {
  window.__drafts = [];
  const root = document.querySelector('qa-chat[floating]').shadowRoot;
  new MutationObserver(() => {
    const draft = root.querySelector('.answer.draft');
    if (draft && draft.textContent) window.__drafts.push(draft.textContent);
  }).observe(root, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture
def generative_api(engine, host_site, llm_path):
    from qa.api import create_app

    settings = Settings(
        index_dir=engine.settings.index_dir,
        _env_file=None,
        cors_origins=[host_site.origin],
        request_timeout_s=170,
        llm_model_path=llm_path,
        **OPEN,
    )
    with ServerThread(create_app(settings, state=loaded_state(engine, settings))) as server:
        yield server


def test_widget_streams_a_generated_draft_then_the_checked_answer(browser, host_site, generative_api):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    requests: list[str] = []
    page.on(
        "request", lambda r: requests.append(r.post_data or "") if r.url.endswith("/ask/stream") else None
    )
    page.goto(host_site.page("gen.html", PAGE.format(api=generative_api.url)))
    expect(page.locator("qa-chat[floating] textarea")).to_be_visible()
    page.evaluate(WATCH_DRAFTS)

    answer = ask(page, "重庆和成都两地直联带宽达到多少?", 0)

    assert any('"answerer":"generative"' in body.replace(" ", "") for body in requests), requests
    drafts = page.evaluate("window.__drafts")
    assert drafts, "no streamed draft was painted before the answer was done"
    final = answer.locator(".answer")
    expect(final).not_to_have_class("answer draft")  # replaced by the checked answer
    shown = f"{answer.locator('.short').all_inner_texts()} {final.inner_text()}"
    assert "9540GB" in shown, shown
    assert answer.locator(".sources, .chip").count() > 0  # the checked answer carries its sources
    assert not errors, errors
    page.close()
