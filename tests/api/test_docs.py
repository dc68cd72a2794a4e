"""The docs pages over HTTP: every URL they load is the service's own, public even with keys
set; the chat completions examples of the schema are valid requests that the report answers.
(That the pages render with no outside network is tests/browser/test_docs_offline.py.)"""

from __future__ import annotations

import re

import pytest
from apihelpers import OPEN, ServerThread

from qa.api.chat_models import ChatCompletionRequest
from qa.config import Settings

KEY = "k-docs-5e2f"


@pytest.fixture
def keyed_no_model():
    from qa.api import create_app
    from qa.api.state import ServiceState

    settings = Settings(_env_file=None, api_keys=KEY, **OPEN)
    state = ServiceState(settings, error="no model in this test")
    state.ready.set()
    with ServerThread(create_app(settings, state=state), settings) as server:
        yield server


def loaded_urls(html: str) -> list[str]:
    """What a docs page loads: src/href attributes and the URLs its inline script names."""
    return re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_the_services_own_files(keyed_no_model, client, page):
    response = client.get(keyed_no_model.url + page)  # no key: the docs are public
    assert response.status_code == 200
    urls = loaded_urls(response.text)
    assert urls, response.text
    assert "cdn" not in response.text and "fonts.googleapis" not in response.text
    for url in urls:
        assert url.startswith("/"), url  # same origin
        asset = client.get(keyed_no_model.url + url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url


def test_docs_assets_have_their_types_and_the_rest_stays_closed(keyed_no_model, client):
    url = keyed_no_model.url
    js = client.get(f"{url}/docs/assets/swagger/swagger-ui-bundle.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    css = client.get(f"{url}/docs/assets/swagger/swagger-ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    logo = client.get(f"{url}/redoc/logo-mini.svg")  # where the packaged ReDoc looks for it
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/svg+xml"
    assert client.get(f"{url}/docs/assets/nope.js").status_code == 404
    assert client.get(f"{url}/docs/assets/%2e%2e/%2e%2e/config.py").status_code == 404
    assert client.get(f"{url}/documents").status_code == 401  # opening the docs opened nothing else


def completion_examples(client, url: str) -> dict:
    spec = client.get(f"{url}/openapi.json", headers={"X-API-Key": KEY}).json()
    body = spec["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]["application/json"]
    return body["examples"]


def test_chat_completions_examples_are_valid_requests(keyed_no_model, client):
    examples = completion_examples(client, keyed_no_model.url)
    assert {"zh", "follow-up", "stream"} <= set(examples)
    for name, example in examples.items():
        assert example["summary"], name
        ChatCompletionRequest.model_validate(example["value"])  # raises if the example is wrong


@pytest.mark.slow
def test_chat_completions_examples_are_answered(shared_server, client):
    examples = completion_examples(client, shared_server.url)
    for name, example in examples.items():
        response = client.post(f"{shared_server.url}/v1/chat/completions", json=example["value"])
        assert response.status_code == 200, (name, response.text)
        if example["value"].get("stream"):
            assert response.text.rstrip().endswith("data: [DONE]"), name
            assert '"found":true' in response.text.replace(" ", ""), name
        else:
            assert response.json()["found"] is True, (name, response.json())
