"""The one settings object: every knob comes from the environment (or `.env`).

Secrets are `SecretStr`, so they never show in a repr, a log line or a traceback.

Values are checked when read; `get_settings()` turns any bad value into one
`ConfigError` line naming the variable (never a pydantic report, never a secret):

- `LAKE_URI`: a local folder (plain path or `file:///abs/path`) or `s3://bucket[/prefix]`
  (`s3a://` too). Any other scheme (`gs://`, `http://`, `s3:/bucket`, `s3://`) is refused,
  never taken as a folder name.
- `FEED_URL`: `ws://` or `wss://` with a host (and a port in 1..65535 if given).
- `REDIS_URL`: `redis://`, `rediss://` or `unix://`. `FEED_URL` and `REDIS_URL` set to an
  empty string count as unset.
- Provider base URLs and `AWS_ENDPOINT_URL`: `http://` or `https://` with a host.
- `TICKERLAKE_REDIS_PORT`: 0..65535 (default 6390; 0 picks a free loopback port).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lake.errors import ConfigError, shown

# A provider rate limit: a plan (`free`, `paid`), `unlimited`, or `N/period[,N/period...]`
# (pipelines.sources.rate_limit parses it; lake/ imports nothing of ours).
_PERIOD = "(second|minute|hour|day)"
_RATE_LIMIT = rf"^(free|paid|unlimited|[0-9]+/{_PERIOD}(,[0-9]+/{_PERIOD})*)$"

# A URI scheme (two characters or more, so a Windows drive letter is not one).
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
# S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Variables whose value may hold a secret: an error never echoes them.
_SECRET_VARIABLES = frozenset(
    {
        "REDIS_URL",
        "MASSIVE_API_KEY",
        "POLYGON_API_KEY",
        "FINNHUB_API_KEY",
        "FMP_API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "ALERT_WEBHOOK_URL",
    }
)


class Settings(BaseSettings):
    """Tickerlake configuration, read from environment variables (see `.env.example`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        default=Path("./data"),
        validation_alias=AliasChoices("TICKERLAKE_DATA_DIR", "DATA_DIR"),
        description="Runtime state: embedded services' pid files and logs, Airflow home.",
    )
    lake_uri: str = Field(
        default="./data/lake",
        validation_alias="LAKE_URI",
        description="A local folder, or s3://bucket/prefix.",
    )

    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    aws_region: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    aws_access_key_id: str | None = Field(default=None, validation_alias="AWS_ACCESS_KEY_ID")
    aws_secret_access_key: SecretStr | None = Field(
        default=None, validation_alias="AWS_SECRET_ACCESS_KEY"
    )
    aws_allow_http: bool = Field(default=False, validation_alias="AWS_ALLOW_HTTP")

    redis_url: str | None = Field(
        default=None,
        validation_alias="REDIS_URL",
        description="Unset: the embedded Redis that `tickerlake services up` starts.",
    )
    redis_port: int = Field(
        default=6390,  # clear of a system Redis on 6379; fixed, so restarts keep the address
        ge=0,
        le=65535,
        validation_alias="TICKERLAKE_REDIS_PORT",
        description="Port of the embedded Redis on 127.0.0.1; 0 picks a free one at each start.",
    )

    massive_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("MASSIVE_API_KEY", "POLYGON_API_KEY")
    )
    finnhub_api_key: SecretStr | None = Field(default=None, validation_alias="FINNHUB_API_KEY")
    fmp_api_key: SecretStr | None = Field(default=None, validation_alias="FMP_API_KEY")
    synthetic: bool | None = Field(
        default=None,
        validation_alias="TICKERLAKE_SYNTHETIC",
        description=(
            "Unset: the synthetic market serves every dataset when no provider key is set,"
            " none otherwise. true: it serves every dataset whose key is not set."
            " false: never (datasets without a key are skipped)."
        ),
    )
    massive_base_url: str = Field(
        default="https://api.massive.com", validation_alias="MASSIVE_BASE_URL"
    )
    finnhub_base_url: str = Field(
        default="https://finnhub.io/api/v1", validation_alias="FINNHUB_BASE_URL"
    )
    fmp_base_url: str = Field(
        default="https://financialmodelingprep.com", validation_alias="FMP_BASE_URL"
    )
    # Client-side request limits per provider: `free` or `paid` (the plan's documented
    # limits, see README "Provider limits"), `unlimited`, or `N/period[,N/period...]`.
    massive_rate_limit: str = Field(
        default="free", validation_alias="MASSIVE_RATE_LIMIT", pattern=_RATE_LIMIT
    )
    finnhub_rate_limit: str = Field(
        default="free", validation_alias="FINNHUB_RATE_LIMIT", pattern=_RATE_LIMIT
    )
    fmp_rate_limit: str = Field(
        default="free", validation_alias="FMP_RATE_LIMIT", pattern=_RATE_LIMIT
    )
    ticker_details_max_age_days: int = Field(
        default=7,
        ge=0,
        validation_alias="TICKER_DETAILS_MAX_AGE_DAYS",
        description="Refetch a provider's ticker details only when the last fetch is this "
        "many days old (0: on every load).",
    )

    feed_url: str | None = Field(
        default=None,
        validation_alias="FEED_URL",
        description="Unset: the local market simulator.",
    )
    alert_webhook_url: SecretStr | None = Field(default=None, validation_alias="ALERT_WEBHOOK_URL")

    @field_validator("lake_uri", mode="before")
    @classmethod
    def _check_lake_uri(cls, value: object) -> object:
        return check_lake_uri(value) if isinstance(value, str) else value

    @field_validator("feed_url", "redis_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("feed_url")
    @classmethod
    def _check_feed_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value, ("ws", "wss"))

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if urlsplit(value.strip()).scheme.lower() == "unix":  # unix:///path/to/socket: no host
            return value.strip()
        return check_url(value, ("redis", "rediss", "unix"))

    @field_validator("aws_endpoint_url", "massive_base_url", "finnhub_base_url", "fmp_base_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value, ("http", "https"))

    @property
    def lake_is_s3(self) -> bool:
        """True when the lake lives on S3 (or an S3-compatible store); its storage options
        come from `lake.storage.storage_options`."""
        return self.lake_uri.startswith(("s3://", "s3a://"))

    @property
    def synthetic_sources(self) -> bool:
        """True when no provider key is set: the synthetic market stands in for every source."""
        return (
            self.massive_api_key is None
            and self.finnhub_api_key is None
            and self.fmp_api_key is None
        )


def check_lake_uri(text: str) -> str:
    """Return `text` as a lake location: a local folder path (a `file://` URI becomes its
    path) or `s3://bucket[/prefix]` without a trailing slash. Raise `ValueError` saying
    what is wrong for an empty value, an unknown scheme or a malformed S3 URI."""
    uri = text.strip()
    if not uri:
        raise ValueError("empty; unset it for ./data/lake, or set a folder or s3://bucket/prefix")
    match = _SCHEME.match(uri)
    if match is None:
        return uri
    scheme = match.group(1).lower()
    parts = urlsplit(uri)
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise ValueError("not a file URI; write file:///absolute/path or a plain folder path")
        return parts.path
    if scheme in ("s3", "s3a"):
        if not uri.lower().startswith(f"{scheme}://") or not _BUCKET.match(parts.netloc):
            raise ValueError(
                "not an S3 location; write s3://bucket or s3://bucket/prefix "
                "(bucket: 3-63 lowercase letters, digits, dots, hyphens)"
            )
        return f"{scheme}://{parts.netloc}{parts.path}".rstrip("/")
    raise ValueError(
        f"unsupported scheme {scheme}:// (never read as a folder); use a local folder, "
        "file:///absolute/path or s3://bucket/prefix"
    )


def check_url(text: str, schemes: tuple[str, ...]) -> str:
    """Return `text` (stripped) when it is a URL with one of `schemes`, a host, and a valid
    port if it names one; raise `ValueError` naming what is wrong (the value itself is not
    echoed: it may hold a password)."""
    url = text.strip()
    parts = urlsplit(url)
    allowed = " or ".join(f"{scheme}://" for scheme in schemes)
    if parts.scheme.lower() not in schemes or not url.lower().startswith(f"{parts.scheme}://"):
        shown_scheme = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise ValueError(f"must start with {allowed} (it has {shown_scheme})")
    if not parts.hostname:
        raise ValueError(f"no host; write e.g. {schemes[0]}://host:port")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("port outside 1..65535 (or not a number)")
    return url


def settings_problem(error: ValidationError) -> str:
    """Return one line naming each bad variable in `error` and what is wrong with it
    (values of variables that may hold a secret are never shown)."""
    problems = []
    for item in error.errors(include_url=False):
        variable = ".".join(str(part) for part in item["loc"]) or "a setting"
        message = str(item["msg"]).removeprefix("Value error, ")
        raw = item.get("input")
        if variable not in _SECRET_VARIABLES and isinstance(raw, str):
            variable = f"{variable}={shown(raw)}"
        problems.append(f"{variable}: {message[:1].lower()}{message[1:]}")
    return (
        "bad setting: "
        + "; ".join(problems)
        + " — fix it in the environment or .env (see .env.example)"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once; call `get_settings.cache_clear()` to re-read).

    Raises `ConfigError` (one line naming the variable) when a value is bad.
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(settings_problem(exc)) from None
