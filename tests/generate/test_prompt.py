"""The generation prompts: loading from prompts/, messages, and parsing what the model writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.config import ROOT
from qa.errors import ConfigError
from qa.generate.prompt import StreamFilter, load_generation_prompts, parse

PROMPTS = load_generation_prompts(ROOT / "prompts")


def test_messages_number_the_passages_and_carry_the_question():
    messages = PROMPTS["en"].messages("How wide?", ["带宽9540GB。", "其他。"], history=["重庆有多少基站?"])
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "[1] 带宽9540GB。" in user and "[2] 其他。" in user
    assert "How wide?" in user and "重庆有多少基站?" in user


def test_repair_turn_names_the_violations():
    first = PROMPTS["zh"].messages("多少?", ["带宽9540GB。"], history=[])
    repair = PROMPTS["zh"].repair_messages(
        first, "简答:9450GB\n带宽9450GB[1]。", 'figure "9450GB" is not in passage [1]'
    )
    assert repair[-2] == {"role": "assistant", "content": "简答:9450GB\n带宽9450GB[1]。"}
    assert "9450GB" in repair[-1]["content"] and repair[-1]["role"] == "user"


@pytest.mark.parametrize(
    ("raw", "short", "text"),
    [
        ("Short answer: 9540GB\nThe bandwidth is 9540GB [1].", "9540GB", "The bandwidth is 9540GB [1]."),
        ("简答:9540GB\n两地直联带宽达到9540GB[1]。", "9540GB", "两地直联带宽达到9540GB[1]。"),
        ("**Short answer:** “丹佛野马队”\nIt was 丹佛野马队 [2].", "丹佛野马队", "It was 丹佛野马队 [2]."),
        ("The bandwidth is 9540GB [1].", None, "The bandwidth is 9540GB [1]."),
        ("Short answer: 9540GB\nAnswer: It is 9540GB [1].", "9540GB", "It is 9540GB [1]."),
        ("简答:9540GB\n回答:带宽达到9540GB[1]。", "9540GB", "带宽达到9540GB[1]。"),
    ],
)
def test_parse_splits_the_short_answer_line(raw: str, short: str | None, text: str):
    reply = parse(raw, PROMPTS["en"], PROMPTS.values())
    assert (reply.short_answer, reply.text, reply.not_found) == (short, text, False)


@pytest.mark.parametrize(
    "raw", ["NOT FOUND", "NOT FOUND.", "Short answer: NOT FOUND", "简答:无法回答\n无法回答"]
)
def test_parse_recognises_that_the_passages_do_not_say(raw: str):
    language = "zh" if "简答" in raw else "en"
    assert parse(raw, PROMPTS[language], PROMPTS.values()).not_found


@pytest.mark.parametrize(("raw", "language"), [("NOT FOUND", "zh"), ("回答:无法回答。", "en")])
def test_a_refusal_in_the_other_language_is_still_a_refusal(raw: str, language: str):
    reply = parse(raw, PROMPTS[language], PROMPTS.values())
    assert reply.not_found


def test_a_sentence_mentioning_not_found_words_is_an_answer():
    reply = parse(
        "Short answer: 38\nNot found in earlier years, the count reached 38 [1].",
        PROMPTS["en"],
        PROMPTS.values(),
    )
    assert not reply.not_found


def test_a_missing_placeholder_fails_at_start(tmp_path: Path):
    text = (ROOT / "prompts" / "generate.toml").read_text(encoding="utf-8")
    (tmp_path / "generate.toml").write_text(text.replace("段落:\n{passages}", "段落:", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[zh\] user lacks \{passages\}"):
        load_generation_prompts(tmp_path)


def _filtered(pieces: list[str]) -> str:
    out: list[str] = []
    relay = StreamFilter(out.append, PROMPTS.values())
    for piece in pieces:
        relay.feed(piece)
    return "".join(out)


def test_the_relay_holds_back_the_short_answer_line():
    assert _filtered(["Short", " answer", ": 95", "40GB\nThe", " bandwidth", " is 9540GB [1]."]) == (
        "The bandwidth is 9540GB [1]."
    )
    assert _filtered(["简答", ":9540GB\n", "带宽", "9540GB[1]。"]) == "带宽9540GB[1]。"
    assert (
        _filtered(["Short answer: 9540GB\n", "Ans", "wer:", " It is", " 9540GB [1]."]) == "It is 9540GB [1]."
    )


def test_the_relay_passes_an_answer_without_a_label_from_the_first_piece():
    assert _filtered(["The", " bandwidth", " is 9540GB [1]."]) == "The bandwidth is 9540GB [1]."
    assert _filtered(["Sh", "ips", " carry it."]) == "Ships carry it."
