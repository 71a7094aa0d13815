"""generation.config: settings from env and flags; the key only from the environment."""

from __future__ import annotations

import pytest

from generation.config import ConfigError, config_from_env, safe_url
from generation.redact import Secret


def test_defaults_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "MMFACTORY_BASE_URL": "http://gpu:8000/v1",
        "MMFACTORY_MODEL": "m1",
        "MMFACTORY_JUDGE_MODEL": "judge-72b",
        "MMFACTORY_CONCURRENCY": "16",
        "MMFACTORY_BATCH_SIZE": "8",
        "MMFACTORY_API_KEY": "sk-envkey-123456789",
    }
    cfg = config_from_env("recaption", env=env)
    assert (cfg.base_url, cfg.model, cfg.concurrency, cfg.batch_size) == (
        "http://gpu:8000/v1",
        "m1",
        16,
        8,
    )
    assert config_from_env("judge", env=env).model == "judge-72b"
    assert cfg.api_key.reveal() == "sk-envkey-123456789"
    assert (
        config_from_env(env={"OPENAI_API_KEY": "sk-openai-12345678"}).api_key.reveal()
        == "sk-openai-12345678"
    )
    assert not config_from_env(env={}).api_key


def test_flags_override_env_and_sampling_goes_to_sampling() -> None:
    cfg = config_from_env(
        env={"MMFACTORY_MODEL": "m1"}, model="m2", temperature=0.9, seed=7, concurrency=None
    )
    assert cfg.model == "m2" and cfg.sampling.temperature == 0.9 and cfg.sampling.seed == 7
    assert cfg.concurrency == 8  # None keeps the default


def test_key_is_never_a_flag_and_never_printed() -> None:
    with pytest.raises(ConfigError, match="only from the environment"):
        config_from_env(env={}, api_key="sk-flag-123456789")
    cfg = config_from_env(env={"MMFACTORY_API_KEY": "sk-hidden-123456789"})
    assert "sk-hidden" not in repr(cfg) and "sk-hidden" not in str(cfg.api_key)
    assert repr(Secret("sk-hidden-123456789")) == "Secret('***')"


def test_bad_values_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="MMFACTORY_CONCURRENCY='many'"):
        config_from_env(env={"MMFACTORY_CONCURRENCY": "many"})
    with pytest.raises(ConfigError, match="concurrency must be >= 1"):
        config_from_env(env={}, concurrency=0)
    with pytest.raises(ConfigError, match="base_url"):
        config_from_env(env={}, base_url="gpu:8000")


def test_safe_url_drops_credentials_and_query() -> None:
    assert (
        safe_url("https://user:pw@host.example:8443/v1?key=abc#x") == "https://host.example:8443/v1"
    )
