"""Parsing indicator specs and naming their output columns."""

from __future__ import annotations

import re
from dataclasses import fields

import polars as pl
import pytest

from app import figures
from lake.errors import TickerlakeError
from lake.indicators.engine import apply_indicators
from lake.indicators.patterns import PATTERNS
from lake.indicators.spec import (
    DEFAULT_SPEC,
    SPEC_TYPES,
    Atr,
    Bbands,
    Cross,
    Ema,
    IndicatorSpec,
    Macd,
    MacdEvents,
    Obv,
    Patterns,
    Rsi,
    Sma,
    Stoch,
    Wma,
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


# --- what each spec class says about itself -------------------------------------------

EVERY_SPEC = [cls() for cls in SPEC_TYPES.values()] + [
    Sma(7),
    Macd(5, 35, 4),
    MacdEvents(3, 8, 2),
    Bbands(10, 2.5),
    Stoch(5, 2, 4),
    Cross(10, 20),
]


def _bars(rows: int = 60) -> pl.DataFrame:
    close = [100.0 + (i % 7) * 1.5 - (i % 3) for i in range(rows)]
    return pl.DataFrame(
        {
            "ticker": ["A"] * rows,
            "date": list(range(rows)),
            "open": [c - 0.5 for c in close],
            "high": [c + 1.0 for c in close],
            "low": [c - 1.0 for c in close],
            "close": close,
            "volume": [1_000.0 + i for i in range(rows)],
        }
    )


@pytest.mark.parametrize("spec", EVERY_SPEC, ids=lambda spec: spec.text)
def test_a_spec_names_exactly_the_columns_the_engine_adds(spec: IndicatorSpec) -> None:
    bars = _bars()

    out = apply_indicators(bars, [spec])

    assert out.columns == [*bars.columns, *spec.columns]


@pytest.mark.parametrize("spec", EVERY_SPEC, ids=lambda spec: spec.text)
def test_a_spec_reads_back_from_its_text(spec: IndicatorSpec) -> None:
    assert parse_spec(spec.text) == (spec,)


@pytest.mark.parametrize("cls", SPEC_TYPES.values(), ids=lambda cls: cls.keyword)
def test_minimums_cover_the_integer_periods_and_bound_them(cls: type[IndicatorSpec]) -> None:
    defaults = [getattr(cls(), f.name) for f in fields(cls)]
    periods = [value for value in defaults if isinstance(value, int)]
    assert len(cls.minimums) == len(periods)
    assert defaults[: len(periods)] == periods  # the periods come first
    for index, minimum in enumerate(cls.minimums):
        at_minimum = [*periods]
        at_minimum[index] = minimum
        below = [*at_minimum]
        below[index] = minimum - 1

        assert parse_spec(":".join([cls.keyword, *map(str, at_minimum)]))
        with pytest.raises(TickerlakeError, match=f"from {minimum} to"):
            parse_spec(":".join([cls.keyword, *map(str, below)]))


def test_the_minimums_are_ta_libs() -> None:
    minimums = {keyword: cls.minimums for keyword, cls in SPEC_TYPES.items()}

    assert minimums == {
        "sma": (1,),
        "ema": (1,),
        "wma": (1,),
        "macd": (2, 2, 1),
        "macd_events": (2, 2, 1),
        "bbands": (2,),
        "rsi": (2,),
        "atr": (1,),
        "stoch": (1, 1, 1),
        "obv": (),
        "cross": (1, 1),
        "patterns": (),
    }


def test_named_columns() -> None:
    macd, bands, stoch = Macd(12, 26, 9), Bbands(20, 2.5), Stoch(14, 3, 3)

    assert Sma(50).column == "sma_50"
    assert Ema(10).column == "ema_10"
    assert Wma(100).column == "wma_100"
    assert Rsi(14).column == "rsi_14"
    assert Atr(14).column == "atr_14"
    assert Obv().column == "obv"
    assert Cross(50, 200).column == "cross_50_200"
    assert MacdEvents(12, 26, 9).column == "macd_event_12_26_9"
    assert (macd.line, macd.signal_line, macd.histogram) == (
        "macd_12_26_9",
        "macd_signal_12_26_9",
        "macd_hist_12_26_9",
    )
    assert (bands.middle, bands.upper, bands.lower, bands.percent_b, bands.bandwidth) == (
        "bb_mid_20_2.5",
        "bb_upper_20_2.5",
        "bb_lower_20_2.5",
        "bb_pctb_20_2.5",
        "bb_width_20_2.5",
    )
    assert (stoch.k, stoch.d) == ("stoch_k_14_3_3", "stoch_d_14_3_3")
    assert Patterns().columns == tuple(PATTERNS)


def test_the_macd_pattern_matches_the_macd_lines_and_nothing_else() -> None:
    matching = {
        column
        for spec in EVERY_SPEC
        for column in spec.columns
        if re.search(Macd.COLUMN_PATTERN, column)
    }

    assert matching == {c for spec in EVERY_SPEC if isinstance(spec, Macd) for c in spec.columns}


def test_the_chart_labels_every_pattern_the_engine_flags() -> None:
    assert set(figures.PATTERNS) == set(Patterns().columns)
