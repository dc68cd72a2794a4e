"""``qa eval`` fails with one clear line, before loading any model, on bad input (fast)."""

from __future__ import annotations

from typer.testing import CliRunner

from qa.cli import app
from qa.loadtest import free_port


def test_missing_gold_file_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["eval", "--gold", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "gold file not found" in result.output
    assert "Traceback" not in result.output


def test_malformed_gold_file_names_the_line(tmp_path):
    gold = tmp_path / "g.jsonl"
    gold.write_text('{"id": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--gold", str(gold)])
    assert result.exit_code == 2
    assert "g.jsonl:1:" in result.output


def test_unreachable_service_is_a_one_line_error():
    result = CliRunner().invoke(app, ["eval", "--url", f"http://127.0.0.1:{free_port()}", "--limit", "1"])
    assert result.exit_code == 2
    assert "cannot reach the service" in result.output


def test_bad_mode_is_rejected_by_the_parser():
    result = CliRunner().invoke(app, ["eval", "--mode", "fuzzy"])
    assert result.exit_code != 0
    assert "fuzzy" in result.output
