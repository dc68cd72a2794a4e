"""Answer and refusal templates, loaded from ``prompts/`` so wording changes need no code."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

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


def load_templates(prompts_dir: Path) -> dict[str, Templates]:
    """Templates by language code; a missing file or key fails at start, not mid-request."""
    path = prompts_dir / "answers.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"answer templates not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    templates = {}
    for language in ("zh", "en"):
        table = data.get(language, {})
        missing = [k for k in _KEYS if k not in table]
        if missing:
            raise ConfigError(f"{path} [{language}] lacks {', '.join(missing)}")
        templates[language] = Templates(**{k: str(table[k]) for k in _KEYS})
    return templates
