"""One error hierarchy; the API and CLI translate it at their edges.

Each error carries the HTTP status it maps to, so the translation is a single handler
instead of a chain of ``isinstance`` checks.

QAError (500)
├── ConfigError, CorpusError, ModelError
├── IndexError_ (503): IndexMissingError, IndexStaleError, IndexCorruptError
├── NotFoundError (404), InvalidInputError (422), NotReadyError (503)
├── LLMError (503): LLMUnavailableError — the generative answerer's model failed, or is not there
├── BadRequestError (400), UnauthorizedError (401), ForbiddenError (403)
├── PayloadTooLargeError (413), UnsupportedTypeError (415), RateLimitedError (429)
├── OverloadedError (503): ShuttingDownError; RequestTimeoutError (504), ClientGoneError (499)
└── ReloadError (409), ConflictError (409)
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


class VectorStoreError(IndexError_):
    """The vector store (a Milvus server or Milvus Lite file) cannot be reached or refused a call."""


class NotFoundError(QAError):
    """An unknown document or chunk id."""

    status_code = 404


class InvalidInputError(QAError):
    """Input that passed schema validation but makes no sense (e.g. an unknown mode)."""

    status_code = 422


class NotReadyError(QAError):
    """The model or index is still loading."""

    status_code = 503


class LLMError(QAError):
    """The generative answerer's model failed or timed out (qa.generate.llm)."""

    status_code = 503


class LLMUnavailableError(LLMError):
    """The generative answerer was asked for, but no model is installed or configured."""


# --- access and load (qa.api.security, qa.api.limits, qa.api.middleware) -----------------------


class BadRequestError(QAError):
    """A request the HTTP layer cannot read: a body that is not UTF-8, a bad Content-Length."""

    status_code = 400


class UnauthorizedError(QAError):
    """No API key, or an unknown one, where keys are required."""

    status_code = 401


class ForbiddenError(QAError):
    """A route that is switched off (admin routes while no API keys are configured)."""

    status_code = 403


class PayloadTooLargeError(QAError):
    """A request body over ``QA_MAX_BODY_BYTES``."""

    status_code = 413


class UnsupportedTypeError(QAError):
    """An uploaded file of a type the corpus cannot read (``POST /documents``)."""

    status_code = 415


class RateLimitedError(QAError):
    """A key or client IP over its token bucket; ``retry_after`` says when a token is back."""

    status_code = 429

    def __init__(self, detail: str, retry_after: float = 1.0) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class OverloadedError(QAError):
    """The question would wait longer than ``QA_MAX_WAIT_MS`` for a slot: refused at once."""

    status_code = 503

    def __init__(self, detail: str, retry_after: float = 1.0) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ShuttingDownError(OverloadedError):
    """The server is stopping (SIGTERM) and the grace ran out, or it takes no new questions."""


class ClientGoneError(QAError):
    """The client went away while its question waited for a slot (499, as nginx logs it)."""

    status_code = 499


class RequestTimeoutError(QAError):
    """An answer that took longer than ``QA_REQUEST_TIMEOUT_S``."""

    status_code = 504


class ReloadError(QAError):
    """A hot reload failed; the service keeps serving the index it had."""

    status_code = 409


class ConflictError(QAError):
    """A request the current state refuses: removing the last document, uploads with several
    worker processes."""

    status_code = 409
