"""The service state's decision whether an LLM is offered (pure logic: no model, no server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.api.state import Live, ServiceState
from qa.config import Settings
from qa.errors import LLMUnavailableError


def _state(model_path: Path) -> ServiceState:
    return ServiceState(Settings(_env_file=None, llm_model_path=model_path, llm_base_url=""))


def test_no_model_file_no_llm_offered(tmp_path):
    assert _state(tmp_path / "absent.gguf").offers_llm() is False


def _offered(tmp_path: Path) -> tuple[ServiceState, Path]:
    """A state whose LLM file exists (a placeholder, never loaded): offered."""
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python: run `make install-llm`")
    model = tmp_path / "model.gguf"
    model.write_bytes(b"not really a model")
    state = _state(model)
    assert state.offers_llm() is True
    return state, model


def test_the_decision_is_made_once_not_on_every_request(tmp_path):
    state, model = _offered(tmp_path)
    model.unlink()  # gone from the disk: the loaded state's decision stands until the LLM is loaded
    assert state.offers_llm() is True


def test_an_llm_that_fails_to_load_is_no_longer_offered(tmp_path):
    state, model = _offered(tmp_path)
    model.unlink()
    live = Live(engine=object(), answerer=object(), pipeline=object())  # type: ignore[arg-type]
    with pytest.raises(LLMUnavailableError, match="make llm"):
        state._generative(live)
    assert state.offers_llm() is False
