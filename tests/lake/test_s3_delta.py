"""A Delta table written with deltalake to the loopback S3 endpoint reads back with Polars."""

from __future__ import annotations

from datetime import date

import boto3
import polars as pl
import pytest
from deltalake import DeltaTable, write_deltalake
from polars.testing import assert_frame_equal

from lake.settings import get_settings
from lake.storage import storage_options

pytestmark = pytest.mark.integration


def test_delta_round_trip_on_s3(s3_lake_uri: str, s3_endpoint: str) -> None:
    settings = get_settings()
    assert settings.lake_uri == s3_lake_uri
    options = storage_options(s3_lake_uri, settings)
    assert options["AWS_ENDPOINT_URL"] == s3_endpoint
    uri = f"{s3_lake_uri}/silver/example"
    frame = pl.DataFrame(
        {
            "ticker": ["AAA", "AAA", "BBB"],
            "date": [date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 2)],
            "close": [10.0, 10.5, 99.0],
        }
    )
    write_deltalake(uri, frame.to_arrow(), storage_options=options)
    write_deltalake(
        uri,
        frame.head(1).with_columns(close=pl.lit(11.0)).to_arrow(),
        mode="append",
        storage_options=options,
    )

    table = DeltaTable(uri, storage_options=options)
    assert table.version() == 1
    back = pl.read_delta(uri, storage_options=options).sort("ticker", "date", "close")
    expected = pl.concat([frame, frame.head(1).with_columns(close=pl.lit(11.0))]).sort(
        "ticker", "date", "close"
    )
    assert_frame_equal(back, expected)

    # The objects really are on the endpoint, not on the local disk.
    bucket, _, prefix = s3_lake_uri.removeprefix("s3://").partition("/")
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
    assert any(k.endswith("_delta_log/00000000000000000000.json") for k in keys)
    assert any(k.endswith(".parquet") for k in keys)
