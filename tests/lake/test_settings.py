"""The settings object: defaults from DESIGN.md and overrides from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from lake.errors import ConfigError
from lake.settings import Settings, get_settings
from lake.storage import storage_options

pytestmark = pytest.mark.unit

_ENV = (
    "LAKE_URI",
    "REDIS_URL",
    "FEED_URL",
    "MASSIVE_API_KEY",
    "POLYGON_API_KEY",
    "FINNHUB_API_KEY",
    "FMP_API_KEY",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ALLOW_HTTP",
    "TICKERLAKE_DATA_DIR",
    "TICKERLAKE_REDIS_PORT",
)


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
    assert storage_options(settings.lake_uri, settings) == {}


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
    assert storage_options(settings.lake_uri, settings) == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "id",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_ALLOW_HTTP": "true",
        "aws_conditional_put": "etag",
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


# --- bad values: one ConfigError line naming the variable --------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        (
            "TICKERLAKE_REDIS_PORT",
            "abc",
            "TICKERLAKE_REDIS_PORT='abc': input should be a valid integer",
        ),
        (
            "TICKERLAKE_REDIS_PORT",
            "-1",
            "TICKERLAKE_REDIS_PORT='-1': input should be greater than or equal to 0",
        ),
        ("TICKERLAKE_REDIS_PORT", "65536", "TICKERLAKE_REDIS_PORT='65536'"),
        ("TICKERLAKE_REDIS_PORT", "٣", "TICKERLAKE_REDIS_PORT"),
        ("LAKE_URI", "gs://bucket/lake", "LAKE_URI='gs://bucket/lake': unsupported scheme gs://"),
        ("LAKE_URI", "http://x", "unsupported scheme http://"),
        ("LAKE_URI", "s3:/bucket", "LAKE_URI='s3:/bucket': not an S3 location"),
        ("LAKE_URI", "s3://", "not an S3 location"),
        ("LAKE_URI", "s3://Bad_Bucket/x", "not an S3 location"),
        ("LAKE_URI", "s3:bucket", "not an S3 location"),
        ("LAKE_URI", "file://host/share", "not a file URI"),
        ("LAKE_URI", "   ", "LAKE_URI='   ': empty"),
        (
            "FEED_URL",
            "http://example.com",
            "FEED_URL='http://example.com': must start with ws:// or wss://",
        ),
        ("FEED_URL", "ws://", "FEED_URL='ws://': no host"),
        ("FEED_URL", "ws://host:99999", "port outside 1..65535"),
        ("FEED_URL", "[/]", "must start with ws:// or wss:// (it has no scheme)"),
        ("MASSIVE_BASE_URL", "ftp://example.com", "MASSIVE_BASE_URL='ftp://example.com'"),
        ("AWS_ENDPOINT_URL", "127.0.0.1:9000", "AWS_ENDPOINT_URL='127.0.0.1:9000'"),
        ("AWS_ALLOW_HTTP", "maybe", "AWS_ALLOW_HTTP='maybe': input should be a valid boolean"),
    ],
)
def test_a_bad_value_is_one_config_error_line_naming_the_variable(
    clean_env: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    clean_env.setenv(variable, value)

    with pytest.raises(ConfigError) as raised:
        get_settings()

    message = str(raised.value)
    assert named in message
    assert "\n" not in message
    assert "pydantic" not in message and "validation error" not in message
    assert raised.value.exit_code == 2


def test_two_bad_values_are_both_named_on_the_one_line(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TICKERLAKE_REDIS_PORT", "abc")
    clean_env.setenv("LAKE_URI", "gs://x")

    with pytest.raises(ConfigError) as raised:
        get_settings()
    message = str(raised.value)
    assert "TICKERLAKE_REDIS_PORT='abc'" in message and "LAKE_URI='gs://x'" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REDIS_URL", "http://user:hunter2@example.com:6379"),
        ("REDIS_URL", "redis://:hunter2@example.com:99999"),
    ],
)
def test_a_bad_redis_url_is_named_without_its_password(
    clean_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    clean_env.setenv(variable, value)

    with pytest.raises(ConfigError, match=variable) as raised:
        get_settings()
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize(
    ("value", "stored", "on_s3"),
    [
        ("./data/lake", "./data/lake", False),
        ("/srv/lake", "/srv/lake", False),
        ("file:///srv/lake", "/srv/lake", False),
        ("file://localhost/srv/lake", "/srv/lake", False),
        ("s3://bucket", "s3://bucket", True),
        ("s3://my-bucket/some/prefix/", "s3://my-bucket/some/prefix", True),
        ("s3a://bucket/prefix", "s3a://bucket/prefix", True),
    ],
)
def test_accepted_lake_uris(
    clean_env: pytest.MonkeyPatch, value: str, stored: str, on_s3: bool
) -> None:
    clean_env.setenv("LAKE_URI", value)

    settings = get_settings()

    assert settings.lake_uri == stored
    assert settings.lake_is_s3 is on_s3


def test_accepted_urls_and_ports(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FEED_URL", "wss://socket.massive.com/stocks")
    clean_env.setenv("REDIS_URL", "rediss://:pw@redis.example.com:6380/0")
    clean_env.setenv("TICKERLAKE_REDIS_PORT", "0")  # 0: pick a free port
    clean_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")

    settings = get_settings()

    assert settings.feed_url == "wss://socket.massive.com/stocks"
    assert settings.redis_url == "rediss://:pw@redis.example.com:6380/0"
    assert settings.redis_port == 0


def test_empty_feed_and_redis_urls_count_as_unset(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FEED_URL", "")
    clean_env.setenv("REDIS_URL", " ")

    settings = get_settings()

    assert settings.feed_url is None
    assert settings.redis_url is None


def test_a_bad_value_in_dotenv_is_named_too(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LAKE_URI=gs://elsewhere\n")

    with pytest.raises(ConfigError, match="LAKE_URI='gs://elsewhere': unsupported scheme"):
        get_settings()
