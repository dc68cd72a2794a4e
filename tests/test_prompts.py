"""The repair wording of the grounding guard, read from prompts/generate.toml."""

from __future__ import annotations

import pytest

from qa.config import ROOT
from qa.errors import ConfigError
from qa.prompts import GUARD_KINDS, load_guard_wording


def test_the_shipped_wording_has_advice_for_every_kind_in_both_languages():
    wording = load_guard_wording(ROOT / "prompts")
    for language in ("zh", "en"):
        assert set(wording[language].advice) == set(GUARD_KINDS)
        assert wording[language].item.format(detail="X") == "- X"


def test_a_missing_key_names_the_table(tmp_path):
    (tmp_path / "generate.toml").write_text(
        '[guard.zh]\nitem = "{detail}"\n[guard.en]\nitem = "{detail}"\n', encoding="utf-8"
    )
    expected = r"\[guard\.zh\] lacks citation, figure, qualifier, name, short_answer"
    with pytest.raises(ConfigError, match=expected):
        load_guard_wording(tmp_path)


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="generation prompts not found"):
        load_guard_wording(tmp_path)
