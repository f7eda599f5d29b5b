"""Parsing indicator specs and naming their output columns."""

from __future__ import annotations

import polars as pl
import pytest

from lake.errors import TickerlakeError
from lake.indicators.engine import apply_indicators
from lake.indicators.spec import (
    DEFAULT_SPEC,
    Bbands,
    Ema,
    Macd,
    Obv,
    Sma,
    Stoch,
    output_columns,
    parse_spec,
)

pytestmark = pytest.mark.unit

ISSUE_SPEC = "sma:20,ema:50,wma:10,macd:12:26:9,bbands:20:2,rsi:14,atr:14,stoch:14:3:3,obv"


def test_the_issue_spec_names_the_issue_columns() -> None:
    columns = output_columns(parse_spec(ISSUE_SPEC))

    assert columns == [
        "sma_20",
        "ema_50",
        "wma_10",
        "macd_12_26_9",
        "macd_signal_12_26_9",
        "macd_hist_12_26_9",
        "bb_mid_20_2",
        "bb_upper_20_2",
        "bb_lower_20_2",
        "bb_pctb_20_2",
        "bb_width_20_2",
        "rsi_14",
        "atr_14",
        "stoch_k_14_3_3",
        "stoch_d_14_3_3",
        "obv",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sma:20", (Sma(20),)),
        (" EMA:50 , sma:20 ", (Ema(50), Sma(20))),
        ("macd", (Macd(12, 26, 9),)),
        ("macd:5", (Macd(5, 26, 9),)),
        ("bbands:20:2.5", (Bbands(20, 2.5),)),
        ("stoch", (Stoch(14, 3, 3),)),
        ("obv,obv,sma:20,sma:20", (Obv(), Sma(20))),
    ],
)
def test_parse_spec(text: str, expected: tuple[object, ...]) -> None:
    assert parse_spec(text) == expected


def test_fractional_deviation_reads_in_the_column_name() -> None:
    assert output_columns(parse_spec("bbands:10:2.5"))[0] == "bb_mid_10_2.5"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("", "empty item"),
        ("sma:20,,rsi", "empty item"),
        ("smaa:20", "unknown indicator 'smaa'"),
        ("sma:x", "bad parameter 'x'"),
        ("sma:0", "bad parameter '0'"),
        ("sma:-3", "bad parameter '-3'"),
        ("rsi:1", "bad parameter '1'"),
        ("sma:20:5", "at most 1 parameter"),
        ("obv:3", "at most 0 parameter"),
        ("bbands:20:zero", "bad deviation multiplier 'zero'"),
        ("bbands:20:-1", "bad deviation multiplier '-1'"),
    ],
)
def test_malformed_specs_raise_one_clear_line(text: str, named: str) -> None:
    with pytest.raises(TickerlakeError) as caught:
        parse_spec(text)

    message = str(caught.value)
    assert named in message
    assert "\n" not in message


def test_default_spec_is_the_ui_set() -> None:
    specs = parse_spec(DEFAULT_SPEC)

    columns = output_columns(specs)
    assert len(specs) == 18
    assert {"sma_200", "ema_10", "wma_100", "macd_hist_12_26_9", "bb_upper_20_2", "rsi_14"} <= set(
        columns
    )


def test_apply_indicators_needs_the_columns_it_reads() -> None:
    frame = pl.DataFrame({"date": [1, 2], "close": [1.0, 2.0]})

    with pytest.raises(TickerlakeError, match="high, low"):
        apply_indicators(frame, "atr:14")


def test_apply_indicators_keeps_the_input_and_appends_outputs() -> None:
    frame = pl.DataFrame(
        {"ticker": ["A"] * 3, "date": [1, 2, 3], "close": [1.0, 2.0, 3.0], "volume": [10, 20, 30]}
    )

    out = apply_indicators(frame, "sma:2,obv")

    assert out.columns == ["ticker", "date", "close", "volume", "sma_2", "obv"]
    assert out["volume"].dtype == pl.Int64
    assert out["sma_2"].to_list() == [None, 1.5, 2.5]
    assert out["obv"].to_list() == [10.0, 30.0, 60.0]


def test_apply_indicators_without_a_ticker_column_is_one_series() -> None:
    frame = pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0]})

    out = apply_indicators(frame, "ema:2")

    assert out["ema_2"].to_list()[:2] == [None, 1.5]
