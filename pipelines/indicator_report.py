"""What `tickerlake indicators` does, apart from argument parsing: read the bars (from the
lake or from a user's CSV), compute the indicators, and render them as CSV, JSON or a table.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import orjson
import polars as pl
from rich.table import Table

from lake.bars import INTERVALS, Interval
from lake.errors import TickerlakeError
from lake.indicator_query import check_range, indicators_for, indicators_in_range
from lake.indicators.spec import DEFAULT_SPEC, output_columns, parse_spec

Format = Literal["csv", "json", "table"]
FORMATS: tuple[Format, ...] = ("csv", "json", "table")
CSV_COLUMNS = ("date", "open", "high", "low", "close", "volume")


def read_bars_csv(path: Path) -> pl.DataFrame:
    """Return the daily bars in a user's CSV file (columns date, open, high, low, close,
    volume; any others are ignored), sorted by date.

    Raises `TickerlakeError` naming the problem: unreadable file, missing column, a date
    or number that does not parse, or a date that appears twice.
    """
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except FileNotFoundError as exc:
        raise TickerlakeError(f"no such file {str(path)!r}: check the --input path") from exc
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TickerlakeError(f"cannot read {str(path)!r} as CSV ({first_line})") from exc
    columns = {name.strip().lower(): name for name in raw.columns}
    missing = [c for c in CSV_COLUMNS if c not in columns]
    if missing:
        raise TickerlakeError(
            f"{path.name} lacks column(s) {', '.join(missing)}; "
            f"the header must name {', '.join(CSV_COLUMNS)}"
        )
    if raw.height == 0:
        raise TickerlakeError(f"{path.name} has a header but no rows")
    frame = raw.select(pl.col(columns[c]).str.strip_chars().alias(c) for c in CSV_COLUMNS)
    parsed = frame.with_columns(
        pl.col("date").str.to_date(strict=False),
        *[pl.col(c).cast(pl.Float64, strict=False) for c in CSV_COLUMNS[1:]],
    )
    for column in CSV_COLUMNS:
        bad = parsed[column].is_null() & frame[column].is_not_null() & (frame[column] != "")
        if column == "date":
            bad = parsed[column].is_null()
        if bad.any():
            line = int(bad.arg_true()[0]) + 2  # 1-based, after the header line
            kind = "date (YYYY-MM-DD)" if column == "date" else "number"
            raise TickerlakeError(
                f"{path.name} line {line}: {column} {frame[column][line - 2]!r} is not a {kind}"
            )
    duplicated = parsed["date"].is_duplicated()
    if duplicated.any():
        day = parsed["date"].filter(duplicated)[0]
        raise TickerlakeError(f"{path.name} has more than one row for {day}; keep one bar per date")
    return parsed.sort("date")


def indicator_report(
    *,
    ticker: str | None,
    input_path: Path | None,
    start: date | None,
    end: date | None,
    interval: str = "day",
    spec: str = DEFAULT_SPEC,
    lake_uri: str | None = None,
) -> pl.DataFrame:
    """Return one row per bar in [start, end]: `date`, then the indicator columns of
    `spec`. Bars come from the lake for `ticker`, or from the CSV at `input_path`."""
    if (ticker is None) == (input_path is None):
        raise TickerlakeError("give either a TICKER or --input FILE.csv (exactly one)")
    if interval not in INTERVALS:
        raise TickerlakeError(f"unknown interval {interval!r}; use one of {', '.join(INTERVALS)}")
    check_range(start, end)
    specs = parse_spec(spec)
    chosen: Interval = interval  # type: ignore[assignment]
    if input_path is not None:
        bars = read_bars_csv(input_path)
        result = indicators_in_range(bars, start, end, interval=chosen, specs=specs)
    else:
        result = indicators_for(
            ticker.strip().upper(), start, end, interval=chosen, specs=specs, lake_uri=lake_uri
        )
    return result.select("date", *output_columns(specs))


def render_text(frame: pl.DataFrame, fmt: Format) -> str:
    """Return `frame` as CSV (empty cells where there is no value) or a JSON array of
    objects (null where there is no value). Dates are ISO `YYYY-MM-DD`."""
    cleaned = frame.with_columns(pl.col(pl.Float64).fill_nan(None))
    if fmt == "csv":
        return cleaned.write_csv(null_value="", date_format="%Y-%m-%d")
    if fmt == "json":
        rows = cleaned.with_columns(pl.col("date").dt.to_string("%Y-%m-%d")).to_dicts()
        return orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n"
    raise TickerlakeError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def render_table(frame: pl.DataFrame) -> Table:
    """Return `frame` as a rich table: prices to 4 significant decimals, empty cells where
    there is no value."""
    table = Table(show_lines=False, header_style="bold")
    for column in frame.columns:
        table.add_column(column, justify="left" if column == "date" else "right")
    for row in frame.iter_rows():
        table.add_row(*[_cell(value) for value in row])
    return table


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else f"{value:,.4f}"
    return str(value)


def parse_cli_date(text: str | None, option: str) -> date | None:
    """Return the date `text` (YYYY-MM-DD) names, None for None; raise `TickerlakeError`
    naming `option` when it does not parse."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise TickerlakeError(f"{option} {text!r} is not a date; write YYYY-MM-DD") from exc
