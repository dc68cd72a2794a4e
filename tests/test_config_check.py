"""Settings problems in the operator's terms: variable names, values and choices on one line."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from qa.config import Settings, get_settings
from qa.config_check import explain, unknown_variables
from qa.errors import ConfigError


def _explained(**env: str) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, **env)  # type: ignore[arg-type]
    return explain(caught.value, Settings)


@pytest.mark.parametrize(
    ("field", "value", "line"),
    [
        ("search_mode", "hybird", "invalid setting QA_SEARCH_MODE='hybird': use one of dense, bm25, hybrid"),
        ("embed_backend", "tf", "invalid setting QA_EMBED_BACKEND='tf': use one of torch, onnx"),
        ("rebuild_on_start", "maybe", "invalid setting QA_REBUILD_ON_START='maybe': use true or false"),
        ("port", "0", "invalid setting QA_PORT='0': input should be greater than or equal to 1"),
        (
            "cors_origins",
            "example.com",
            "invalid setting QA_CORS_ORIGINS='example.com': not an origin (scheme://host[:port]): "
            "example.com",
        ),
    ],
)
def test_a_bad_value_names_variable_value_and_what_is_valid(field, value, line):
    explained = _explained(**{field: value})
    assert explained == line
    assert "\n" not in explained and "pydantic" not in explained and "search_mode" not in explained


def test_several_bad_values_stay_on_one_line():
    explained = _explained(search_mode="x", top_k="many")
    assert "\n" not in explained
    assert "QA_SEARCH_MODE='x'" in explained and "QA_TOP_K='many'" in explained


def test_a_secret_value_is_never_repeated():
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, api_keys=["not", "a", "string"])  # type: ignore[arg-type]
    explained = explain(caught.value, Settings)
    assert explained.startswith("invalid setting QA_API_KEYS:") and "not" not in explained.split(":")[1]


def test_get_settings_raises_one_config_error(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_SEARCH_MODE", "hybird")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"^invalid setting QA_SEARCH_MODE='hybird'"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_unknown_variables_get_the_closest_valid_name(tmp_path):
    env = {"QA_SERCH_MODE": "bm25", "qa_top_k": "3", "QA_TOP_K": "3", "QA_LOADTEST_API_KEY": "k", "PATH": "/"}
    assert unknown_variables(Settings, env, env_file=None) == [
        "warning: QA_SERCH_MODE is not a setting and is ignored; did you mean QA_SEARCH_MODE?"
    ]
    far = unknown_variables(Settings, {"QA_ZZZZZZZZZ": "1"}, env_file=None)
    assert far == ["warning: QA_ZZZZZZZZZ is not a setting and is ignored; "
                   "the settings are listed in README.md (Configuration)"]  # fmt: skip


def test_unknown_names_in_the_env_file_are_warned_about_too(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("QA_MAX_INFLIGHT=8\nOTHER=1\n")
    assert unknown_variables(Settings, {}, env_file=env_file) == [
        "warning: QA_MAX_INFLIGHT is not a setting and is ignored; did you mean QA_MAX_IN_FLIGHT?"
    ]


def test_get_settings_logs_the_warning(monkeypatch, tmp_path, caplog):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_TOPK", "3")
    get_settings.cache_clear()
    try:
        get_settings()
    finally:
        get_settings.cache_clear()
    assert "QA_TOPK is not a setting and is ignored; did you mean QA_TOP_K?" in caplog.text
