"""The chat widget in a real headless Chromium, embedded in a page from another origin.

The host page is served from its own port (so every call to the API is cross-origin and
goes through CORS for real) and carries hostile CSS that would hide every button and
restyle every element if the widget's Shadow DOM did not isolate it. The API is the real
service over the session index. Expected answers come from the report: the
Chongqing–Chengdu direct link is 9540GB (section "筑基强网,基础设施建设持续升级"), fixed
telecom investment over four years exceeds 670亿元, rural investment exceeds 50亿元.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apihelpers import OPEN, ServerThread, loaded_state
from widgethelpers import ANSWER_MS, ask

from qa.config import Settings

LINK_ZH = "重庆和成都两地直联带宽达到多少?"
LINK_SECTION = "筑基强网,基础设施建设持续升级"
INVEST_ZH = "电信固定资产投资4年累计超过多少亿元?"

HOST_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>A customer's page</title>
<style>
  /* Hostile styles: none of this may reach the widget. */
  * {{ color: #ff00ff !important; font-family: serif !important; letter-spacing: 3px !important; }}
  button {{ display: none !important; }}
  textarea, div, section {{ border: 6px dashed lime !important; background: yellow !important; }}
  body {{ font-size: 30px; }}
</style></head>
<body>
  <h1>某企业官网 · A customer's site</h1>
  <p>This page lives on another origin than the question-answering service.</p>
  <qa-chat lang="en" class="inline-en" style="display:block;height:200px;width:380px"></qa-chat>
  <script src="{api}/widget.js" data-api="{api}" data-lang="zh"></script>
</body></html>
"""

# Records each answer's state changes (as old values: records are delivered in batches).
WATCH_STATES = """() => {
  window.__states = [];
  const root = document.querySelector('qa-chat[floating]').shadowRoot;
  new MutationObserver((records) => {
    for (const r of records) window.__states.push(r.oldValue);
  }).observe(root, {subtree: true, attributeFilter: ['data-state'], attributeOldValue: true});
}"""


@pytest.fixture
def api(engine, host_site):
    """The real service, allowing only the host site's origin."""
    from qa.api import create_app

    settings = Settings(
        index_dir=engine.settings.index_dir,
        _env_file=None,
        cors_origins=[host_site.origin],
        request_timeout_s=150,
        **OPEN,
    )
    with ServerThread(create_app(settings, state=loaded_state(engine, settings))) as server:
        yield server


@pytest.mark.slow
def test_widget_streams_cited_answers_and_follow_ups(browser, host_site, api, tmp_path: Path):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page_errors: list[str] = []
    cors_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))

    def on_console(message) -> None:
        if message.type == "error" and "CORS" in message.text:
            cors_errors.append(message.text)

    page.on("console", on_console)
    page.goto(host_site.page("host.html", HOST_PAGE.format(api=api.url)))

    # The launcher survives `button { display: none !important }`: the Shadow DOM holds.
    launcher = page.locator("qa-chat[floating] .launcher")
    expect(launcher).to_be_visible()
    expect(launcher).to_have_attribute("aria-label", "打开报告问答")  # UI text follows data-lang
    color = launcher.evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(255, 255, 255)"
    expect(page.locator("qa-chat.inline-en h2")).to_have_text("Ask the report")  # inline element, English

    launcher.click()
    expect(page.locator("qa-chat[floating] textarea")).to_be_focused()
    page.evaluate(WATCH_STATES)

    # 1. A network failure shows an error with a retry button; retrying gets the answer.
    page.route("**/ask/stream", lambda route: route.abort())
    box = page.locator("qa-chat[floating] textarea")
    box.fill(LINK_ZH)
    box.press("Enter")
    first = page.locator("qa-chat[floating] .msg.assistant").nth(0)
    expect(first).to_have_attribute("data-state", "error", timeout=30_000)
    expect(first.locator(".notice.error")).to_contain_text("无法连接到问答服务")
    page.unroute("**/ask/stream")
    first.locator("button.retry").click()
    expect(first).to_have_attribute("data-state", "done", timeout=ANSWER_MS)

    # 2. The answer streamed in (several paints before "done"), short answer up front.
    states = page.evaluate("window.__states")  # loading -> streaming (citations, deltas...) -> done
    assert "loading" in states and states.count("streaming") >= 3, states
    expect(first.locator(".short")).to_have_text("9540GB")
    expect(first.locator(".answer")).to_contain_text("两地直联带宽达到9540GB")
    # Nothing the page sets on the <qa-chat> element is inherited inside (color, font, spacing).
    color, spacing, font = first.locator(".answer").evaluate(
        "el => { const s = getComputedStyle(el); return [s.color, s.letterSpacing, s.fontFamily]; }"
    )
    assert (color, spacing) == ("rgb(31, 35, 40)", "normal") and not font.startswith("serif"), font

    # 3. Citation [1] opens the passage: section title, the quote highlighted in its chunk.
    chip = first.locator('.answer .chip[data-n="1"]')
    chip.click()
    passage = first.locator(".passage")
    expect(passage).to_be_visible()
    expect(passage.locator(".passage-section")).to_have_text(LINK_SECTION)
    mark = passage.locator("mark")
    expect(mark).to_contain_text("两地直联带宽达到9540GB")
    chunk_text = passage.locator(".passage-text").inner_text()
    assert len(chunk_text) > len(mark.inner_text()) and mark.inner_text() in chunk_text
    expect(chip).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=str(tmp_path / "widget-citation.png"))

    # Esc closes the passage first (focus back on the chip), then the panel.
    page.keyboard.press("Escape")
    expect(passage).to_have_count(0)
    expect(chip).to_be_focused()

    # 4. A follow-up is answered from the report, using the conversation.
    second = ask(page, INVEST_ZH, 1)
    expect(second.locator(".short")).to_have_text("超670亿元")  # the report: "4年累计超670亿元"
    third = ask(page, "那农村呢?", 2)
    expect(third.locator(".short")).to_have_text("超50亿元")
    expect(third.locator(".understood")).to_contain_text("农村")
    expect(third.locator(".answer")).to_contain_text("农村地区信息基础设施建设")
    third.locator('.answer .chip[data-n="1"]').click()
    expect(third.locator(".passage mark")).to_contain_text("累计投入超50亿元")

    # 5. A question the report does not answer is refused, nearest passages marked as such.
    fourth = ask(page, "重庆有多少个6G基站?", 3)
    expect(fourth.locator(".notice.refusal")).to_contain_text("文档没有回答这个问题")
    expect(fourth.locator(".sources h3")).to_contain_text("并不回答")
    expect(fourth.locator(".short")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "widget-conversation.png"))

    page.keyboard.press("Escape")
    expect(page.locator("qa-chat[floating] .panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    assert not page_errors, page_errors
    assert not cors_errors, cors_errors
    assert (tmp_path / "widget-citation.png").stat().st_size > 10_000
    page.close()


def test_widget_is_refused_by_an_origin_not_allowed(browser, host_site):
    """A page from an origin missing from QA_CORS_ORIGINS cannot use the API (no model call)."""
    from playwright.sync_api import expect

    from qa.api import create_app
    from qa.api.state import ServiceState

    settings = Settings(_env_file=None, cors_origins=["http://allowed.example"], **OPEN)
    state = ServiceState(settings, error="not needed")
    state.ready.set()
    with ServerThread(create_app(settings, state=state)) as server:
        page = browser.new_page()
        page.goto(host_site.page("other.html", HOST_PAGE.format(api=server.url)))
        page.locator("qa-chat[floating] .launcher").click()
        box = page.locator("qa-chat[floating] textarea")
        box.fill(LINK_ZH)
        box.press("Enter")
        message = page.locator("qa-chat[floating] .msg.assistant").nth(0)
        expect(message).to_have_attribute("data-state", "error", timeout=30_000)
        expect(message.locator("button.retry")).to_be_visible()
        page.close()
