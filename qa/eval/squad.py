"""SQuAD-format reading-comprehension data (SQuAD, CMRC 2018, XQuAD, DRCD) as an eval set.

The file is JSON: ``data[].title``, ``data[].paragraphs[].context`` and
``data[].paragraphs[].qas[].{id, question, answers[].text}``. Each article becomes one
document of the corpus: its title on the first line (underscores, as in Wikipedia page
names, shown as spaces), then each paragraph as its own paragraph, a blank line between.

Options:

* ``questions_from``: a parallel file in another language with the same question ids
  (XQuAD). Its question text replaces the main file's, while contexts and gold answers stay
  from the main file, so English questions are asked over Chinese contexts with Chinese
  answers as gold. Questions whose id the parallel file lacks are dropped (and counted), so
  every question of a run is in one language.
* ``limit``: only the first N articles (a quick sample); applied before ``holdout``.
* ``holdout``: N articles are left out of the corpus and their questions become
  unanswerable ("out of corpus"). The choice is deterministic: with n articles and
  k = n // N, the held-out articles are those at 0-based positions k-1, 2k-1, ..., Nk-1
  (every k-th article), e.g. 2 of 12 -> positions 5 and 11.

Questions without any answer text (SQuAD 2.0's impossible questions) are skipped and
counted: such a question is unanswerable from its own paragraph, but nothing says the rest
of the corpus does not answer it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from qa.errors import ConfigError

_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


class SquadArticle(BaseModel):
    """One article: becomes one document unless held out."""

    position: int = Field(description="0-based position among the articles loaded (after limit).")
    title: str = Field(description="The title as the file gives it.")
    paragraphs: list[str]
    held_out: bool = False

    @property
    def display_title(self) -> str:
        """The title line of the document: Wikipedia-style underscores as spaces."""
        return re.sub(r"\s+", " ", self.title.replace("_", " ")).strip() or f"article {self.position + 1}"

    def document_text(self) -> str:
        """Title on the first line, then the paragraphs, a blank line between each."""
        paragraphs = [p.strip() for p in self.paragraphs if p.strip()]
        return "\n\n".join([self.display_title, *paragraphs]) + "\n"


class SquadQuestion(BaseModel):
    id: str
    question: str
    answers: list[str] = Field(description="Reference answers (distinct texts, file order).")
    article: int = Field(description="Position of the article the question is about.")
    title: str
    held_out: bool = Field(False, description="Its article is not in the corpus: out of corpus.")

    @property
    def answerable(self) -> bool:
        return not self.held_out


class SquadDataset(BaseModel):
    path: str
    questions_from: str | None = None
    limit: int | None = None
    holdout: int = 0
    question_language: str = Field(description='"zh" or "en": the language of the questions asked.')
    context_language: str = Field(description='"zh" or "en": the language of the contexts and answers.')
    articles: list[SquadArticle]
    questions: list[SquadQuestion]
    skipped_no_answer: int = 0
    dropped_no_translation: int = 0

    @property
    def corpus_articles(self) -> list[SquadArticle]:
        return [a for a in self.articles if not a.held_out]

    @property
    def answerable(self) -> list[SquadQuestion]:
        return [q for q in self.questions if q.answerable]

    @property
    def held_out_questions(self) -> list[SquadQuestion]:
        return [q for q in self.questions if q.held_out]


def language_of(texts: list[str]) -> str:
    """ "zh" when CJK characters outnumber Latin letters over all texts, else "en"."""
    cjk = sum(len(_CJK_CHAR.findall(t)) for t in texts)
    latin = sum(len(_LATIN_LETTER.findall(t)) for t in texts)
    return "zh" if cjk > latin else "en"


def held_out_positions(n_articles: int, holdout: int) -> set[int]:
    """Every k-th article (k = n // N), the last of each run of k: positions k-1, 2k-1, ..."""
    if holdout <= 0:
        return set()
    if holdout >= n_articles:
        raise ConfigError(
            f"--holdout {holdout} leaves no article in the corpus (the dataset has {n_articles} article(s))"
        )
    step = n_articles // holdout
    return {(i + 1) * step - 1 for i in range(holdout)}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ConfigError(f"dataset file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read dataset file {path}: {exc}") from exc
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ConfigError(
            f"{path.name}: not SQuAD format (expected an object with a 'data' list of articles)"
        )
    return body


def _articles(path: Path, body: dict[str, Any]) -> list[dict[str, Any]]:
    articles = []
    for i, article in enumerate(body["data"]):
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            raise ConfigError(f"{path.name}: data[{i}] has no 'paragraphs' list")
        for j, paragraph in enumerate(paragraphs):
            if not isinstance(paragraph, dict) or not isinstance(paragraph.get("context"), str):
                raise ConfigError(f"{path.name}: data[{i}].paragraphs[{j}] has no 'context' text")
            for k, qa in enumerate(paragraph.get("qas") or []):
                if not isinstance(qa, dict) or not isinstance(qa.get("question"), str) or "id" not in qa:
                    raise ConfigError(
                        f"{path.name}: data[{i}].paragraphs[{j}].qas[{k}] needs 'id' and 'question'"
                    )
        articles.append(article)
    if not articles:
        raise ConfigError(f"{path.name}: the 'data' list is empty")
    return articles


def _answer_texts(qa: dict[str, Any]) -> list[str]:
    texts = [str(a.get("text", "")).strip() for a in qa.get("answers") or [] if isinstance(a, dict)]
    return list(dict.fromkeys(t for t in texts if t))


def _translations(path: Path) -> dict[str, str]:
    """Question text by id from a parallel file."""
    return {
        str(qa["id"]): qa["question"]
        for article in _articles(path, _read_json(path))
        for paragraph in article["paragraphs"]
        for qa in paragraph.get("qas") or []
    }


def load_squad(
    path: Path,
    *,
    questions_from: Path | None = None,
    holdout: int = 0,
    limit: int | None = None,
) -> SquadDataset:
    """Load a SQuAD-format file as articles and questions; see the module docstring."""
    raw_articles = _articles(path, _read_json(path))
    if limit is not None:
        if limit < 1:
            raise ConfigError(f"--limit must be at least 1, not {limit}")
        raw_articles = raw_articles[:limit]
    held = held_out_positions(len(raw_articles), holdout)
    translations = _translations(questions_from) if questions_from is not None else None

    articles: list[SquadArticle] = []
    questions: list[SquadQuestion] = []
    skipped = dropped = 0
    seen: set[str] = set()
    for pos, raw in enumerate(raw_articles):
        article = SquadArticle(
            position=pos,
            title=str(raw.get("title") or "").strip(),
            paragraphs=[p["context"] for p in raw["paragraphs"]],
            held_out=pos in held,
        )
        articles.append(article)
        for paragraph in raw["paragraphs"]:
            for qa in paragraph.get("qas") or []:
                qid = str(qa["id"])
                if qid in seen:
                    raise ConfigError(f"{path.name}: duplicate question id {qid!r}")
                seen.add(qid)
                answers = _answer_texts(qa)
                if not answers:
                    skipped += 1
                    continue
                question = qa["question"]
                if translations is not None:
                    if qid not in translations:
                        dropped += 1
                        continue
                    question = translations[qid]
                questions.append(
                    SquadQuestion(
                        id=qid,
                        question=question.strip(),
                        answers=answers,
                        article=pos,
                        title=article.display_title,
                        held_out=article.held_out,
                    )
                )
    if translations is not None and not questions and dropped:
        raise ConfigError(
            f"{questions_from}: none of its question ids occur in {path.name}; is it a parallel file?"
        )
    if not questions:
        raise ConfigError(f"{path.name}: no question with an answer text in the articles loaded")
    return SquadDataset(
        path=str(path),
        questions_from=str(questions_from) if questions_from is not None else None,
        limit=limit,
        holdout=holdout,
        question_language=language_of([q.question for q in questions]),
        context_language=language_of([p for a in articles for p in a.paragraphs]),
        articles=articles,
        questions=questions,
        skipped_no_answer=skipped,
        dropped_no_translation=dropped,
    )
