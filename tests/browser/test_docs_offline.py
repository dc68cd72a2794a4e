"""``/docs`` and ``/redoc`` render with the network to the outside cut: every script, style
and font comes from the service itself (qa.api.docs), none from a CDN.

The browser aborts every request to another origin than the service and records it; the test
fails if the page even tried one, and checks that the operations of the schema are listed.
"""

from __future__ import annotations

import pytest
from apihelpers import OPEN, ServerThread

from qa.config import Settings

OPERATIONS = ["/ask", "/ask/stream", "/search", "/v1/chat/completions", "/v1/models", "/documents/{doc_id}"]


@pytest.fixture
def docs_server():
    """The service without a model: the docs need only the schema. Keys set, as in production:
    the pages and their assets must still load without one."""
    from qa.api import create_app
    from qa.api.state import ServiceState

    settings = Settings(_env_file=None, api_keys="k-docs-test", **OPEN)
    state = ServiceState(settings, error="no model in this test")
    state.ready.set()
    with ServerThread(create_app(settings, state=state), settings) as server:
        yield server


@pytest.fixture
def offline_page(browser, docs_server):
    """A page that can reach the service's origin and nothing else; ``page.outside`` lists
    what it tried to fetch elsewhere."""
    context = browser.new_context()
    page = context.new_page()
    page.outside = []

    def only_the_service(route) -> None:
        url = route.request.url
        if url.startswith(docs_server.url + "/") or url.startswith("data:"):
            route.continue_()
        else:
            page.outside.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", only_the_service)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    yield page
    context.close()


def test_swagger_ui_renders_offline(offline_page, docs_server):
    from playwright.sync_api import expect

    page = offline_page
    page.goto(docs_server.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("qa")
    paths = page.locator(".opblock .opblock-summary-path")
    expect(paths.first).to_be_visible(timeout=30_000)
    listed = set(paths.all_inner_texts())
    listed = {p.replace("\u200b", "") for p in listed}  # Swagger UI puts break opportunities in paths
    assert set(OPERATIONS) <= listed, listed

    # The chat completions operation offers its request examples.
    block = page.locator(".opblock-post", has=page.locator('[data-path="/v1/chat/completions"]'))
    block.locator(".opblock-summary").first.click()
    examples = block.locator(".examples-select select")
    expect(examples).to_be_visible()
    assert len(examples.locator("option").all_inner_texts()) >= 3
    expect(block.locator(".body-param__example, .highlight-code").first).to_contain_text("qa-extractive")
    expect(page.locator(".swagger-ui .btn.authorize")).to_be_visible()  # keys can be entered

    assert page.outside == [], page.outside
    assert page.errors == [], page.errors


def test_redoc_renders_offline(offline_page, docs_server):
    from playwright.sync_api import expect

    page = offline_page
    page.goto(docs_server.url + "/redoc")
    menu = page.locator("[role=menuitem], .menu-content li")
    expect(page.get_by_text("/v1/chat/completions").first).to_be_attached(timeout=30_000)
    expect(menu.first).to_be_visible()
    text = page.locator("body").inner_text()
    for path in OPERATIONS:
        assert path in text, path
    assert page.outside == [], page.outside
    assert page.errors == [], page.errors
