"""Answer, refusal and repair templates, loaded from ``prompts/`` so wording changes need no code."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from qa.errors import ConfigError

_KEYS = (
    "quote",
    "quote_separator",
    "answer_with_value",
    "answer",
    "refusal_terms",
    "refusal",
    "nearest_note",
    "term_quote",
    "term_separator",
)


@dataclass(frozen=True)
class Templates:
    quote: str
    quote_separator: str
    answer_with_value: str
    answer: str
    refusal_terms: str
    refusal: str
    nearest_note: str
    term_quote: str
    term_separator: str

    def quotes(self, quotes: list[tuple[int, str]]) -> str:
        return self.quote_separator.join(self.quote.format(n=n, quote=q) for n, q in quotes)

    def terms(self, terms: list[str]) -> str:
        return self.term_separator.join(self.term_quote.format(term=t) for t in terms)


def _read(path: Path, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def language_tables(
    path: Path, what: str, keys: Sequence[str], section: str | None = None
) -> dict[str, dict[str, str]]:
    """The ``[zh]`` and ``[en]`` tables of a prompts file (``[section.zh]``… with ``section``), each
    checked for ``keys``: a missing file or key fails at start, not mid-request."""
    data = _read(path, what)
    if section:
        data = data.get(section, {})
    tables = {}
    for language in ("zh", "en"):
        table = data.get(language, {})
        missing = [k for k in keys if k not in table]
        if missing:
            name = f"{section}.{language}" if section else language
            raise ConfigError(f"{path} [{name}] lacks {', '.join(missing)}")
        tables[language] = {k: str(table[k]) for k in keys}
    return tables


def load_templates(prompts_dir: Path) -> dict[str, Templates]:
    """Templates by language code."""
    tables = language_tables(prompts_dir / "answers.toml", "answer templates", _KEYS)
    return {language: Templates(**table) for language, table in tables.items()}


GUARD_KINDS = ("citation", "figure", "qualifier", "name", "short_answer")


@dataclass(frozen=True)
class GuardWording:
    """How the grounding guard's violations are put to the model (qa.generate.guard.describe):
    ``item`` renders each one's ``{detail}``, ``advice`` holds one line per kind of violation."""

    item: str
    advice: dict[str, str]


@lru_cache(maxsize=4)
def load_guard_wording(prompts_dir: Path) -> dict[str, GuardWording]:
    """The ``[guard.zh]`` and ``[guard.en]`` tables of ``generate.toml``, by language code; read once."""
    path = prompts_dir / "generate.toml"
    tables = language_tables(path, "generation prompts", ("item", *GUARD_KINDS), section="guard")
    return {lang: GuardWording(t["item"], {k: t[k] for k in GUARD_KINDS}) for lang, t in tables.items()}
