"""Run a table's GX suite on a batch: shape first, then the row and cross-row checks.

Polars frames are not a GX datasource, so the checked columns go to GX as a pandas
dataframe asset (one ephemeral context per process). Cross-row facts are computed in
Polars first (`expectations.flags`), so GX validates plain columns: 2.5 M bars take a
few seconds (see benchmarks/bench_expectations.py).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
import polars as pl

from expectations.context import ValidationContext
from expectations.flags import daily_bars_flags, expected_tickers, split_flags
from expectations.report import CheckResult, ValidationReport
from expectations.suites import build_schema_suite, build_suite
from lake.schemas import DAILY_BARS, SPLITS, TableContract

# Offending rows listed per check in the result (and in its Data Docs page).
EXAMPLES_PER_CHECK = 20

_gx_lock = threading.Lock()


@lru_cache(maxsize=1)
def _batch_definition() -> Any:
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("tickerlake").add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole batch")


def run_gx(
    suite: Any, frame: pl.DataFrame, *, index_columns: list[str]
) -> tuple[dict[str, Any], Any]:
    """Validate `frame` (Polars, converted to pandas) against a GX suite; return GX's
    result as a JSON-able dict (`ExpectationSuiteValidationResult.to_json_dict()`)
    and the result object itself, listing up to EXAMPLES_PER_CHECK offending rows by
    `index_columns`."""
    pandas_frame = frame.to_pandas()
    result_format = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": EXAMPLES_PER_CHECK,
        "unexpected_index_column_names": index_columns,
    }
    with _gx_lock:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": pandas_frame})
        result = batch.validate(suite, result_format=result_format)
    # Round-trip through orjson so dates and numpy scalars become plain JSON values.
    plain = orjson.loads(
        orjson.dumps(result.to_json_dict(), default=str, option=orjson.OPT_SERIALIZE_NUMPY)
    )
    return plain, result


def schema_report(contract: TableContract, frame: pl.DataFrame) -> pl.DataFrame:
    """Return one row per contract column: `column, expected_type, received_type,
    column_is_present, column_has_contract_type` (castable to the contract's dtype
    without loss, as `TableContract.conform` requires)."""
    rows = []
    for name, dtype in contract.schema.items():
        present = name in frame.columns
        castable = None
        if present:
            try:
                frame.select(pl.col(name).cast(dtype, strict=True))
                castable = True
            except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
                castable = False
        rows.append(
            {
                "column": name,
                "expected_type": str(dtype),
                "received_type": str(frame.schema[name]) if present else None,
                "column_is_present": present,
                "column_has_contract_type": castable,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "column": pl.String,
            "expected_type": pl.String,
            "received_type": pl.String,
            "column_is_present": pl.Boolean,
            "column_has_contract_type": pl.Boolean,
        },
    )


def validate(
    contract: TableContract,
    frame: pl.DataFrame,
    *,
    batch_id: str,
    context: ValidationContext | None = None,
) -> tuple[ValidationReport, pl.DataFrame]:
    """Validate a batch against its table's suite; return the report and the frame
    that was validated (contract columns plus check columns; the batch as received
    when its shape is wrong). Nothing is written."""
    context = context if context is not None else ValidationContext()
    shape = schema_report(contract, frame)
    shape_ok = (
        shape["column_is_present"].all() and shape["column_has_contract_type"].fill_null(True).all()
    )
    if not shape_ok:
        result = run_gx(build_schema_suite(contract), shape, index_columns=["column"])
        report = _report(contract, batch_id, frame.height, result, ["column"], shape=shape)
        return report, frame

    conformed = contract.conform(frame)
    checked, expected = _with_flags(contract, conformed, context)
    suite = build_suite(
        contract,
        expected_tickers=expected,
        untraded_days_omitted=context.max_untraded_share is not None,
    )
    result = run_gx(suite, checked, index_columns=list(contract.key))
    return _report(contract, batch_id, conformed.height, result, list(contract.key)), checked


def _with_flags(
    contract: TableContract, frame: pl.DataFrame, context: ValidationContext
) -> tuple[pl.DataFrame, list[str]]:
    if contract.name == DAILY_BARS.name:
        flagged = daily_bars_flags(frame, context)
        return flagged, expected_tickers(frame, context)
    if contract.name == SPLITS.name:
        return split_flags(frame, context.bars), []
    return frame, []


def _report(
    contract: TableContract,
    batch_id: str,
    rows: int,
    result: tuple[dict[str, Any], Any],
    index_columns: list[str],
    *,
    shape: pl.DataFrame | None = None,
) -> ValidationReport:
    plain, gx_object = result
    checks = tuple(_check(item, shape, index_columns) for item in plain.get("results", []))
    return ValidationReport(
        table=contract.name,
        batch_id=batch_id,
        rows=rows,
        validated_at=datetime.now(UTC),
        checks=checks,
        gx_result=plain,
        gx_object=gx_object,
    )


def _check(
    item: dict[str, Any], shape: pl.DataFrame | None, index_columns: list[str]
) -> CheckResult:
    config = item.get("expectation_config", {})
    kwargs = config.get("kwargs", {})
    target = kwargs.get("column") or ",".join(
        kwargs.get("column_list")
        or [c for c in (kwargs.get("column_A"), kwargs.get("column_B")) if c]
    )
    name = f"{config.get('type')}({target})"
    outcome = item.get("result", {}) or {}
    count = outcome.get("unexpected_count")
    unit = "rows"
    if count is None and outcome.get("missing_count") is not None:
        count, unit = outcome["missing_count"], "missing values"
    examples = tuple(_examples(outcome, index_columns))
    if shape is not None:
        # Schema checks: name the columns; a count of "rows" would mislead here.
        examples = tuple(_shape_examples(target, shape)) if not item.get("success") else ()
        count = None
    return CheckResult(
        name=name,
        success=bool(item.get("success")),
        severity=str(config.get("severity") or "critical"),
        unexpected_count=count,
        examples=examples,
        unit=unit,
    )


def _examples(outcome: dict[str, Any], index_columns: list[str]) -> list[str]:
    indexed = outcome.get("partial_unexpected_index_list")
    if indexed:
        return [
            " ".join(_plain(row.get(k)) for k in index_columns)
            if isinstance(row, dict)
            else str(row)
            for row in indexed[:EXAMPLES_PER_CHECK]
        ]
    missing = outcome.get("partial_missing_list")
    if missing:
        return [str(value) for value in missing[:EXAMPLES_PER_CHECK]]
    return [str(v) for v in (outcome.get("partial_unexpected_list") or [])[:EXAMPLES_PER_CHECK]]


def _plain(value: Any) -> str:
    # pandas hands dates back as midnight timestamps; show them as dates.
    text = str(value)
    return text.removesuffix("T00:00:00").removesuffix(" 00:00:00")


def _shape_examples(target: str, shape: pl.DataFrame) -> list[str]:
    if target == "column_is_present":
        return [f"missing column {c}" for c in shape.filter(~pl.col("column_is_present"))["column"]]
    bad = shape.filter(pl.col("column_has_contract_type").not_())
    return [
        f"wrong type: {row['column']} is {row['received_type']}, expected {row['expected_type']}"
        for row in bad.iter_rows(named=True)
    ]
