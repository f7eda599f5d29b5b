"""Indicators on demand for a ticker (or several) and a date range, from the gold lake.

Range invariance: a value on a date inside [start, end] is the value computed over the
ticker's whole history, because the whole history is read and computed before the rows
are cut to [start, end] (EMA-type indicators remember every earlier bar). Daily values
are bit-identical to the whole-history run (the same frame is computed). Weekly and
monthly bars are resampled from the history up to `end`, so a period cut by `end` shows
its partial bar; their values equal the whole-history run to ~1e-12 relative, because
the engine's per-ticker centering sees one bar fewer or more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from lake.bars import Interval, resample_bars
from lake.errors import TickerlakeError
from lake.indicators.engine import apply_indicators
from lake.indicators.spec import DEFAULT_SPEC, IndicatorSpec, output_columns, parse_spec

BAR_COLUMNS = ("open", "high", "low", "close", "volume", "vwap")


def check_range(start: date | None, end: date | None) -> None:
    """Raise `TickerlakeError` when start is after end."""
    if start is not None and end is not None and start > end:
        raise TickerlakeError(f"start {start} is after end {end}: pass --start on or before --end")


def indicators_in_range(
    bars: pl.DataFrame,
    start: date | None,
    end: date | None,
    *,
    interval: Interval = "day",
    specs: Sequence[IndicatorSpec] | str = DEFAULT_SPEC,
) -> pl.DataFrame:
    """Return bars with indicator columns for the rows dated in [start, end] (None = open).

    `bars` are daily bars of one or many tickers with all the history that exists. They
    are resampled to `interval` (weekly and monthly from the history up to `end`, so the
    period `end` falls in ends there), the indicators computed over the whole history,
    and only then cut to the range. Sorted by (ticker, date).
    """
    check_range(start, end)
    parsed = parse_spec(specs) if isinstance(specs, str) else tuple(specs)
    history = bars if end is None or interval == "day" else bars.filter(pl.col("date") <= end)
    computed = apply_indicators(resample_bars(history, interval), parsed)
    if start is not None:
        computed = computed.filter(pl.col("date") >= start)
    if end is not None:
        computed = computed.filter(pl.col("date") <= end)
    return computed


def indicators_for(
    tickers: str | Sequence[str],
    start: date | None,
    end: date | None,
    *,
    interval: Interval = "day",
    specs: Sequence[IndicatorSpec] | str = DEFAULT_SPEC,
    lake_uri: str | None = None,
) -> pl.DataFrame:
    """Return `ticker`, `date`, the bars and the indicator columns of `specs` for `tickers`
    in [start, end] at `interval`, read from the gold `adjusted_bars` table.

    Reads each ticker's whole history (see module docstring). Raises
    `TickerlakeError` for an unknown ticker, a missing lake or start after end.
    """
    from lake.queries import adjusted_bars

    check_range(start, end)
    parsed = parse_spec(specs) if isinstance(specs, str) else tuple(specs)
    bars = adjusted_bars(tickers, None, None, columns=list(BAR_COLUMNS), lake_uri=lake_uri)
    result = indicators_in_range(bars, start, end, interval=interval, specs=parsed)
    keep = ["ticker", "date", *BAR_COLUMNS, *output_columns(parsed)]
    return result.select([c for c in dict.fromkeys(keep) if c in result.columns])
