"""The quarantine area and the validation log, in the lake (local folder or S3).

A failed batch goes to `<lake>/quarantine/<table>/<batch_id>/`:
- `data.parquet`: the batch as validated (contract columns plus the check columns,
  or the batch as received when its shape was wrong);
- `validation.json`: GX's validation result;
- `validation.html`: that result rendered by GX's Data Docs renderer
  (`ValidationResultsPageRenderer` + `DefaultJinjaPageView`, the page a Data Docs site
  shows for one validation). A Data Docs *site* is not used because its store
  backends cannot take the lake's S3 endpoint and credentials from our settings;
  rendering the page ourselves and writing it with pyarrow's filesystem works the
  same on a folder and on any S3-compatible store.

Every validation, passed or failed, appends a row to the Delta table
`quality/validation_results` (`lake.schemas.VALIDATION_RESULTS`) for the app's Data
Quality page, which reads it through `lake.quality`.
"""

from __future__ import annotations

from typing import Any

import orjson
import polars as pl
import pyarrow.fs as pafs

from expectations.report import ValidationReport
from lake import tables
from lake.schemas import VALIDATION_RESULTS
from lake.storage import is_s3, lake_root, storage_options


def quarantine_uri(table: str, batch_id: str, *, lake_uri: str | None = None) -> str:
    """Return the folder URI a batch of `table` is quarantined in."""
    return f"{lake_root(lake_uri)}/quarantine/{table}/{batch_id}"


def render_data_docs(gx_result: Any) -> str:
    """Return GX's Data Docs HTML page for one validation result
    (an `ExpectationSuiteValidationResult`)."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    document = ValidationResultsPageRenderer().render(gx_result)
    return DefaultJinjaPageView().render(document)


def write_quarantine(
    report: ValidationReport, frame: pl.DataFrame, *, lake_uri: str | None = None
) -> str:
    """Write the batch, its GX result JSON and its Data Docs page to the quarantine
    folder; return the folder URI."""
    folder = quarantine_uri(report.table, report.batch_id, lake_uri=lake_uri)
    filesystem, path = _filesystem(folder)
    filesystem.create_dir(path, recursive=True)
    with filesystem.open_output_stream(f"{path}/data.parquet") as sink:
        frame.write_parquet(sink)
    with filesystem.open_output_stream(f"{path}/validation.json") as sink:
        sink.write(orjson.dumps(report.gx_result, option=orjson.OPT_INDENT_2))
    with filesystem.open_output_stream(f"{path}/validation.html") as sink:
        sink.write(render_data_docs(report.gx_object).encode())
    return folder


def read_quarantined(table: str, batch_id: str, *, lake_uri: str | None = None) -> dict[str, Any]:
    """Return a quarantined batch: `data` (Polars frame), `result` (GX JSON), `html`."""
    folder = quarantine_uri(table, batch_id, lake_uri=lake_uri)
    filesystem, path = _filesystem(folder)
    with filesystem.open_input_file(f"{path}/data.parquet") as source:
        data = pl.read_parquet(source)
    with filesystem.open_input_stream(f"{path}/validation.json") as source:
        result = orjson.loads(source.read())
    with filesystem.open_input_stream(f"{path}/validation.html") as source:
        html = source.read().decode()
    return {"data": data, "result": result, "html": html}


def record_result(report: ValidationReport, *, lake_uri: str | None = None) -> None:
    """Append the report's summary row to `quality/validation_results`."""
    row = pl.DataFrame(
        [
            {
                "table": report.table,
                "batch_id": report.batch_id,
                "validated_at": report.validated_at,
                "success": report.success,
                "rows": report.rows,
                "evaluated": report.evaluated,
                "failed": len(report.failed),
                "warnings": len(report.warnings),
                "failed_expectations": _counts(report.failed),
                "warning_expectations": _counts(report.warnings),
                "quarantine_uri": report.quarantine_uri,
            }
        ],
        schema=VALIDATION_RESULTS.schema,
    )
    tables.write(VALIDATION_RESULTS, row, mode="append", lake_uri=lake_uri)


def _counts(checks: tuple[Any, ...]) -> str:
    return orjson.dumps({c.name: c.unexpected_count for c in checks}).decode()


def _filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """Return a pyarrow filesystem and the path inside it for a local or s3:// URI,
    configured from the lake's storage options (endpoint, region, keys)."""
    if not is_s3(uri):
        return pafs.LocalFileSystem(), uri
    options = {k.upper(): v for k, v in storage_options(uri).items()}
    endpoint = options.get("AWS_ENDPOINT_URL")
    scheme = "https"
    if endpoint is not None and endpoint.startswith("http://"):
        scheme = "http"
    filesystem = pafs.S3FileSystem(
        access_key=options.get("AWS_ACCESS_KEY_ID"),
        secret_key=options.get("AWS_SECRET_ACCESS_KEY"),
        region=options.get("AWS_REGION"),
        endpoint_override=endpoint.split("://", 1)[-1] if endpoint else None,
        scheme=scheme,
    )
    return filesystem, uri.split("://", 1)[1]
