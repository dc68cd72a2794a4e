"""The corpus and index of a SQuAD-format dataset, cached by content.

The articles in the corpus (held-out ones left out) are written as ``.txt`` files into
``<cache>/<key>/corpus/`` and indexed into ``<cache>/<key>/index/`` with the product's own
machinery (``open_engine`` with ``rebuild=True`` over settings that point at those folders).
The key is a sha256 over the files' names and text, the index parameters, the index format
and the model's id and weights hash, so a rerun on the same data and model loads the index
instead of embedding again, and any change lands in a new folder.

A ``.txt`` file's first line is its title (``qa.ingest.clean``) unless a date line such as
"日期:2019年…" sits in its first lines; each written file is loaded back and, in that rare
case, rewritten as ``.md`` with a ``# title`` heading, which the loader always takes as the
title. The title of every document is therefore the article's title.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from pathlib import Path

from pydantic import BaseModel

from qa.config import Settings
from qa.embed import Embedder
from qa.engine import Engine, open_engine
from qa.eval.squad import SquadArticle, SquadDataset
from qa.index.store import FORMAT_VERSION, MANIFEST
from qa.ingest.loaders import load_file

DEFAULT_CACHE = Path("reports/.cache/eval-index")
_UNSAFE = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff._-]+")


class IndexInfo(BaseModel):
    key: str
    path: str
    cached: bool
    seconds: float
    build_seconds: float
    documents: int
    chunks: int
    sentences: int
    markdown_fallbacks: int = 0


def file_name(article: SquadArticle, suffix: str = ".txt") -> str:
    slug = _UNSAFE.sub("-", article.display_title).strip("-.")[:60] or "article"
    return f"{article.position:04d}-{slug}{suffix}"


def corpus_files(dataset: SquadDataset) -> dict[str, str]:
    """File name -> text of every article in the corpus (held-out articles left out)."""
    return {file_name(a): a.document_text() for a in dataset.corpus_articles}


def cache_key(files: dict[str, str], settings: Settings, embedder: Embedder) -> str:
    payload = {
        "format_version": FORMAT_VERSION,
        "params": settings.index_params(),
        "model": embedder.model_id,
        "weights": embedder.weights_hash(),
        "files": sorted(files.items()),
    }
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def _same_files(folder: Path, files: dict[str, str]) -> bool:
    if not folder.is_dir():
        return False
    present = {p.name: p for p in folder.iterdir() if p.is_file()}
    expected = {name: text for name, text in files.items()}
    for name in list(expected):  # an article may have been rewritten as .md (see module docstring)
        md = name[: -len(".txt")] + ".md"
        if name not in present and md in present:
            expected[md] = expected.pop(name)
    if set(present) != set(expected):
        return False
    return all(present[n].read_text(encoding="utf-8").endswith(expected[n]) for n in expected)


def write_corpus(dataset: SquadDataset, folder: Path, heading_max_chars: int) -> int:
    """Write the corpus files (atomically, by renaming a finished folder); the number of
    articles written as Markdown because their ``.txt`` would get another title."""
    files = corpus_files(dataset)
    by_name = {file_name(a): a for a in dataset.corpus_articles}
    if _same_files(folder, files):
        return sum(p.suffix == ".md" for p in folder.iterdir())
    staging = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    fallbacks = 0
    for name, text in files.items():
        path = staging / name
        path.write_text(text, encoding="utf-8")
        article = by_name[name]
        if load_file(path, staging, heading_max_chars).title != article.display_title:
            path.unlink()
            (staging / file_name(article, ".md")).write_text(f"# {article.display_title}\n\n{text}", "utf-8")
            fallbacks += 1
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return fallbacks


def _builds(index_dir: Path) -> set[str]:
    if not index_dir.is_dir():
        return set()
    return {p.name for p in index_dir.iterdir() if (p / MANIFEST).is_file()}


def open_dataset_engine(
    dataset: SquadDataset,
    settings: Settings,
    embedder: Embedder,
    cache_root: Path = DEFAULT_CACHE,
    progress: bool = False,
) -> tuple[Engine, IndexInfo]:
    """The engine over the dataset's corpus; builds the index only when the cache lacks it."""
    began = time.perf_counter()
    files = corpus_files(dataset)
    key = cache_key(files, settings, embedder)
    root = cache_root / key
    corpus_dir, index_dir = root / "corpus", root / "index"
    fallbacks = write_corpus(dataset, corpus_dir, settings.heading_max_chars)
    before = _builds(index_dir)
    local = settings.model_copy(update={"corpus_dir": corpus_dir, "index_dir": index_dir})
    engine = open_engine(local, rebuild=True, embedder=embedder, progress=progress)
    manifest = engine.index.manifest
    info = IndexInfo(
        key=key,
        path=str(root),
        cached=manifest.build_id in before,
        seconds=round(time.perf_counter() - began, 2),
        build_seconds=manifest.build_seconds,
        documents=manifest.counts.get("documents", 0),
        chunks=manifest.counts.get("chunks", 0),
        sentences=manifest.counts.get("sentences", 0),
        markdown_fallbacks=fallbacks,
    )
    return engine, info
