"""Ingest: read the corpus folder and turn each file into a cleaned ``Document``."""

from qa.ingest.clean import clean_blocks
from qa.ingest.loaders import SUPPORTED_SUFFIXES, load_corpus, load_file, scan_corpus

__all__ = ["SUPPORTED_SUFFIXES", "clean_blocks", "load_corpus", "load_file", "scan_corpus"]
