"""The gate between bronze and silver: validate a batch, quarantine it when it fails."""

from __future__ import annotations

import logging
from dataclasses import replace

import polars as pl

from expectations.context import ValidationContext
from expectations.lake_context import lake_context
from expectations.quarantine import record_result, write_quarantine
from expectations.report import ValidationFailed, ValidationReport
from expectations.runner import validate
from lake.schemas import TableContract

log = logging.getLogger(__name__)


def validate_or_quarantine(
    contract: TableContract,
    frame: pl.DataFrame,
    *,
    batch_id: str,
    context: ValidationContext | None = None,
    lake_uri: str | None = None,
) -> ValidationReport:
    """Validate a batch bound for `contract`'s silver table and record the result.

    `frame`: the batch in the contract's columns (extra columns are ignored; a missing
    column or a type that does not cast fails the batch, it never raises a Polars
    error). `context`: cross-row facts; None builds them from the lake's silver tables.

    Passes (warnings allowed): returns the report, recorded in
    `quality/validation_results`. Fails: writes the batch, GX's result JSON and its
    Data Docs page under `<lake>/quarantine/<table>/<batch_id>/`, records the result,
    and raises `ValidationFailed` naming the failed expectations and row counts.
    """
    if context is None:
        context = lake_context(contract, _conformable(contract, frame), lake_uri=lake_uri)
    report, validated = validate(contract, frame, batch_id=batch_id, context=context)
    if report.success:
        if report.warnings:
            log.warning(
                "%s batch %s passed with warnings: %s",
                contract.name,
                batch_id,
                "; ".join(f"{c.name}: {c.unexpected_count}" for c in report.warnings),
            )
        record_result(report, lake_uri=lake_uri)
        return report
    folder = write_quarantine(report, validated, lake_uri=lake_uri)
    report = replace(report, quarantine_uri=folder)
    record_result(report, lake_uri=lake_uri)
    raise ValidationFailed(report)


def _conformable(contract: TableContract, frame: pl.DataFrame) -> pl.DataFrame:
    # The lake context only needs the dates and tickers; a batch whose shape is wrong
    # gets an empty context (it fails on its shape before any cross-row check).
    try:
        return contract.conform(frame)
    except (
        pl.exceptions.ColumnNotFoundError,
        pl.exceptions.InvalidOperationError,
        pl.exceptions.ComputeError,
    ):
        return pl.DataFrame()
