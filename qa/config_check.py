"""Settings problems said in the operator's terms: the environment variable, not the field.

Settings come from ``QA_*`` variables, so a bad value is reported as ``QA_SEARCH_MODE='hybird'``
with the values that would work, on one line, instead of pydantic's multi-line report naming
``search_mode`` and linking to its documentation. A misspelt variable name would otherwise be
ignored in silence (pydantic-settings drops unknown names), so it gets a warning naming the
closest real one.
"""

from __future__ import annotations

import difflib
import enum
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, SecretStr, ValidationError

PREFIX = "QA_"
# QA_* variables read by tools next to the service, not by Settings: never "unknown".
OTHER_VARIABLES = frozenset({"QA_LOADTEST_API_KEY"})


def variable(field: str) -> str:
    """The environment variable that sets ``field``."""
    return PREFIX + field.upper()


def explain(exc: ValidationError, model: type[BaseModel]) -> str:
    """One line for all of a validation's errors: variable, value, what would be valid."""
    return "; ".join(_explain_one(error, model) for error in exc.errors(include_url=False))


def _explain_one(error: Any, model: type[BaseModel]) -> str:
    loc = error.get("loc") or ()
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if not loc:  # a check across fields: its message names the variables itself
        return f"invalid settings: {message}"
    field = str(loc[0])
    info = model.model_fields.get(field)
    shown = "" if _is_secret(info) else f"={error.get('input')!r}"
    choices = _choices(info.annotation if info else None)
    if choices:
        expected = f"use one of {', '.join(choices)}"
    elif error.get("type") == "bool_parsing":
        expected = "use true or false"
    else:
        expected = message[:1].lower() + message[1:]
    return f"invalid setting {variable(field)}{shown}: {expected}"


def _choices(annotation: object) -> list[str]:
    """The values of an enum setting (``Mode`` or ``Mode | None``); empty for anything else."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return [str(member.value) for member in candidate]
    return []


def _is_secret(info: object) -> bool:
    annotation = getattr(info, "annotation", None)
    return isinstance(annotation, type) and issubclass(annotation, SecretStr)


def unknown_variables(
    model: type[BaseModel], environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> list[str]:
    """A warning for each ``QA_*`` name (environment or ``.env``) that no setting reads."""
    environ = os.environ if environ is None else environ
    names = [*environ, *_env_file_names(env_file)]
    valid = sorted(variable(field) for field in model.model_fields)
    known = set(valid) | OTHER_VARIABLES
    warnings = []
    for name in dict.fromkeys(n.upper() for n in names if n.upper().startswith(PREFIX)):
        if name in known:
            continue
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        hint = (
            f"did you mean {close[0]}?" if close else "the settings are listed in README.md (Configuration)"
        )
        warnings.append(f"warning: {name} is not a setting and is ignored; {hint}")
    return warnings


def _env_file_names(env_file: Path | None) -> Iterable[str]:
    if env_file is None or not env_file.is_file():
        return []
    from dotenv import dotenv_values

    return list(dotenv_values(env_file))
