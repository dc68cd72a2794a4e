"""The answer policy: defaults, overrides from a file, clear errors, a fingerprint that moves."""

from __future__ import annotations

import pytest

from qa.answer.policy import DEFAULT_POLICY, load_policy
from qa.errors import ConfigError


def test_defaults_without_a_file():
    assert load_policy(None) is DEFAULT_POLICY


def test_overrides_from_json_and_toml(tmp_path):
    (tmp_path / "p.json").write_text('{"w_soft": 0.5, "min_support": {"zh": 0.7, "en": 0.6}}')
    (tmp_path / "p.toml").write_text("nearest_shown = 1\n")
    policy = load_policy(tmp_path / "p.json")
    assert policy.w_soft == 0.5 and policy.support_bar("zh", wants_figure=False) == 0.7
    assert policy.w_kind == DEFAULT_POLICY.w_kind  # the rest keeps its defaults
    assert load_policy(tmp_path / "p.toml").nearest_shown == 1
    assert policy.fingerprint() != DEFAULT_POLICY.fingerprint()


@pytest.mark.parametrize(
    ("content", "message"),
    [('{"w_sfot": 1}', "w_sfot"), ('{"w_soft": "high"}', "w_soft"), ("{not json", "not valid")],
)
def test_bad_files_name_the_setting_and_the_problem(tmp_path, content, message):
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    assert "QA_ANSWER_POLICY" in caught.value.detail and message in caught.value.detail


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_policy(tmp_path / "nope.json")


def test_bars_by_language_and_kind():
    policy = DEFAULT_POLICY.model_copy(
        update={"min_support": {"zh": 0.1, "en": 0.2}, "min_support_value": {"zh": 0.3, "en": 0.4}}
    )
    assert [policy.support_bar(lang, fig) for lang in ("zh", "en") for fig in (False, True)] == [
        0.1,
        0.3,
        0.2,
        0.4,
    ]
    assert policy.support_bar("fr", False) == 0.1  # a language without a bar of its own gets Chinese's


def test_a_misspelt_generative_refusal_check_is_refused(tmp_path):
    """A check name the candidates never get would silently let the model answer more."""
    path = tmp_path / "p.toml"
    path.write_text('generative_refusals = ["subject", "suport"]\n')
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    assert "generative_refusals" in caught.value.detail and "suport" in caught.value.detail
    path.write_text('generative_refusals = ["subject", "terms"]\n')
    assert load_policy(path).generative_refusals == ("subject", "terms")
