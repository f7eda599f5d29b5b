"""The settings object: defaults from DESIGN.md and overrides from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from lake.settings import Settings

pytestmark = pytest.mark.unit

_ENV = (
    "LAKE_URI", "REDIS_URL", "FEED_URL", "MASSIVE_API_KEY", "POLYGON_API_KEY", "FINNHUB_API_KEY",
    "FMP_API_KEY", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY", "AWS_ALLOW_HTTP", "TICKERLAKE_DATA_DIR", "TICKERLAKE_REDIS_PORT",
)  # fmt: skip


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file
    return monkeypatch


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.lake_uri == "./data/lake"
    assert settings.data_dir == Path("data")
    assert settings.redis_url is None
    assert settings.feed_url is None
    assert settings.synthetic_sources
    assert not settings.lake_is_s3
    assert settings.storage_options() == {}


def test_overrides(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LAKE_URI", "s3://bucket/prefix")
    clean_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    clean_env.setenv("AWS_REGION", "eu-west-1")
    clean_env.setenv("AWS_ACCESS_KEY_ID", "id")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:7000/0")
    clean_env.setenv("FEED_URL", "ws://127.0.0.1:8765")
    settings = Settings()
    assert settings.lake_is_s3
    assert settings.redis_url == "redis://127.0.0.1:7000/0"
    assert settings.feed_url == "ws://127.0.0.1:8765"
    assert settings.storage_options() == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "id",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_ALLOW_HTTP": "true",
    }


def test_polygon_key_is_an_alias_and_secrets_stay_hidden(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("POLYGON_API_KEY", "pk-very-secret")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "aws-very-secret")
    settings = Settings()
    assert settings.massive_api_key is not None
    assert settings.massive_api_key.get_secret_value() == "pk-very-secret"
    assert not settings.synthetic_sources
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "pk-very-secret" not in shown
    assert "aws-very-secret" not in shown


def test_dotenv_file_is_read(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LAKE_URI=/srv/lake\nFINNHUB_API_KEY=fh\n")
    settings = Settings()
    assert settings.lake_uri == "/srv/lake"
    assert settings.finnhub_api_key is not None
