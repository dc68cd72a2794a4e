"""The embedding cache: a rebuild embeds only the texts no earlier build embedded.

A passage's vector depends on its text, the weights and how it is encoded (backend, prompt,
Matryoshka dim), so vectors are kept per *namespace* (a hash of weights and encoding) and
looked up by the sha256 of the text. Chunks, sentences and clauses share one table: the same
text gets the same vector whichever list it is in.

Layout under the cache folder (``QA_EMBED_CACHE_DIR``, by default ``<index_dir>/.embed-cache``)::

    <namespace>/seg-<time>-<pid>.npz    keys (n x 32 bytes: sha256 digests) and float32 vectors

A segment is written to a ``.tmp-`` name, fsynced and renamed, so a crash leaves either the
whole segment or a temporary file that the next compaction deletes; a segment that cannot be
read is ignored (its texts are embedded again). ``compact`` after each published build
rewrites the namespace as one segment holding exactly that build's texts and deletes the other
namespaces, so the cache never holds more than one build's vectors (plus segments another
build wrote meanwhile). Deleting the folder is always safe: the next build embeds everything.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
SEGMENT_GLOB = "seg-*.npz"
TMP_PREFIX = ".tmp-"


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def document_key(embedder: Any) -> str:
    """The embedder's own description of how it encodes passages (through wrappers such as the
    micro-batcher, which pass passages straight on), or a conservative stand-in."""
    own = getattr(embedder, "document_key", None)
    if callable(own):
        return str(own())
    for attribute in ("inner", "_embedder"):
        wrapped = getattr(embedder, attribute, None)
        if wrapped is not None and hasattr(wrapped, "encode_documents"):
            return document_key(wrapped)
    return f"{type(embedder).__name__}|{embedder.model_id}|dim={embedder.dim}"


def namespace(embedder: Any) -> str:
    raw = f"{embedder.weights_hash()}|{document_key(embedder)}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


class EmbedCache:
    """Vectors by text hash for one namespace; loaded once, grown by whole segments."""

    def __init__(self, root: Path, space: str) -> None:
        self.root = root
        self.folder = root / space
        self._vectors: dict[bytes, np.ndarray] = {}
        self._segments: list[Path] = []
        self._broken: list[Path] = []
        self._loaded = False

    @classmethod
    def for_embedder(cls, root: Path, embedder: Any) -> EmbedCache:
        return cls(root, namespace(embedder))

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for path in sorted(self.folder.glob(SEGMENT_GLOB)):
            try:
                with np.load(path) as data:
                    keys, vectors = data["keys"], data["vectors"]
                if keys.shape != (len(vectors), 32):
                    raise ValueError(f"{len(keys)} keys for {len(vectors)} vectors")
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
                log.warning("embedding cache: ignoring unreadable segment %s (%s)", path.name, exc)
                self._broken.append(path)
                continue
            self._segments.append(path)
            for key, vector in zip(keys, vectors, strict=True):
                self._vectors[key.tobytes()] = vector

    def __len__(self) -> int:
        self._load()
        return len(self._vectors)

    def encode(
        self, texts: list[str], embed: Callable[[list[str]], np.ndarray], dim_hint: int | None = None
    ) -> tuple[np.ndarray, int]:
        """Vectors of ``texts`` in order, embedding (once each) only the ones not cached;
        returns them and how many texts were embedded."""
        self._load()
        keys = [text_key(t) for t in texts]
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self._vectors and key not in missing:
                missing[key] = text
        if missing:
            fresh = embed(list(missing.values()))
            self.add(list(missing), fresh)
        if not texts:
            return np.zeros((0, dim_hint or 0), dtype=np.float32), 0
        vectors = np.stack([self._vectors[k] for k in keys]).astype(np.float32, copy=False)
        return np.ascontiguousarray(vectors), len(missing)

    def add(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """Remember ``vectors`` and persist them as one new segment (atomically)."""
        for key, vector in zip(keys, vectors, strict=True):
            self._vectors[key] = vector
        path = self._write(keys, vectors)
        if path is not None:
            self._segments.append(path)

    def _write(self, keys: Iterable[bytes], vectors: np.ndarray) -> Path | None:
        # Raw bytes, not numpy's "S32" strings: those drop a digest's trailing zero bytes.
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 32)
        if not len(key_array):
            return None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"seg-{time.strftime('%Y%m%dT%H%M%S')}-{time.monotonic_ns()}-{os.getpid()}.npz"
            final = self.folder / name
            tmp = self.folder / f"{TMP_PREFIX}{name}"
            with tmp.open("wb") as fh:
                np.savez(fh, keys=key_array, vectors=np.asarray(vectors, dtype=np.float32))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except OSError as exc:  # a cache that cannot be written costs speed, never a build
            log.warning("embedding cache: cannot write to %s (%s); continuing without it", self.folder, exc)
            return None
        return final

    def compact(self, keep: Iterable[str]) -> None:
        """Keep only the vectors of ``keep`` (the texts of the build just published), in one
        segment; drop the other namespaces and any temporary files left by a crash."""
        self._load()
        wanted = {text_key(t) for t in keep}
        kept = [k for k in self._vectors if k in wanted]
        old = list(self._segments)
        if kept and (len(old) != 1 or len(kept) != len(self._vectors)):
            new = self._write(kept, np.stack([self._vectors[k] for k in kept]))
            if new is None:
                return
            self._segments = [new]
            for path in old:
                path.unlink(missing_ok=True)
        self._vectors = {k: self._vectors[k] for k in kept}
        for path in self._broken:
            path.unlink(missing_ok=True)
        for path in self.folder.glob(f"{TMP_PREFIX}*"):
            if _older_than(path, 3600):
                path.unlink(missing_ok=True)
        if self.root.is_dir():
            for other in self.root.iterdir():
                if other.is_dir() and other != self.folder:
                    shutil.rmtree(other, ignore_errors=True)


def _older_than(path: Path, seconds: float) -> bool:
    """A temporary file this old belongs to a build that died (a live one renames it at once)."""
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return False
