"""The ONNX export's own output: one line on the terminal, the exporter's chatter in a log file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from qa.config import ROOT
from qa.onnx_export import LOG_FILE, export_dir, export_log, quiet_output


def test_quiet_output_takes_python_fd_and_child_output_to_the_log(tmp_path, capfd):
    log = tmp_path / "export.log"
    with quiet_output(log):
        print("from print")
        sys.stderr.write("from sys.stderr\n")
        os.write(1, b"from fd 1\n")
        os.write(2, b"from fd 2\n")
        subprocess.run([sys.executable, "-c", "import os; os.write(2, b'from a child\\n')"], check=True)
    print("after")
    captured = capfd.readouterr()
    assert captured.out == "after\n" and captured.err == ""
    assert log.read_text().splitlines() == [
        "from print",
        "from sys.stderr",
        "from fd 1",
        "from fd 2",
        "from a child",
    ]


def _run(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("QA_")}
    env.update(QA_EMBED_MODEL=str(folder), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "qa.onnx_export"]
    return subprocess.run(command, cwd=folder.parent, env=env, capture_output=True, text=True, timeout=600)


def test_an_up_to_date_export_is_one_line(tmp_path):
    folder = tmp_path / "model"
    (folder / "onnx").mkdir(parents=True)
    (folder / ".verified").write_text("abc\n")
    (folder / "onnx" / "model.onnx").write_bytes(b"x")
    (folder / "onnx" / "export.json").write_text(
        '{"weights_hash": "abc", "torch": "t", "sentence_transformers": "s", "seconds": 1, "min_cosine": 1}'
    )
    done = _run(folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"ONNX query encoder up to date in {export_dir(folder)}\n" and done.stderr == ""


def test_a_failed_export_is_one_line_pointing_at_the_log(tmp_path):
    """A folder that is not a model: the loader's own complaints go to the log, not the terminal."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / ".verified").write_text("abc\n")
    (folder / "modules.json").write_text("not json")
    done = _run(folder)
    assert done.returncode == 2
    assert done.stderr == ""
    assert done.stdout.count("\n") == 1
    assert done.stdout.startswith(f"exporting the ONNX query encoder to {export_dir(folder)}")
    assert " failed: " in done.stdout and str(export_log(folder)) in done.stdout
    assert (folder / LOG_FILE).is_file()
