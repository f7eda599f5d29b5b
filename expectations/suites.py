"""One Great Expectations suite per silver table, as code.

Each suite validates the contract frame plus the check columns `expectations.flags`
adds (cross-row facts GX cannot express on its own). Expectations with
`severity="warning"` are recorded and shown but never fail a batch: real markets have
genuine huge moves, and a split the bars do not (yet) reflect is worth a look, not a
quarantine. Everything else is critical.

Built on demand (GX is imported lazily, so importing `expectations` stays cheap for
the app and for Airflow's DAG parsing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lake.schemas import (
    DAILY_BARS,
    EARNINGS,
    GRADES,
    NEWS,
    SOURCE_COLUMN,
    SOURCES,
    SPLITS,
    TICKERS,
    TableContract,
)

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from great_expectations.expectations import Expectation
    from great_expectations.expectations.metadata_types import FailureSeverity

GRADE_ACTIONS: tuple[str, ...] = ("upgrade", "downgrade", "maintain", "initiate")
EARNINGS_HOURS: tuple[str, ...] = ("bmo", "amc", "dmh", "")


def _keys(contract: TableContract) -> list[Expectation]:
    """Key columns not null and unique, and the lineage column: every row says its
    source, one of `lake.schemas.SOURCES`."""
    import great_expectations.expectations as gxe

    checks: list[Expectation] = [
        gxe.ExpectColumnValuesToNotBeNull(column=name) for name in contract.key
    ]
    if len(contract.key) == 1:
        checks.append(gxe.ExpectColumnValuesToBeUnique(column=contract.key[0]))
    else:
        checks.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(contract.key)))
    checks += [
        gxe.ExpectColumnValuesToNotBeNull(column=SOURCE_COLUMN),
        gxe.ExpectColumnValuesToBeInSet(column=SOURCE_COLUMN, value_set=list(SOURCES)),
    ]
    return checks


def _severity(*, warning: bool) -> FailureSeverity:
    """GX's severity: warning (recorded, never fails a batch) or critical (GX's default)."""
    from great_expectations.expectations.metadata_types import FailureSeverity

    return FailureSeverity.WARNING if warning else FailureSeverity.CRITICAL


def _true(column: str, *, warning: bool = False) -> Expectation:
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnValuesToBeInSet(
        column=column, value_set=[True], severity=_severity(warning=warning)
    )


def daily_bars_expectations(
    expected_tickers: Sequence[str] = (), *, untraded_days_omitted: bool = False
) -> list[Expectation]:
    """Return the daily_bars checks: keys, positive prices, OHLC consistency, volume,
    trading days, continuity, and (warnings) implausible moves without a split.

    With `untraded_days_omitted` (a source that sends no bar for a day without trades),
    continuity per ticker is a warning and whole sessions must be covered instead
    (`sessions_covered`, see `expectations.flags`).
    """
    import great_expectations.expectations as gxe

    gap_severity = _severity(warning=untraded_days_omitted)

    checks = _keys(DAILY_BARS)
    for price in ("open", "high", "low", "close"):
        checks.append(gxe.ExpectColumnValuesToNotBeNull(column=price))
        checks.append(gxe.ExpectColumnValuesToBeBetween(column=price, min_value=0, strict_min=True))
    # low ≤ min(open, close) and high ≥ max(open, close), as four pair checks.
    for side in ("open", "close"):
        checks.append(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=side, column_B="low", or_equal=True
            )
        )
        checks.append(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="high", column_B=side, or_equal=True
            )
        )
    checks += [
        gxe.ExpectColumnValuesToNotBeNull(column="volume"),
        gxe.ExpectColumnValuesToBeBetween(column="volume", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="vwap", min_value=0, strict_min=True),
        gxe.ExpectColumnValuesToBeBetween(column="transactions", min_value=0),
        _true("date_is_trading_day"),
        gxe.ExpectColumnValuesToBeBetween(
            column="missing_trading_days", min_value=0, max_value=0, severity=gap_severity
        ),
        _true_negated("big_move_without_split"),
        _true_negated("split_like_move_without_split"),
    ]
    if expected_tickers:
        checks.append(
            gxe.ExpectColumnDistinctValuesToContainSet(
                column="ticker", value_set=list(expected_tickers), severity=gap_severity
            )
        )
    if untraded_days_omitted:
        checks.append(_true("sessions_covered"))
    return checks


def _true_negated(column: str) -> Expectation:
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnValuesToBeInSet(
        column=column, value_set=[False], severity=_severity(warning=True)
    )


def tickers_expectations() -> list[Expectation]:
    """Return the tickers checks: key, non-negative market cap and shares, active set."""
    import great_expectations.expectations as gxe

    return [
        *_keys(TICKERS),
        gxe.ExpectColumnValuesToBeBetween(column="market_cap", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="shares_outstanding", min_value=0),
        gxe.ExpectColumnValuesToNotBeNull(column="active"),
    ]


def splits_expectations() -> list[Expectation]:
    """Return the splits checks: key (no duplicate split per ticker and date), positive
    sides, plausible ratio, and (warning) a raw move on the execution date that matches."""
    import great_expectations.expectations as gxe

    return [
        *_keys(SPLITS),
        gxe.ExpectColumnValuesToBeBetween(column="split_from", min_value=0, strict_min=True),
        gxe.ExpectColumnValuesToBeBetween(column="split_to", min_value=0, strict_min=True),
        _true("ratio_is_plausible"),
        _true("move_matches_ratio", warning=True),
    ]


def earnings_expectations() -> list[Expectation]:
    """Return the earnings checks: key, fiscal quarter/year ranges, hour codes.

    EPS estimate/actual and surprise may be null (not yet reported, or not covered):
    no not-null expectation on them, and GX's column checks skip nulls.
    """
    import great_expectations.expectations as gxe

    return [
        *_keys(EARNINGS),
        gxe.ExpectColumnValuesToBeBetween(column="fiscal_quarter", min_value=1, max_value=4),
        gxe.ExpectColumnValuesToBeBetween(column="fiscal_year", min_value=1990, max_value=2100),
        gxe.ExpectColumnValuesToBeInSet(column="hour", value_set=list(EARNINGS_HOURS)),
        gxe.ExpectColumnValuesToBeBetween(
            column="revenue_actual", min_value=0, severity=_severity(warning=True)
        ),
    ]


def grades_expectations() -> list[Expectation]:
    """Return the grades checks: key (ticker, date, firm), a known action, a new grade."""
    import great_expectations.expectations as gxe

    return [
        *_keys(GRADES),
        gxe.ExpectColumnValuesToNotBeNull(column="action"),
        gxe.ExpectColumnValuesToBeInSet(column="action", value_set=list(GRADE_ACTIONS)),
        gxe.ExpectColumnValuesToNotBeNull(column="new_grade"),
    ]


def news_expectations() -> list[Expectation]:
    """Return the news checks: key, ticker, publication time and title present."""
    import great_expectations.expectations as gxe

    return [
        *_keys(NEWS),
        *(
            gxe.ExpectColumnValuesToNotBeNull(column=name)
            for name in ("ticker", "published_utc", "title")
        ),
    ]


def schema_expectations() -> list[Expectation]:
    """Return the checks on a batch's shape (one row per contract column, see
    `expectations.runner.schema_report`): every column present, every type castable."""
    return [_true("column_is_present"), _true("column_has_contract_type")]


def build_suite(
    contract: TableContract,
    *,
    expected_tickers: Sequence[str] = (),
    untraded_days_omitted: bool = False,
) -> ExpectationSuite:
    """Return the GX suite for a silver table (named after it).

    `expected_tickers` (daily_bars only): tickers that must appear in the batch;
    `untraded_days_omitted` (daily_bars only): see `daily_bars_expectations`.
    """
    import great_expectations as gx

    builders = {
        DAILY_BARS.name: lambda: daily_bars_expectations(
            expected_tickers, untraded_days_omitted=untraded_days_omitted
        ),
        TICKERS.name: tickers_expectations,
        SPLITS.name: splits_expectations,
        EARNINGS.name: earnings_expectations,
        GRADES.name: grades_expectations,
        NEWS.name: news_expectations,
    }
    if contract.name not in builders:
        raise KeyError(f"no expectation suite for table {contract.name}")
    return gx.ExpectationSuite(name=contract.name, expectations=builders[contract.name]())


def build_schema_suite(contract: TableContract) -> ExpectationSuite:
    """Return the GX suite that checks a batch has the contract's columns and types."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=f"{contract.name}.schema", expectations=schema_expectations())
