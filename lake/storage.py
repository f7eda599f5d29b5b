"""Where the lake lives: table URIs and object-store options, local folder or S3 alike.

Concurrent writers on S3: delta-rs 1.x commits a new table version by creating the
`_delta_log/<version>.json` object with a conditional put (`If-None-Match: *`), so two
writers racing for the same version cannot both succeed; the loser re-reads the log,
checks for conflicts and retries at the next version. AWS S3 has supported conditional
writes since 2024 and delta-rs 1.x dropped the DynamoDB locking provider
(`AWS_S3_LOCKING_PROVIDER=dynamodb`) in their favour. We set `aws_conditional_put=etag`
explicitly so the guarantee does not depend on a library default, and we never set
`AWS_S3_ALLOW_UNSAFE_RENAME`. S3-compatible stores must support conditional puts
(MinIO, Cloudflare R2 and recent moto do).
"""

from __future__ import annotations

from pathlib import Path

from lake.schemas import TableContract
from lake.settings import Settings, get_settings


def lake_root(lake_uri: str | None = None) -> str:
    """Return the lake's root URI: `lake_uri` if given, else `LAKE_URI` from the settings.

    Local folders come back as absolute paths so table handles stay valid when the
    working directory changes.
    """
    uri = lake_uri if lake_uri is not None else get_settings().lake_uri
    if is_s3(uri):
        return uri.rstrip("/")
    return str(Path(uri).expanduser().resolve())


def is_s3(uri: str) -> bool:
    """True for `s3://` (and `s3a://`) URIs."""
    return uri.startswith(("s3://", "s3a://"))


def table_uri(contract: TableContract, *, lake_uri: str | None = None) -> str:
    """Return the URI of `contract`'s table, e.g. `<lake>/silver/daily_bars`."""
    return f"{lake_root(lake_uri)}/{contract.path}"


def storage_options(uri: str, settings: Settings | None = None) -> dict[str, str]:
    """Return delta-rs/object_store options for a lake or table URI (empty when local).

    The one place storage options are built. Endpoint, region and keys come from
    `settings` (default: `get_settings()`, i.e. the standard AWS variables of the
    environment or `.env`); pass a `Settings` to build them for another configuration.
    Keys are object_store's upper-case names, plus `aws_conditional_put=etag`, which makes
    concurrent commits safe (see the module docstring).
    """
    if not is_s3(uri):
        return {}
    settings = settings if settings is not None else get_settings()
    options: dict[str, str] = {}
    if settings.aws_endpoint_url:
        options["AWS_ENDPOINT_URL"] = settings.aws_endpoint_url
    if settings.aws_region:
        options["AWS_REGION"] = settings.aws_region
    if settings.aws_access_key_id:
        options["AWS_ACCESS_KEY_ID"] = settings.aws_access_key_id
    if settings.aws_secret_access_key is not None:
        options["AWS_SECRET_ACCESS_KEY"] = settings.aws_secret_access_key.get_secret_value()
    if settings.aws_allow_http or (settings.aws_endpoint_url or "").startswith("http://"):
        options["AWS_ALLOW_HTTP"] = "true"
    options["aws_conditional_put"] = "etag"
    return options
