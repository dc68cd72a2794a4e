"""Adding and removing corpus files: safe names, atomic writes, one document id per file.

The corpus folder is the one source of truth for what is indexed: a file uploaded through
``POST /documents`` or added with ``qa add`` is written there, so a restart or ``qa build-index``
sees the same corpus. A file is written under a hidden name first and renamed into place, so
a build (or a crash) never sees half a file; hidden names are what ``corpus_files`` skips.

A client's file name is reduced to a plain base name (no folders, so no ``../``), refused when
hidden or empty, and its type must be one the loaders read. Adding a file whose document id is
already taken by another file (``report.pdf`` over ``report.txt``) replaces that document.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
import unicodedata
import uuid
from pathlib import Path
from typing import BinaryIO

from qa.errors import BadRequestError, UnsupportedTypeError
from qa.ingest.loaders import SUPPORTED_SUFFIXES, corpus_files, doc_id_for

STAGING_DIR = ".incoming"  # hidden: never read as part of the corpus
STALE_STAGED_S = 24 * 3600  # a staged upload this old belonged to a process that died before its job ran
MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff._ ()-]+")


def safe_name(raw: str | None) -> str:
    """The base name a client's file is stored under, or BadRequestError / UnsupportedTypeError."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if not name or name in {".", ".."}:
        raise BadRequestError("the upload needs a file name (e.g. report.pdf)")
    if name.startswith("."):
        raise BadRequestError(f"hidden file names are not accepted: {name[:80]!r}")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedTypeError(
            f"unsupported file type {suffix or '(none)'!s}: use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    stem = _UNSAFE.sub("-", name[: -len(suffix)]).strip(" .-")
    if not stem:
        raise BadRequestError(f"the file name has no usable characters: {name[:80]!r}")
    return stem[: MAX_NAME_CHARS - len(suffix)] + suffix


def files_of(corpus_dir: Path, doc_id: str) -> list[Path]:
    """Every corpus file (any type) whose document id is ``doc_id``."""
    if not corpus_dir.is_dir():
        return []
    return [p for p in corpus_files(corpus_dir, supported=False) if doc_id_for(p, corpus_dir) == doc_id]


def stage(corpus_dir: Path, source: BinaryIO, name: str) -> Path:
    """Copy ``source`` into a hidden folder of the corpus folder (same file system, so the later
    rename is atomic) and fsync it, keeping ``name``'s type so it can be read as it will be; the
    caller installs or discards it."""
    staging = corpus_dir / STAGING_DIR
    staging.mkdir(parents=True, exist_ok=True)
    _remove_stale(staging)
    path = staging / f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    with path.open("wb") as out:
        shutil.copyfileobj(source, out, length=1 << 20)
        out.flush()
        os.fsync(out.fileno())
    return path


def _remove_stale(staging: Path) -> None:
    cutoff = time.time() - STALE_STAGED_S
    for old in staging.iterdir():
        with contextlib.suppress(OSError):  # another process may be removing it too
            if old.is_file() and old.stat().st_mtime < cutoff:
                old.unlink()


def install(corpus_dir: Path, staged: Path, name: str) -> tuple[Path, list[Path]]:
    """Rename ``staged`` to ``name`` in the corpus folder (replacing a file of that name), then
    remove other files with the same document id. Returns (the file, the files removed)."""
    target = corpus_dir / name
    doc_id = doc_id_for(target, corpus_dir)
    os.replace(staged, target)
    replaced = [p for p in files_of(corpus_dir, doc_id) if p != target]
    for path in replaced:
        path.unlink(missing_ok=True)
    return target, replaced


def remove(corpus_dir: Path, doc_id: str) -> list[Path]:
    """Delete the files of ``doc_id``; returns them (empty when there were none)."""
    removed = files_of(corpus_dir, doc_id)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def add_copy(corpus_dir: Path, source: Path) -> tuple[Path, list[Path]]:
    """``qa add``: copy a local file into the corpus folder under its safe name, atomically."""
    name = safe_name(source.name)
    with source.open("rb") as fh:
        staged = stage(corpus_dir, fh, name)
    return install(corpus_dir, staged, name)
