"""The demo page (``GET /``) in a real headless Chromium at phone width, and the widget's
conversation surviving a reload (sessionStorage) until "new conversation".

390 × 844 is a current phone's CSS viewport; the page is loaded as a phone would (mobile
viewport, touch), so a page wider than the screen would show as a wider layout viewport.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apihelpers import OPEN, ServerThread, loaded_state
from widgethelpers import ask

from qa.config import Settings

PHONE = {"width": 390, "height": 844}
QUESTION = "重庆和成都两地直联带宽达到多少?"
FOLLOW_UP = "电信固定资产投资4年累计超过多少亿元?"

# Every element whose box sticks out of the viewport sideways and is not inside a scrolling box.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const node of document.querySelectorAll('body *')) {
    const box = node.getBoundingClientRect();
    if (box.width === 0 || (box.right <= width + 0.5 && box.left >= -0.5)) continue;
    let up = node.parentElement, scrolls = false;
    while (up && up !== document.body) {
      if (getComputedStyle(up).overflowX !== 'visible') { scrolls = true; break; }
      up = up.parentElement;
    }
    const span = `${Math.round(box.left)}..${Math.round(box.right)}`;
    if (!scrolls) out.push(`${node.tagName.toLowerCase()}.${node.className} ${span}`);
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, innerWidth, out};
}"""


def phone_page(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3)
    return context, context.new_page()


def inside(box: dict | None, width: int, height: int) -> bool:
    if not box:
        return False
    right, bottom = box["x"] + box["width"], box["y"] + box["height"]
    return box["x"] >= 0 and box["y"] >= 0 and right <= width and bottom <= height


@pytest.fixture
def static_server():
    """The service without a model: enough for the page, the widget script and its layout."""
    from qa.api import create_app
    from qa.api.state import ServiceState

    settings = Settings(_env_file=None, **OPEN)
    state = ServiceState(settings, error="no model in this test")
    state.ready.set()
    with ServerThread(create_app(settings, state=state)) as server:
        yield server


def test_demo_page_fits_a_phone(browser, static_server, tmp_path: Path):
    from playwright.sync_api import expect

    context, page = phone_page(browser)
    page.goto(static_server.url + "/")
    launcher = page.locator("qa-chat[floating] .launcher")
    expect(launcher).to_be_visible()

    layout = page.evaluate(OVERFLOWING)
    assert layout["scrollWidth"] <= PHONE["width"], layout  # no horizontal scrolling
    assert layout["innerWidth"] == PHONE["width"], layout  # the layout viewport did not widen
    assert not layout["out"], layout["out"]
    # The launcher sits in the screen's corner, where a thumb reaches it, without scrolling.
    assert inside(launcher.bounding_box(), **PHONE), launcher.bounding_box()

    launcher.tap()
    panel = page.locator("qa-chat[floating] .panel")
    expect(panel).to_be_visible()
    assert inside(panel.bounding_box(), **PHONE), panel.bounding_box()
    expect(page.locator("qa-chat[floating] textarea")).to_be_visible()
    assert page.evaluate(OVERFLOWING)["scrollWidth"] <= PHONE["width"]
    page.screenshot(path=str(tmp_path / "phone.png"))

    # The inline widget and the code samples fit too (the samples scroll inside their own box).
    page.locator("qa-chat[floating] .close").tap()
    inline = page.locator("qa-chat.inline")
    inline.scroll_into_view_if_needed()
    box = inline.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    context.close()


@pytest.fixture
def api(engine):
    from qa.api import create_app

    settings = Settings(index_dir=engine.settings.index_dir, _env_file=None, request_timeout_s=150, **OPEN)
    with ServerThread(create_app(settings, state=loaded_state(engine, settings))) as server:
        yield server


@pytest.mark.slow
def test_conversation_survives_a_reload_until_a_new_one(browser, api):
    from playwright.sync_api import expect

    context, page = phone_page(browser)
    page.goto(api.url + "/")
    page.locator("qa-chat[floating] .launcher").tap()
    first = ask(page, QUESTION, 0)
    expect(first.locator(".short")).to_have_text("9540GB")
    ask(page, FOLLOW_UP, 1)

    page.reload()
    widget = page.locator("qa-chat[floating]")
    # Still open, both turns there, answers and citations intact, without asking again.
    expect(widget.locator(".panel")).to_be_visible()
    expect(widget.locator(".msg.user")).to_have_text([QUESTION, FOLLOW_UP])
    answers = widget.locator(".msg.assistant")
    expect(answers).to_have_count(2)
    expect(answers.nth(0)).to_have_attribute("data-state", "done")
    expect(answers.nth(0).locator(".short")).to_have_text("9540GB")
    answers.nth(0).locator('.answer .chip[data-n="1"]').tap()
    expect(answers.nth(0).locator(".passage mark")).to_contain_text("两地直联带宽达到9540GB")
    # The conversation goes on from where it was: a follow-up is resolved with the kept history.
    third = ask(page, "那农村呢?", 2)
    expect(third.locator(".short")).to_have_text("超50亿元")
    # The inline widget on the same page keeps its own (empty) conversation, and another tab
    # (its own sessionStorage) starts afresh.
    expect(page.locator("qa-chat.inline .msg.user")).to_have_count(0)
    other = context.new_page()
    other.goto(api.url + "/")
    expect(other.locator("qa-chat[floating] .launcher")).to_be_visible()
    expect(other.locator("qa-chat[floating] .panel")).to_be_hidden()
    expect(other.locator("qa-chat[floating] .msg.user")).to_have_count(0)
    other.close()

    widget.locator(".reset").tap()
    expect(widget.locator(".msg.user")).to_have_count(0)
    page.reload()
    expect(page.locator("qa-chat[floating] .msg.user")).to_have_count(0)
    expect(page.locator("qa-chat[floating] .msg.welcome")).to_have_count(1)
    context.close()


@pytest.mark.slow
def test_demo_page_lists_the_documents_and_the_skipped_files(browser, api):
    import httpx
    from playwright.sync_api import expect

    listing = httpx.get(f"{api.url}/documents", timeout=30).json()
    context, page = phone_page(browser)
    page.goto(api.url + "/")
    rows = page.locator("#documents tbody tr")
    expect(rows).to_have_count(len(listing["documents"]))
    first = listing["documents"][0]
    expect(rows.nth(0).locator("td")).to_have_text(
        [first["doc_id"], first["title"], first["source"], str(first["chars"]), "—"]
    )
    expected = [f"{s['source']}: {s['reason']}" for s in listing["skipped"]]
    expect(page.locator("#skipped li")).to_have_text(expected)
    assert page.evaluate(OVERFLOWING)["scrollWidth"] <= PHONE["width"]
    context.close()
