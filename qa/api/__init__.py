"""HTTP API: FastAPI app factory, request/response models, routes."""

from qa.api.app import create_app

__all__ = ["create_app"]
