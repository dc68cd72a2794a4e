"""What every command shares: QAError as one red line and exit code 2, and the settings.

Its own module so that command groups kept in other modules (``qa.cli_corpus``) use the same
translation as ``qa.cli`` without importing it (``python -m qa.cli`` would import it twice).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer

from qa.config import Settings, get_settings
from qa.errors import ConfigError, QAError

F = TypeVar("F", bound=Callable[..., Any])


def friendly(fn: F) -> F:
    """Errors from the ``QAError`` hierarchy become one line on stderr and exit code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QAError as exc:
            typer.secho(f"error: {exc.detail}", err=True, fg="red")
            raise typer.Exit(2) from exc

    return wrapper  # type: ignore[return-value]


def cli_settings() -> Settings:
    """The settings, or one line naming the bad variable and exit code 2 (qa.config_check)."""
    try:
        return get_settings()
    except ConfigError as exc:
        typer.secho(f"error: {exc.detail}", err=True, fg="red")
        raise typer.Exit(2) from None
