"""One call that puts the reliability and access layers on the app, in the order that matters.

Outermost first: request id + access log + last-resort 500 (so every response, even a 401 or
413 from the layers below, carries ``X-Request-ID`` and is logged) → API keys (cheap refusals
before any body is read) → rate limit (per key id, known only after the key check) → body
limit and UTF-8 check → the routes. A CORS middleware, if any, must be added after this call
so that it sits outside all of these and its headers reach error responses too.
"""

from __future__ import annotations

from fastapi import FastAPI

from qa.api.admin import router as admin_router
from qa.api.budget import QuestionBudget
from qa.api.limits import QuestionGuard, RateLimitMiddleware, charge_failed_key
from qa.api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from qa.api.security import ApiKeyMiddleware, KeyChecker, document_security, public_paths_for
from qa.api.shared import make_rate_limiter
from qa.config import Settings


def install(app: FastAPI, settings: Settings) -> None:
    keys = settings.api_key_list()
    app.state.qa_guard = QuestionGuard(
        settings.max_in_flight, settings.request_timeout_s, settings.max_wait_ms / 1000
    )
    app.state.qa_budget = QuestionBudget(settings.max_question_tokens)
    app.state.qa_keys_required = bool(keys)
    app.state.qa_rate_limiter = make_rate_limiter(settings)  # in Redis when QA_REDIS_URL is set
    app.include_router(admin_router)
    document_security(app, keys_required=bool(keys))
    # add_middleware puts each new one outside the previous: add innermost first.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        upload_max_bytes=settings.upload_max_bytes,
        log_questions=settings.log_questions,
    )
    app.add_middleware(RateLimitMiddleware, limiter=app.state.qa_rate_limiter)
    app.add_middleware(
        ApiKeyMiddleware,
        checker=KeyChecker(keys),
        public_paths=public_paths_for(settings.metrics_public),
        on_refused=charge_failed_key(app.state.qa_rate_limiter),
    )
    app.add_middleware(RequestContextMiddleware, log_questions=settings.log_questions)
