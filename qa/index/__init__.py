"""Index: build, persist, verify and load the dense + BM25 index of the corpus."""

from qa.index.build import build_index, corpus_fingerprint
from qa.index.store import Index, Manifest, check_fresh, current_build_dir, load_index

__all__ = [
    "Index",
    "Manifest",
    "build_index",
    "check_fresh",
    "corpus_fingerprint",
    "current_build_dir",
    "load_index",
]
