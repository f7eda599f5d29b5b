"""validate_or_quarantine: clean batches pass and are recorded; bad ones are quarantined
with the failed expectation named, and never reach silver."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import orjson
import polars as pl
import pytest

from expectations import (
    ValidationContext,
    ValidationFailed,
    read_quarantined,
    validate_or_quarantine,
)
from lake import tables
from lake.quality import latest_results, quarantined_batches
from lake.schemas import DAILY_BARS, EARNINGS, GRADES, NEWS, SPLITS, TICKERS, TableContract
from tests.expectations.batches import (
    clean_bars,
    clean_earnings,
    clean_grades,
    clean_news,
    clean_splits,
    clean_tickers,
    with_split,
)

pytestmark = pytest.mark.integration


def _gate_then_merge(contract: TableContract, frame: pl.DataFrame, batch_id: str, **kwargs) -> None:
    """What a silver load does: validate first, MERGE only what passed."""
    validate_or_quarantine(contract, frame, batch_id=batch_id, **kwargs)
    tables.merge_upsert(contract, frame)


@pytest.mark.parametrize(
    ("contract", "build"),
    [
        (DAILY_BARS, clean_bars),
        (TICKERS, clean_tickers),
        (SPLITS, clean_splits),
        (EARNINGS, clean_earnings),
        (GRADES, clean_grades),
        (NEWS, clean_news),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_clean_batch_passes_and_is_recorded(
    lake_uri: str, contract: TableContract, build: Callable[[], pl.DataFrame]
) -> None:
    frame = build()

    _gate_then_merge(contract, frame, batch_id="clean-1")

    latest = latest_results().filter(pl.col("table") == contract.name).row(0, named=True)
    assert latest["success"] is True
    assert latest["batch_id"] == "clean-1"
    assert latest["failed"] == 0
    assert latest["rows"] == frame.height
    assert tables.read(contract).height == frame.height
    assert quarantined_batches().is_empty()


def _drop_close(bars: pl.DataFrame) -> pl.DataFrame:
    return bars.drop("close")


def _close_as_text(bars: pl.DataFrame) -> pl.DataFrame:
    return bars.with_columns(pl.lit("n/a").alias("close"))


def _negative_price(bars: pl.DataFrame) -> pl.DataFrame:
    return bars.with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(-1.0).otherwise(pl.col("close")).alias("close")
    )


def _low_above_close(bars: pl.DataFrame) -> pl.DataFrame:
    return bars.with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(pl.col("close") + 1)
        .otherwise(pl.col("low"))
        .alias("low")
    )


def _duplicate_row(bars: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([bars, bars.slice(5, 1)])


def _gap(bars: pl.DataFrame) -> pl.DataFrame:
    return bars.filter(~((pl.col("ticker") == "BBB") & (pl.col("date") == date(2025, 11, 20))))


def _holiday_row(bars: pl.DataFrame) -> pl.DataFrame:
    extra = bars.filter((pl.col("ticker") == "CCC") & (pl.col("date") == date(2025, 12, 24)))
    return pl.concat([bars, extra.with_columns(pl.lit(date(2025, 12, 25)).alias("date"))])


def _null_ticker(bars: pl.DataFrame) -> pl.DataFrame:
    return bars.with_columns(
        pl.when(pl.int_range(pl.len()) == 11).then(None).otherwise(pl.col("ticker")).alias("ticker")
    )


@pytest.mark.parametrize(
    ("corrupt", "expectation", "detail"),
    [
        (
            _drop_close,
            "expect_column_values_to_be_in_set(column_is_present)",
            "missing column close",
        ),
        (
            _close_as_text,
            "expect_column_values_to_be_in_set(column_has_contract_type)",
            "wrong type: close is String",
        ),
        (_negative_price, "expect_column_values_to_be_between(close)", "1 of"),
        (_low_above_close, "expect_column_pair_values_a_to_be_greater_than_b(close,low)", "1 of"),
        (_duplicate_row, "expect_compound_columns_to_be_unique(ticker,date)", "2 of"),
        (_gap, "expect_column_values_to_be_between(missing_trading_days)", "BBB 2025-11-21"),
        (_holiday_row, "expect_column_values_to_be_in_set(date_is_trading_day)", "CCC 2025-12-25"),
        (_null_ticker, "expect_column_values_to_not_be_null(ticker)", "1 of"),
    ],
    ids=[
        "missing-field",
        "wrong-type",
        "negative-price",
        "low-above-close",
        "duplicate-key",
        "gap",
        "non-trading-date",
        "null-key",
    ],
)
def test_bad_bars_are_quarantined_with_the_failed_expectation_named(
    lake_uri: str,
    corrupt: Callable[[pl.DataFrame], pl.DataFrame],
    expectation: str,
    detail: str,
) -> None:
    bad = corrupt(clean_bars())

    with pytest.raises(ValidationFailed) as failure:
        _gate_then_merge(DAILY_BARS, bad, batch_id="bad-1")

    message = str(failure.value)
    assert expectation in message
    assert detail in message
    assert f"{lake_uri}/quarantine/daily_bars/bad-1" in message
    assert not tables.exists(DAILY_BARS)  # nothing reached silver
    quarantined = read_quarantined("daily_bars", "bad-1")
    assert quarantined["data"].height == bad.height
    failed_names = [
        f"{r['expectation_config']['type']}"
        for r in quarantined["result"]["results"]
        if not r["success"]
    ]
    assert expectation.split("(")[0] in failed_names
    assert "Data documentation compiled by Great Expectations" in quarantined["html"]
    assert "Unsuccessful Expectations" in quarantined["html"]
    listed = quarantined_batches().row(0, named=True)
    assert (listed["table"], listed["batch_id"], listed["success"]) == (
        "daily_bars",
        "bad-1",
        False,
    )
    assert expectation in orjson.loads(listed["failed_expectations"])


def test_a_ticker_trading_the_day_before_must_appear(lake_uri: str) -> None:
    bars = clean_bars(("AAA", "BBB"))
    context = ValidationContext(
        previous_closes=pl.DataFrame({"ticker": ["AAA", "BBB", "ZZZ"], "close": [50.0, 50.0, 20.0]})
    )

    with pytest.raises(ValidationFailed) as failure:
        validate_or_quarantine(DAILY_BARS, bars, batch_id="b", context=context)

    assert "expect_column_distinct_values_to_contain_set(ticker): 1 missing values (ZZZ)" in str(
        failure.value
    ) or "ZZZ" in str(failure.value)


def test_delisted_ticker_is_not_expected(lake_uri: str) -> None:
    bars = clean_bars(("AAA", "BBB"))
    stopped = bars.filter((pl.col("ticker") == "AAA") | (pl.col("date") < date(2025, 12, 1)))
    context = ValidationContext(inactive_tickers=frozenset({"BBB"}))

    report = validate_or_quarantine(DAILY_BARS, stopped, batch_id="b", context=context)

    assert report.success


def test_gap_at_the_range_start_counts_for_a_ticker_that_was_trading(lake_uri: str) -> None:
    bars = clean_bars(("AAA", "BBB")).filter(
        (pl.col("ticker") == "AAA") | (pl.col("date") > date(2025, 11, 4))
    )
    context = ValidationContext(
        previous_closes=pl.DataFrame({"ticker": ["AAA", "BBB"], "close": [50.0, 50.0]})
    )

    with pytest.raises(ValidationFailed, match=r"missing_trading_days\): 1 of"):
        validate_or_quarantine(DAILY_BARS, bars, batch_id="b", context=context)


# A source that sends no bar for a session a ticker did not trade (Massive's grouped daily).
UNTRADED_OMITTED = 0.1  # a session may lack two of the twenty tickers below
TWENTY = tuple(f"T{i:02d}" for i in range(20))


def _trading_the_day_before(tickers: tuple[str, ...]) -> pl.DataFrame:
    return pl.DataFrame({"ticker": list(tickers), "close": [50.0] * len(tickers)})


def test_an_untraded_session_is_a_warning_for_a_source_that_omits_it(lake_uri: str) -> None:
    bars = clean_bars(TWENTY)
    quiet_day = bars["date"].unique().sort()[10]
    # T03 did not trade one day, T19 not at all in the batch: no bars, no gap in the data.
    batch = bars.filter(
        ~((pl.col("ticker") == "T03") & (pl.col("date") == quiet_day)) & (pl.col("ticker") != "T19")
    )
    context = ValidationContext(
        previous_closes=_trading_the_day_before(TWENTY), max_untraded_share=UNTRADED_OMITTED
    )

    report = validate_or_quarantine(DAILY_BARS, batch, batch_id="b", context=context)

    assert report.success
    warned = {check.name for check in report.warnings}
    assert "expect_column_values_to_be_between(missing_trading_days)" in warned
    assert "expect_column_distinct_values_to_contain_set(ticker)" in warned
    # The same batch from a source that sends every ticker every session is a gap.
    strict = ValidationContext(previous_closes=_trading_the_day_before(TWENTY))
    with pytest.raises(ValidationFailed, match="missing_trading_days"):
        validate_or_quarantine(DAILY_BARS, batch, batch_id="c", context=strict)


def test_a_truncated_session_fails_even_for_a_source_that_omits_untraded_days(
    lake_uri: str,
) -> None:
    bars = clean_bars(TWENTY)
    cut_day = bars["date"].unique().sort()[5]
    batch = bars.filter(~((pl.col("date") == cut_day) & pl.col("ticker").is_in(TWENTY[:8])))
    context = ValidationContext(
        previous_closes=_trading_the_day_before(TWENTY), max_untraded_share=UNTRADED_OMITTED
    )

    with pytest.raises(ValidationFailed, match=r"sessions_covered"):
        validate_or_quarantine(DAILY_BARS, batch, batch_id="b", context=context)
    assert quarantined_batches()["batch_id"].to_list() == ["b"]


def test_big_move_without_split_is_a_recorded_warning_not_a_failure(lake_uri: str) -> None:
    bars = clean_bars().with_columns(
        pl.when((pl.col("ticker") == "DDD") & (pl.col("date") >= date(2025, 12, 10)))
        .then(pl.col(c) * 1.9)
        .otherwise(pl.col(c))
        .alias(c)
        for c in ("open", "high", "low", "close", "vwap")
    )

    report = validate_or_quarantine(DAILY_BARS, bars, batch_id="jump", context=ValidationContext())

    assert report.success
    assert [w.name for w in report.warnings] == [
        "expect_column_values_to_be_in_set(big_move_without_split)"
    ]
    assert report.warnings[0].examples == ("DDD 2025-12-10",)
    recorded = latest_results().row(0, named=True)
    assert recorded["warnings"] == 1
    assert "big_move_without_split" in recorded["warning_expectations"]


def test_split_day_move_is_neither_flagged_nor_failed(lake_uri: str) -> None:
    splits = clean_splits()
    bars = with_split(clean_bars(), "AAA", date(2025, 11, 17), 2.0)

    report = validate_or_quarantine(
        DAILY_BARS, bars, batch_id="split", context=ValidationContext(splits=splits)
    )

    assert report.success
    assert report.warnings == ()


def test_split_like_move_without_split_is_reported(lake_uri: str) -> None:
    bars = with_split(clean_bars(), "AAA", date(2025, 11, 17), 3.0)

    report = validate_or_quarantine(DAILY_BARS, bars, batch_id="x", context=ValidationContext())

    assert report.success
    assert {w.name for w in report.warnings} == {
        "expect_column_values_to_be_in_set(big_move_without_split)",
        "expect_column_values_to_be_in_set(split_like_move_without_split)",
    }


def test_duplicate_split_is_quarantined(lake_uri: str) -> None:
    splits = pl.concat([clean_splits(), clean_splits()])

    with pytest.raises(
        ValidationFailed,
        match=r"expect_compound_columns_to_be_unique\(ticker,execution_date\): 2 of 2 rows",
    ):
        validate_or_quarantine(SPLITS, splits, batch_id="dup", context=ValidationContext())


def test_implausible_split_ratio_is_quarantined(lake_uri: str) -> None:
    splits = clean_splits().with_columns(pl.lit(1.0).alias("split_to"))

    with pytest.raises(ValidationFailed, match=r"ratio_is_plausible\): 1 of 1 rows"):
        validate_or_quarantine(SPLITS, splits, batch_id="ratio", context=ValidationContext())


def test_split_without_matching_move_is_a_warning(lake_uri: str) -> None:
    bars = clean_bars()  # no price move at the split

    report = validate_or_quarantine(
        SPLITS, clean_splits(), batch_id="nomove", context=ValidationContext(bars=bars)
    )

    assert report.success
    assert [w.name for w in report.warnings] == [
        "expect_column_values_to_be_in_set(move_matches_ratio)"
    ]


def test_split_context_comes_from_silver_bars(lake_uri: str) -> None:
    tables.merge_upsert(DAILY_BARS, with_split(clean_bars(), "AAA", date(2025, 11, 17), 2.0))

    report = validate_or_quarantine(SPLITS, clean_splits(), batch_id="from-lake")

    assert report.success
    assert report.warnings == ()


def test_daily_context_comes_from_silver(lake_uri: str) -> None:
    november = clean_bars(end=date(2025, 11, 28))
    tables.merge_upsert(DAILY_BARS, november)
    december = clean_bars(start=date(2025, 12, 1)).filter(pl.col("ticker") != "EEE")

    with pytest.raises(ValidationFailed, match="EEE"):
        validate_or_quarantine(DAILY_BARS, december, batch_id="dec")


def test_null_eps_is_fine_but_a_bad_quarter_is_not(lake_uri: str) -> None:
    earnings = clean_earnings()
    assert earnings["eps_actual"].null_count() == 1

    assert validate_or_quarantine(EARNINGS, earnings, batch_id="ok").success
    with pytest.raises(ValidationFailed, match=r"fiscal_quarter\): 1 of"):
        validate_or_quarantine(
            EARNINGS,
            earnings.with_columns(
                pl.when(pl.col("ticker") == "AAA")
                .then(5)
                .otherwise(pl.col("fiscal_quarter"))
                .alias("fiscal_quarter")
            ),
            batch_id="bad",
        )


def test_unknown_grade_action_is_quarantined(lake_uri: str) -> None:
    grades = clean_grades().with_columns(pl.lit("buy!").alias("action"))

    with pytest.raises(
        ValidationFailed, match=r"expect_column_values_to_be_in_set\(action\): 3 of 3 rows"
    ):
        validate_or_quarantine(GRADES, grades, batch_id="g")


def test_quarantine_and_log_work_on_local_and_s3(any_lake_uri: str) -> None:
    bad = _negative_price(clean_bars())

    with pytest.raises(ValidationFailed):
        validate_or_quarantine(DAILY_BARS, bad, batch_id="neg", context=ValidationContext())
    validate_or_quarantine(DAILY_BARS, clean_bars(), batch_id="good", context=ValidationContext())

    quarantined = read_quarantined("daily_bars", "neg")
    assert quarantined["data"].height == bad.height
    assert quarantined["result"]["success"] is False
    assert "Expectation Suite:" in quarantined["html"]
    assert quarantined_batches()["quarantine_uri"].to_list() == [
        f"{any_lake_uri}/quarantine/daily_bars/neg"
    ]
    assert latest_results().row(0, named=True)["batch_id"] == "good"
