"""The generative answerer's messages and the parsing of what the model writes back.

Wording lives in ``prompts/generate.toml`` (one table per language of the question), so it
changes without code. The model is asked for a first line "Short answer: …" (a span copied
from a passage, the large answer of the UI), then the answer with ``[n]`` markers; ``parse``
splits the two and recognises the "the passages do not say" reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from qa.errors import ConfigError
from qa.prompts import language_tables

_KEYS = ("system", "user", "passage", "history", "not_found", "short_label", "answer_label", "repair")
_PLACEHOLDERS = {"user": ("{passages}", "{question}"), "repair": ("{violations}",)}


@dataclass(frozen=True)
class GenerationPrompts:
    system: str
    user: str
    passage: str
    history: str
    not_found: str
    short_label: str
    answer_label: str
    repair: str

    def messages(self, question: str, passages: list[str], history: list[str]) -> list[dict[str, str]]:
        numbered = "\n".join(self.passage.format(n=n, text=text) for n, text in enumerate(passages, 1))
        earlier = self.history.format(questions=" / ".join(history)) if history else ""
        user = self.user.format(passages=numbered, question=question, history=earlier)
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    def repair_messages(
        self, messages: list[dict[str, str]], reply: str, violations: str
    ) -> list[dict[str, str]]:
        """The conversation so far, the model's reply and one turn naming what to fix."""
        return [
            *messages,
            {"role": "assistant", "content": reply},
            {"role": "user", "content": self.repair.format(violations=violations)},
        ]


@dataclass(frozen=True)
class Reply:
    """What the model wrote: the answer text, its short answer, or that the passages don't say."""

    text: str
    short_answer: str | None
    not_found: bool


def _label(labels: Iterable[str]) -> str:
    """A line's leading label ("Short answer:", "**简答**:"), in any of ``labels``."""
    names = "|".join(re.escape(label) for label in dict.fromkeys(labels))
    return rf"^\**\s*(?:{names})\s*\**\s*[::]\s*\**\s*"


def parse(raw: str, prompts: GenerationPrompts, others: Iterable[GenerationPrompts] = ()) -> Reply:
    """Split the reply into its short answer and its answer, and spot a refusal. The labels and
    the refusal may be another language's (``others``): a small model answering a Chinese question
    may still write "Short answer:"; either line may be missing."""
    every = [prompts, *others]
    text = raw.strip()
    short = None
    match = re.match(_label(p.short_label for p in every) + r"(.*?)\s*(?:\n|$)", text, re.I)
    if match:
        short = match.group(1).strip().strip("*\"“”'「」").strip() or None
        text = text[match.end() :].strip()
    text = re.sub(_label(p.answer_label for p in every), "", text, count=1, flags=re.I).strip()
    phrases = [p.not_found for p in every]
    not_found = _says_not_found(text or (short or ""), phrases)
    if short and _says_not_found(short, phrases):
        short, not_found = None, not_found or not text
    return Reply(text=text, short_answer=short, not_found=not_found)


def _says_not_found(text: str, phrases: Iterable[str]) -> bool:
    """In any language's words: a small model told to reply 无法回答 may still write NOT FOUND,
    which would otherwise be delivered as the answer (it states nothing the guard could refuse)."""
    folded = re.sub(r"[\s.。!!]+", " ", text).strip().lower()
    return any(folded.startswith(p.lower()) and len(folded) <= len(p) + 12 for p in phrases)


def load_generation_prompts(prompts_dir: Path) -> dict[str, GenerationPrompts]:
    """The prompts by language; a missing file, key or placeholder fails at start, not mid-request."""
    path = prompts_dir / "generate.toml"
    tables = language_tables(path, "generation prompts", _KEYS)
    for language, table in tables.items():
        for key, needed in _PLACEHOLDERS.items():
            absent = [p for p in needed if p not in table[key]]
            if absent:
                raise ConfigError(f"{path} [{language}] {key} lacks {', '.join(absent)}")
    return {language: GenerationPrompts(**table) for language, table in tables.items()}


class StreamFilter:
    """Passes the model's text on as it comes, without the reply's labels: the "Short answer: …"
    line is held back (the short answer is shown once the reply is checked), and an "Answer:"
    label is dropped. Text is held only while it may still turn out to be a label."""

    def __init__(self, emit: Callable[[str], None], prompts: Iterable[GenerationPrompts]) -> None:
        every = list(prompts)
        self.emit = emit
        self.short = [p.short_label.lower() for p in every]
        self.answer = [p.answer_label.lower() for p in every]
        self.short_line = re.compile(_label(p.short_label for p in every) + r".*?\n", re.I | re.S)
        self.answer_label = re.compile(_label(p.answer_label for p in every), re.I)
        self.head: str | None = ""  # None once the labels are past

    def feed(self, piece: str) -> None:
        if self.head is None:
            self.emit(piece)
            return
        self.head += piece
        settled = self._settle(self.head)
        if settled is not None:
            self.head = None
            if settled:
                self.emit(settled)

    def _settle(self, text: str) -> str | None:
        """The text to pass on once no label can still be forming; None while one can."""
        line = self.short_line.match(text)
        if line:
            text = text[line.end() :]
        elif _may_be_label(text, self.short, complete_line=True):
            return None
        text = text.lstrip()
        label = self.answer_label.match(text)
        if label:
            rest = text[label.end() :]
            return rest or None
        return None if _may_be_label(text, self.answer) else text


def _may_be_label(text: str, labels: list[str], complete_line: bool = False) -> bool:
    """``text`` is the start of a label, or (``complete_line``) a label's line without its end."""
    head = text.lstrip("* \n").lower()
    if any(label.startswith(head) for label in labels):
        return True
    return complete_line and "\n" not in text and any(head.startswith(label) for label in labels)
