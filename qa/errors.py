"""One error hierarchy; the API and CLI translate it at their edges.

Each error carries the HTTP status it maps to, so the translation is a single handler
instead of a chain of ``isinstance`` checks.
"""

from __future__ import annotations


class QAError(Exception):
    """Base of every error the service raises on purpose."""

    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConfigError(QAError):
    """A setting or file the service needs is wrong or missing."""


class CorpusError(QAError):
    """The corpus folder is empty or holds a document that cannot be read."""


class ModelError(QAError):
    """The embedding model cannot be loaded."""


class IndexError_(QAError):
    """Base for index problems (named with a trailing underscore: `IndexError` is a builtin)."""

    status_code = 503


class IndexMissingError(IndexError_):
    """No index has been built yet."""


class IndexStaleError(IndexError_):
    """The index was built from another corpus, model or settings."""


class IndexCorruptError(IndexError_):
    """An index file is missing, truncated or fails its checksum."""


class NotFoundError(QAError):
    """An unknown document or chunk id."""

    status_code = 404


class InvalidInputError(QAError):
    """Input that passed schema validation but makes no sense (e.g. an unknown mode)."""

    status_code = 422


class NotReadyError(QAError):
    """The model or index is still loading."""

    status_code = 503
