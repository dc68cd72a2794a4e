"""The command line: search output, error translation, and one real end-to-end run.

The fast tests run the Typer app in-process with a fake embedder; the slow one runs the
installed ``qa`` script as a subprocess with the real model over the session index.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import FakeEmbedder
from typer.testing import CliRunner

from qa.cli import app
from qa.config import ROOT, get_settings

HIT_KEYS = {"chunk_id", "doc_id", "title", "section", "text", "start", "end", "score"}
ZH_QUESTION = "重庆和成都的互联网直联带宽有多大?"
EN_QUESTION = "What is the direct-link bandwidth between Chongqing and Chengdu?"
REPORT_TEXT = (ROOT / "corpus" / "cq-ict-14th-five-year-review.txt").read_text(encoding="utf-8")


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """A private index folder, a fake model, and a settings cache cleared around the test."""
    for name in list(os.environ):
        if name.upper().startswith("QA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # keep a developer's .env out of it
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    import qa.engine

    monkeypatch.setattr(qa.engine, "load_embedder", lambda settings: FakeEmbedder())
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def runner():
    return CliRunner()


def test_search_json(cli_env, runner):
    result = runner.invoke(app, ["search", ZH_QUESTION, "--json", "--mode", "bm25", "-k", "3"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert isinstance(hits, list) and len(hits) == 3
    for hit in hits:
        assert set(hit) == HIT_KEYS
        assert isinstance(hit["score"], float)
        assert hit["doc_id"] == "cq-ict-14th-five-year-review"
    assert "9540GB" in hits[0]["text"]
    assert (cli_env / "index" / "CURRENT").is_file(), "search builds a missing index"


def test_search_json_is_utf8_not_escaped(cli_env, runner):
    result = runner.invoke(app, ["search", ZH_QUESTION, "--json", "-k", "1"])
    assert result.exit_code == 0, result.output
    assert "\\u" not in result.stdout
    assert "重庆" in result.stdout or "成都" in result.stdout


def test_search_text_output(cli_env, runner):
    result = runner.invoke(app, ["search", ZH_QUESTION, "--mode", "bm25", "--top-k", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("[1] ")
    assert "[2] " in result.stdout and "[3] " not in result.stdout
    assert "cq-ict-14th-five-year-review" in result.stdout
    assert "9540GB" in result.stdout


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid", "HYBRID"])
def test_search_modes(cli_env, runner, mode):
    result = runner.invoke(app, ["search", ZH_QUESTION, "--json", "--mode", mode])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 5


def test_search_hits_point_into_report(cli_env, runner):
    result = runner.invoke(app, ["search", ZH_QUESTION, "--json"])
    for hit in json.loads(result.stdout):
        # offsets are into the cleaned text; up to whitespace the passage is report text
        assert "".join(hit["text"].split()) in "".join(REPORT_TEXT.split())
        assert hit["end"] - hit["start"] == len(hit["text"])


@pytest.mark.parametrize("args", [["--mode", "fuzzy"], ["-k", "0"], ["-k", "101"]])
def test_search_bad_options(cli_env, runner, args):
    result = runner.invoke(app, ["search", ZH_QUESTION, *args])
    assert result.exit_code == 2


def test_build_index_command(cli_env, runner):
    result = runner.invoke(app, ["build-index"])
    assert result.exit_code == 0, result.output
    assert "built index" in result.stdout
    assert "1 documents" in result.stdout
    assert (cli_env / "index" / "CURRENT").is_file()


def test_serve_believes_proxy_headers_only_from_configured_proxies(cli_env, runner, monkeypatch):
    """`qa serve` sets uvicorn's proxy-header trust itself: none by default (uvicorn's own default
    believes X-Forwarded-For from 127.0.0.1), the QA_FORWARDED_ALLOW_IPS proxies when set."""
    import logging.config

    import uvicorn

    import qa.api.limits
    import qa.api.startup

    runs: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: runs.append(options))
    monkeypatch.setattr(logging.config, "dictConfig", lambda config: None)  # keep pytest's logging
    monkeypatch.setattr(qa.api.limits, "tune_interpreter", lambda: None)
    monkeypatch.setattr(qa.api.startup, "check_port", lambda host, port: None)  # 8000 may be taken here
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("QA_FORWARDED_ALLOW_IPS", "10.0.0.5, 192.168.0.0/16")
    get_settings.cache_clear()
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    trust = [(r["proxy_headers"], r["forwarded_allow_ips"]) for r in runs]
    assert trust == [(False, []), (True, ["10.0.0.5", "192.168.0.0/16"])]


def test_invalid_settings_exit_2(cli_env, runner, monkeypatch):
    monkeypatch.setenv("QA_CHUNK_SIZE", "100")
    monkeypatch.setenv("QA_CHUNK_OVERLAP", "100")
    get_settings.cache_clear()
    result = runner.invoke(app, ["search", ZH_QUESTION])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: invalid settings: QA_CHUNK_OVERLAP (100) must be smaller than QA_CHUNK_SIZE (100)"
    )


def _run_cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in a process, from this checkout, with only the given QA_* variables."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("QA_")}
    clean.update(env, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "qa.cli", *args]
    return subprocess.run(command, cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=120)


def test_a_bad_setting_is_one_line_naming_the_variable_and_the_choices(tmp_path):
    """The acceptance check as a user runs it: `QA_SEARCH_MODE=hybird qa serve`; nothing loads."""
    done = _run_cli(tmp_path, {"QA_SEARCH_MODE": "hybird"}, "serve")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: invalid setting QA_SEARCH_MODE='hybird': use one of dense, bm25, hybrid"
    ]


def test_a_misspelt_variable_is_named_with_the_closest_setting(tmp_path):
    done = _run_cli(tmp_path, {"QA_SERCH_MODE": "bm25", "QA_TOP_K": "0"}, "serve")
    assert done.returncode == 2  # stopped by QA_TOP_K, after the warning
    assert done.stderr.splitlines() == [
        "warning: QA_SERCH_MODE is not a setting and is ignored; did you mean QA_SEARCH_MODE?",
        "error: invalid setting QA_TOP_K='0': input should be greater than or equal to 1",
    ]


def test_a_taken_port_is_refused_before_anything_loads(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"QA_INDEX_DIR": str(tmp_path / "no-index"), "QA_EMBED_MODEL": str(tmp_path / "no-model")}
        done = _run_cli(tmp_path, env, "serve", "--port", str(port))
    assert done.returncode == 2  # before the (missing) model or index was even looked at
    assert done.stderr.splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use (another qa serve?): stop it, or pick another "
        f"port: make serve PORT={port + 1} (or qa serve --port {port + 1}, or QA_PORT={port + 1})"
    ]


# --- slow: the real model, the real script ---------------------------------------------------


@pytest.mark.slow
def test_cli_subprocess_search_json(engine, tmp_path):
    """`qa search ... --json` as a user runs it, reusing the session's index (no rebuild)."""
    script = Path(sys.executable).parent / "qa"
    assert script.is_file(), "the qa console script is not installed in the venv"
    # same QA_* environment as the fixture's settings (so the index is fresh), no .env (cwd)
    env = {**os.environ, "QA_INDEX_DIR": str(engine.settings.index_dir)}
    build_before = engine.index.manifest.build_id
    proc = subprocess.run(
        [str(script), "search", ZH_QUESTION, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)
    assert isinstance(hits, list) and len(hits) == 5
    for hit in hits:
        assert set(hit) == HIT_KEYS
        doc = engine.index.documents[hit["doc_id"]]
        assert doc.text[hit["start"] : hit["end"]] == hit["text"]
    # the acceptance: the first hit holds the answer
    assert "9540GB" in hits[0]["text"]
    current = (engine.settings.index_dir / "CURRENT").read_text().strip()
    assert current == build_before, "the CLI rebuilt an index that was fresh"


@pytest.mark.slow
def test_cli_english_acceptance(engine, runner, monkeypatch):
    """`qa search "<English question>"`: one of the first 3 hits holds the answer.

    Runs the CLI code in-process on the session engine, so the model is not loaded twice.
    """
    import qa.engine

    monkeypatch.setattr(qa.engine, "open_engine", lambda settings, **kwargs: engine)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["search", EN_QUESTION, "--json", "-k", "3"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert any("9540GB" in hit["text"] for hit in hits[:3])
