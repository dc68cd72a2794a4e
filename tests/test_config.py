"""Settings: validation and QA_* environment overrides."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from qa.config import ROOT, SearchMode, Settings, get_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.upper().startswith("QA_"):
            monkeypatch.delenv(name)


def test_defaults():
    settings = Settings(_env_file=None)
    assert settings.chunk_size == 300
    assert settings.chunk_overlap == 60
    assert settings.search_mode is SearchMode.HYBRID
    assert settings.corpus_dir == ROOT / "corpus"
    assert settings.embed_dim is None


@pytest.mark.parametrize(("size", "overlap"), [(100, 100), (100, 150), (50, 60)])
def test_overlap_not_smaller_than_size_rejected(size, overlap):
    with pytest.raises(ValidationError, match="QA_CHUNK_OVERLAP"):
        Settings(chunk_size=size, chunk_overlap=overlap, _env_file=None)


def test_overlap_just_below_size_accepted():
    assert Settings(chunk_size=100, chunk_overlap=99, _env_file=None).chunk_overlap == 99


@pytest.mark.parametrize(
    ("field", "value"),
    [("chunk_size", 10), ("top_k", 0), ("top_k", 21), ("port", 0), ("chunk_overlap", -1)],
)
def test_out_of_range_values_rejected(field, value):
    with pytest.raises(ValidationError):
        Settings(**{field: value}, _env_file=None)


def test_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_CHUNK_SIZE", "500")
    monkeypatch.setenv("QA_CHUNK_OVERLAP", "100")
    monkeypatch.setenv("QA_SEARCH_MODE", "bm25")
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv("QA_EMBED_DIM", "256")
    monkeypatch.setenv("QA_REBUILD_ON_START", "false")
    settings = Settings(_env_file=None)
    assert settings.chunk_size == 500
    assert settings.chunk_overlap == 100
    assert settings.search_mode is SearchMode.BM25
    assert settings.index_dir == tmp_path / "idx"
    assert settings.embed_dim == 256
    assert settings.rebuild_on_start is False


def test_env_is_case_insensitive_and_validated(monkeypatch):
    monkeypatch.setenv("qa_top_k", "7")
    assert Settings(_env_file=None).top_k == 7
    monkeypatch.setenv("QA_TOP_K", "99")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_env_overlap_check_applies(monkeypatch):
    monkeypatch.setenv("QA_CHUNK_SIZE", "100")
    monkeypatch.setenv("QA_CHUNK_OVERLAP", "100")
    with pytest.raises(ValidationError, match="QA_CHUNK_OVERLAP"):
        Settings(_env_file=None)


def test_explicit_arguments_beat_env(monkeypatch):
    monkeypatch.setenv("QA_TOP_K", "7")
    assert Settings(top_k=3, _env_file=None).top_k == 3


def test_env_file(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("QA_TOP_K=9\nQA_RRF_K=10\nUNRELATED=1\n")
    settings = Settings(_env_file=env_file)
    assert settings.top_k == 9
    assert settings.rrf_k == 10
    monkeypatch.setenv("QA_TOP_K", "4")
    assert Settings(_env_file=env_file).top_k == 4  # the environment wins over .env


def test_index_params_track_index_shaping_settings():
    base = Settings(_env_file=None)
    params = base.index_params()
    expected = {"chunk_size": 300, "chunk_overlap": 60, "heading_max_chars": 24, "embed_dim": None}
    assert {key: params.get(key) for key in expected} == expected
    assert Settings(chunk_size=400, _env_file=None).index_params() != base.index_params()
    # query-time settings do not make the index stale
    assert Settings(top_k=9, rrf_k=5, _env_file=None).index_params() == base.index_params()


def test_get_settings_is_cached():
    get_settings.cache_clear()
    try:
        assert get_settings() is get_settings()
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("raw", "proxies"),
    [
        ("", []),
        ("127.0.0.1", ["127.0.0.1"]),
        (" 10.0.0.5, 192.168.0.0/16 ,::1", ["10.0.0.5", "192.168.0.0/16", "::1"]),
        ('["10.0.0.5", "fd00::/8"]', ["10.0.0.5", "fd00::/8"]),
        ("*", ["*"]),
        ("10.0.0.5,*", ["*"]),
    ],
)
def test_forwarded_allow_ips_from_env(monkeypatch, raw, proxies):
    assert Settings(_env_file=None).forwarded_allow_ips == []  # no proxy believed by default
    monkeypatch.setenv("QA_FORWARDED_ALLOW_IPS", raw)
    assert Settings(_env_file=None).forwarded_allow_ips == proxies


@pytest.mark.parametrize("raw", ["localhost", "10.0.0.1/8", "10.0.0.256", "unix:/tmp/sock"])
def test_forwarded_allow_ips_rejects_what_is_not_an_address_or_network(monkeypatch, raw):
    monkeypatch.setenv("QA_FORWARDED_ALLOW_IPS", raw)
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(_env_file=None)
