"""Driving the chat widget in a page, for the browser tests (imported like tests/api/apihelpers)."""

from __future__ import annotations

from typing import Any

ANSWER_MS = 180_000  # a first answer on a busy 2-core machine, model already loaded


def ask(page: Any, question: str, index: int) -> Any:
    """Type a question, send it with Enter, wait until its streamed answer is complete."""
    from playwright.sync_api import expect

    box = page.locator("qa-chat[floating] textarea")
    box.fill(question)
    box.press("Enter")
    message = page.locator("qa-chat[floating] .msg.assistant").nth(index)
    expect(message).to_have_attribute("data-state", "done", timeout=ANSWER_MS)
    return message
