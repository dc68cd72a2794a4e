"""Shared fixtures. Slow fixtures load the real model and build a real index once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.config import ROOT, Settings

DATA = Path(__file__).parent / "data"
CORPUS = ROOT / "corpus"
REPORT = CORPUS / "cq-ict-14th-five-year-review.txt"
DOC_ID = "cq-ict-14th-five-year-review"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for unit tests: the real corpus, a throw-away index folder."""
    return Settings(index_dir=tmp_path / "index", _env_file=None)


@pytest.fixture(scope="session")
def embedder():
    from qa.engine import load_embedder

    return load_embedder(Settings(_env_file=None))


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder):
    """The real model and the real report, indexed once into a temporary folder."""
    from qa.engine import open_engine

    index_dir = tmp_path_factory.mktemp("index")
    return open_engine(Settings(index_dir=index_dir, _env_file=None), rebuild=True, embedder=embedder)


LLM_05B = ROOT / "models" / "llm" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


@pytest.fixture(scope="session")
def llm_path() -> Path:
    """The 0.5B GGUF the generative tests run (the users' default is the 1.5B); skipped, with what
    to run, when llama-cpp-python or the model is not installed."""
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("needs llama-cpp-python: run `make install-llm`")
    if not LLM_05B.is_file():
        pytest.skip(f"needs {LLM_05B.name}: run `make llm`")
    return LLM_05B


def _make_documents():  # tests/data/make_documents.py: a script, not a package module
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_documents", DATA / "make_documents.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def make_documents():
    """tests/data/make_documents.py: the fixtures' writers and the text they write."""
    return _make_documents()


@pytest.fixture(scope="session")
def documents(make_documents, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The PDF / Word / unreadable fixtures of tests/data/make_documents.py, written once."""
    return make_documents.write_all(tmp_path_factory.mktemp("documents"))
