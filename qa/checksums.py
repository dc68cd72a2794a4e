"""sha256 of files, read in blocks: model weights (qa.model_fetch, qa.embed) and index files (qa.index)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

BLOCK = 1 << 20


def update_with_file(digest: Any, path: Path) -> None:
    """Feed ``path`` into ``digest`` a block at a time (weights are over a gigabyte)."""
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            digest.update(block)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    update_with_file(digest, path)
    return digest.hexdigest()
