"""The answer policy: every weight, threshold and rule switch of the answer stage, as data.

One frozen object, so that what decides between answering and refusing can be read in
one place, overridden from a file (``QA_ANSWER_POLICY``), printed in an evaluation report
and folded into the answer-cache key. The defaults are calibrated by
``python -m qa.eval.calibrate`` over the gold set and the development datasets (see the
README); a number here changed by hand without rerunning that script is a bug.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qa.errors import ConfigError

# The support checks every candidate sentence gets (qa.answer.checks), by name.
SUPPORT_CHECKS = ("subject", "terms", "kind", "support")


class Policy(BaseModel):
    """Weights of the sentence score, support bars, and limits on what is quoted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Sentence score = dense similarity + the weighted signals below - penalties.
    w_soft: float = Field(0.30, description="IDF-weighted share of the question's words in the sentence.")
    w_kind: float = Field(0.10, description="The sentence holds the kind of value asked for.")
    w_rank: float = Field(
        0.05, description="Credit for the rank of the sentence's chunk (divided by 1+rank)."
    )
    w_publication: float = Field(0.30, description="The sentence states the publication date asked for.")
    w_focus: float = Field(0.15, description="Share of what is measured (the focus words) in the sentence.")
    w_code: float = Field(0.05, description="Every code the question names (5G-A) is in the sentence.")
    w_context: float = Field(0.5, description="English: weight of the paragraph's subject sentences.")
    penalty_missing: float = Field(0.30, description="A term of the question is missing (any rule).")
    veto_rules: tuple[str, ...] = Field(
        ("code", "entity", "pinyin"),
        description="Missing-term rules that refuse (qa.answer.evidence.MISSING_RULES); the others only "
        "lower the score.",
    )
    penalty_kind: float = Field(0.15, description="The sentence lacks the kind of value asked for.")

    # Is the question's subject in the corpus at all? The closest sentence anywhere must be at
    # least this similar (dense); separates questions about absent subjects, by question language.
    min_dense: dict[str, float] = Field(default_factory=lambda: {"zh": 0.20, "en": 0.34})

    # Support bars: the lowest score that answers, by question language.
    min_support: dict[str, float] = Field(default_factory=lambda: {"zh": 0.61, "en": 0.60})
    min_support_value: dict[str, float] = Field(
        default_factory=lambda: {"zh": 0.58, "en": 0.84},
        description="A figure needs more support than a passage: a wrong number reads as confidently.",
    )

    # Word statistics that make a question term required.
    subject_share: float = Field(
        0.15, description="A word in more of the corpus's sentences than this is its subject, not a focus."
    )
    rare_df: int = Field(2, description="A term in at most this many sentences marks its passages.")
    general_rare_freq: int = Field(300, description="jieba frequency below which a word is rare in Chinese.")
    common_word_freq: int = Field(5000, description="jieba frequency above which a word is common.")
    common_place_freq: int = Field(1000, description="A place this common is required even if unseen.")

    # What is quoted.
    extra_sentence_ratio: float = Field(0.95, description="A list/open answer adds sentences this close.")
    nearest_shown: int = Field(3, description="Closest passages listed with a refusal.")

    # The generative answerer (qa.generate): which failed checks refuse before the LLM is asked,
    # and how much context a numbered passage carries.
    generative_refusals: tuple[str, ...] = Field(
        SUPPORT_CHECKS,
        description="Support checks (qa.answer.checks) that gate the generative answerer: unless some "
        "candidate passes all of them, it refuses without asking the LLM. All of them by default, so "
        "it refuses whenever the extractive answerer does (a small model asked anyway writes an "
        "answer from a passage about something else); naming fewer lets the model try more questions.",
    )
    passage_chars: int = Field(
        240, description="A numbered passage: the sentence, with the one before it while under this."
    )
    trim_chars: int = Field(60, description="Longer sentences are cut to the figure's clause.")
    open_min_chars: int = Field(200, description="An open question quotes the paragraph up to this length.")
    open_max_sentences: int = Field(3)

    @field_validator("generative_refusals")
    @classmethod
    def _known_checks(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [n for n in names if n not in SUPPORT_CHECKS]
        if unknown:  # a misspelt name would silently let the model answer what it should not
            raise ValueError(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(SUPPORT_CHECKS)}")
        return names

    def subject_bar(self, language: str) -> float:
        return self.min_dense.get(language, self.min_dense["zh"])

    def support_bar(self, language: str, wants_figure: bool) -> float:
        bars = self.min_support_value if wants_figure else self.min_support
        return bars.get(language, bars["zh"])

    def fingerprint(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


DEFAULT_POLICY = Policy()


def load_policy(path: Path | None) -> Policy:
    """The default policy with the overrides of a JSON or TOML file; unknown keys are refused."""
    if path is None:
        return DEFAULT_POLICY
    try:
        raw = path.read_text(encoding="utf-8")
        data = tomllib.loads(raw) if path.suffix == ".toml" else json.loads(raw)
        return Policy.model_validate({**DEFAULT_POLICY.model_dump(), **data})
    except FileNotFoundError as exc:
        raise ConfigError(f"QA_ANSWER_POLICY: no such file: {path}") from exc
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"QA_ANSWER_POLICY: {path} is not valid JSON/TOML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"QA_ANSWER_POLICY: {path}: {where}: {first['msg']}") from exc
