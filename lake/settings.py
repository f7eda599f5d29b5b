"""The one settings object: every knob comes from the environment (or `.env`).

Secrets are `SecretStr`, so they never show in a repr, a log line or a traceback.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# A provider rate limit: a plan (`free`, `paid`), `unlimited`, or `N/period[,N/period...]`
# (pipelines.sources.rate_limit parses it; lake/ imports nothing of ours).
_PERIOD = "(second|minute|hour|day)"
_RATE_LIMIT = rf"^(free|paid|unlimited|[0-9]+/{_PERIOD}(,[0-9]+/{_PERIOD})*)$"


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

    @property
    def lake_is_s3(self) -> bool:
        """True when the lake lives on S3 (or an S3-compatible store)."""
        return self.lake_uri.startswith("s3://")

    def storage_options(self) -> dict[str, str]:
        """Return delta-rs/object_store storage options for the lake (empty for a local folder)."""
        if not self.lake_is_s3:
            return {}
        options: dict[str, str] = {}
        if self.aws_endpoint_url:
            options["AWS_ENDPOINT_URL"] = self.aws_endpoint_url
        if self.aws_region:
            options["AWS_REGION"] = self.aws_region
        if self.aws_access_key_id:
            options["AWS_ACCESS_KEY_ID"] = self.aws_access_key_id
        if self.aws_secret_access_key is not None:
            options["AWS_SECRET_ACCESS_KEY"] = self.aws_secret_access_key.get_secret_value()
        if self.aws_allow_http or (self.aws_endpoint_url or "").startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"
        return options

    @property
    def synthetic_sources(self) -> bool:
        """True when no provider key is set: the synthetic market stands in for every source."""
        return (
            self.massive_api_key is None
            and self.finnhub_api_key is None
            and self.fmp_api_key is None
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once; call `get_settings.cache_clear()` to re-read)."""
    return Settings()
