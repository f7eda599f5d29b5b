"""What `tickerlake indicators` does, apart from argument parsing: read the bars (from the
lake or from a user's CSV), compute the indicators, and render them as CSV, JSON or a table.

A user's CSV (`--input FILE.csv`) is checked on the way in by `check_bars_csv`, a pure
function of the file's cells; each problem names the line (1-based, the header is line 1).
What is refused (nothing is computed, exit 1) and what is only warned about (one
`warning:` line on stderr, indicators computed):

| case | decision |
|---|---|
| no file, a folder, unreadable | refused (exit 2: a bad `--input`) |
| empty file, header only, binary or non-UTF-8 bytes, not comma-separated, ragged rows | refused |
| a column of date, open, high, low, close, volume missing, or named twice | refused |
| other columns | warned, ignored |
| blank lines | skipped silently |
| a date that is not YYYY-MM-DD, or empty | refused |
| a number that does not parse, an empty price or volume | refused |
| NaN or ±inf anywhere | refused (one NaN close would blank every indicator after it) |
| a price <= 0 or a negative volume | refused |
| high < low | refused |
| open or close outside [low, high] | warned (vendors' rounding does this), kept as is |
| the same date twice | refused |
| dates not in ascending order | warned, sorted |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import orjson
import polars as pl
from rich.table import Table

from lake.bars import INTERVALS, Interval
from lake.errors import DataError, UsageError, shown
from lake.indicator_query import check_range, indicators_for, indicators_in_range
from lake.indicators.spec import DEFAULT_SPEC, output_columns, parse_spec

Format = Literal["csv", "json", "table"]
FORMATS: tuple[Format, ...] = ("csv", "json", "table")
CSV_COLUMNS = ("date", "open", "high", "low", "close", "volume")
PRICES = ("open", "high", "low", "close")
_ROW = "__row"  # 0-based data row: line in the file = row + 2


@dataclass(frozen=True)
class CsvProblem:
    """One finding about a user's CSV: `row` is the first 0-based data row it concerns
    (None for the file as a whole), `count` how many rows share it, `refuse` whether the
    file is refused for it (else it is a warning)."""

    row: int | None
    message: str
    refuse: bool
    count: int = 1

    def describe(self, name: str) -> str:
        """One line: the file, the line number (header = line 1), the problem."""
        where = name if self.row is None else f"{name} line {self.row + 2}"
        more = f" (and {self.count - 1} more like it)" if self.count > 1 else ""
        return f"{where}: {self.message}{more}"


def check_bars_csv(raw: pl.DataFrame) -> tuple[pl.DataFrame, list[CsvProblem]]:
    """Check the cells of a user's bars CSV, read as strings (`pl.read_csv(...,
    infer_schema=False)`), and return `(bars, problems)`.

    `bars` has `date` (Date) and open, high, low, close, volume (Float64, prices in the
    file's currency units), one row per date, sorted by date; it is meaningful only when no
    problem has `refuse` set. Problems are in file order within each kind; see the module
    docstring for what is refused and what is warned about.
    """
    problems: list[CsvProblem] = []
    by_name: dict[str, list[str]] = {}
    for name in raw.columns:
        by_name.setdefault(name.strip().lower(), []).append(name)
    missing = [c for c in CSV_COLUMNS if c not in by_name]
    if missing:
        hint = ""
        if len(raw.columns) == 1 and any(sep in raw.columns[0] for sep in ";\t|"):
            hint = " (the file must be comma-separated)"
        return raw.clear(), [
            CsvProblem(
                None,
                (
                    f"lacks column(s) {', '.join(missing)}{hint}; the header must name "
                    f"{', '.join(CSV_COLUMNS)}"
                ),
                refuse=True,
            )
        ]
    twice = [c for c in CSV_COLUMNS if len(by_name[c]) > 1]
    if twice:
        problems.append(
            CsvProblem(
                None,
                f"names column(s) {', '.join(twice)} more than once; keep one of each",
                refuse=True,
            )
        )
        return raw.clear(), problems
    extra = [name for name in raw.columns if name.strip().lower() not in CSV_COLUMNS]
    if extra:
        listed = ", ".join(shown(name, 30) for name in extra[:5])
        problems.append(CsvProblem(None, f"ignored column(s) {listed}", refuse=False))

    cells = (
        raw.select(pl.col(by_name[c][0]).str.strip_chars().alias(c) for c in CSV_COLUMNS)
        .with_row_index(_ROW)
        .filter(~pl.all_horizontal(pl.col(CSV_COLUMNS).is_null() | (pl.col(CSV_COLUMNS) == "")))
    )  # blank lines come through as all-null rows: skipped
    if cells.height == 0:
        return raw.clear(), [*problems, CsvProblem(None, "has a header but no rows", refuse=True)]
    parsed = cells.with_columns(
        pl.col("date").str.to_date("%Y-%m-%d", strict=False),
        *[pl.col(c).cast(pl.Float64, strict=False) for c in CSV_COLUMNS[1:]],
    )

    def flag(
        mask: pl.Series,
        message: Callable[[int], str],
        *,
        refuse: bool = True,
        count: int | None = None,
    ) -> None:
        hits = mask.fill_null(False)
        if hits.any():
            index = int(hits.arg_true()[0])
            found = int(hits.sum()) if count is None else count
            problems.append(CsvProblem(int(cells[_ROW][index]), message(index), refuse, found))

    flag(
        parsed["date"].is_null(),
        lambda i: f"date {shown(cells['date'][i] or '')} is not a date; write YYYY-MM-DD",
    )
    for column in CSV_COLUMNS[1:]:
        text, value = cells[column], parsed[column]

        def empty(i: int, c: str = column) -> str:
            return f"{c} is empty; every row needs a number" + (
                " (0 if nothing traded)" if c == "volume" else ""
            )

        def not_number(i: int, c: str = column, t: pl.Series = text) -> str:
            return f"{c} {shown(t[i])} is not a number"

        def not_finite(i: int, c: str = column, t: pl.Series = text) -> str:
            return (
                f"{c} is {t[i]}; every price and volume must be a finite number "
                "(drop the row or fill in the value)"
            )

        flag(text.is_null() | (text == ""), empty)
        flag((text != "") & value.is_null(), not_number)
        flag(value.is_nan() | value.is_infinite(), not_finite)
    if any(p.refuse for p in problems):
        return parsed.clear(), problems  # the checks below need every cell parsed

    for column in PRICES:

        def not_positive(i: int, c: str = column) -> str:
            return f"{c} {cells[c][i]} is not a positive price"

        flag(parsed[column] <= 0, not_positive)
    flag(parsed["volume"] < 0, lambda i: f"volume {cells['volume'][i]} is negative")
    flag(
        parsed["high"] < parsed["low"],
        lambda i: f"high {cells['high'][i]} is below low {cells['low'][i]}",
    )
    for column in ("open", "close"):
        outside = (parsed[column] < parsed["low"]) | (parsed[column] > parsed["high"])

        def outside_range(i: int, c: str = column) -> str:
            return f"{c} {cells[c][i]} is outside [low, high]; kept as is"

        flag(outside & (parsed["high"] >= parsed["low"]), outside_range, refuse=False)
    repeated = parsed["date"].is_duplicated()
    flag(
        repeated,
        lambda i: (
            f"date {parsed['date'][i]} appears more than once (also line "
            f"{int(parsed.filter(repeated & (pl.col('date') == parsed['date'][i]))[_ROW][1]) + 2})"
            "; keep one bar per date"
        ),
        count=parsed["date"].filter(repeated).n_unique(),
    )
    out_of_order = parsed["date"] < parsed["date"].shift(1)
    flag(
        out_of_order,
        lambda i: (
            f"date {parsed['date'][i]} comes after a later date; the rows were sorted by date"
        ),
        refuse=False,
    )
    return parsed.drop(_ROW).sort("date"), problems


def read_bars_csv(path: Path, warn: Callable[[str], None] | None = None) -> pl.DataFrame:
    """Return the daily bars in a user's CSV file (columns date, open, high, low, close,
    volume; header on line 1), checked by `check_bars_csv` and sorted by date.

    Raises `UsageError` when the path is not a readable file, `DataError` naming the first
    line of the first refused problem otherwise; warnings go to `warn`, one line each.
    """
    name = path.name or str(path)
    if not path.exists():
        raise UsageError(f"no such file {shown(str(path))}: check the --input path")
    if not path.is_file():
        raise UsageError(f"{shown(str(path))} is not a file: give --input a CSV file")
    try:
        with path.open("rb") as handle:
            head = handle.read(65_536)
    except OSError as exc:
        raise UsageError(f"cannot open {shown(str(path))} ({exc.strerror})") from None
    if not head.strip():
        raise DataError(f"{name} is empty; it needs a header line and one row per date")
    if b"\x00" in head:
        raise DataError(f"{name} is a binary file, not CSV text")
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "utf-8" in first_line.lower():
            first_line = "not UTF-8 text; save it as UTF-8 CSV"
        raise DataError(f"cannot read {name} as CSV ({first_line})") from None
    bars, problems = check_bars_csv(raw)
    refused = [p for p in problems if p.refuse]
    if refused:
        first = min(refused, key=lambda p: -1 if p.row is None else p.row)
        others = len(refused) - 1
        also = f"; {others} other kind(s) of problem too" if others else ""
        raise DataError(f"{first.describe(name)}{also}")
    for problem in problems:
        if warn is not None:
            warn(problem.describe(name))
    return bars


def indicator_report(
    *,
    ticker: str | None,
    input_path: Path | None,
    start: date | None,
    end: date | None,
    interval: str = "day",
    spec: str = DEFAULT_SPEC,
    lake_uri: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> pl.DataFrame:
    """Return one row per bar in [start, end]: `date`, then the indicator columns of
    `spec`. Bars come from the lake for `ticker`, or from the CSV at `input_path` (its
    warnings go to `warn`)."""
    if (ticker is None) == (input_path is None):
        raise UsageError("give either a TICKER or --input FILE.csv (exactly one)")
    if interval not in INTERVALS:
        raise UsageError(f"unknown interval {shown(interval)}; use one of {', '.join(INTERVALS)}")
    if start is not None and end is not None and start > end:
        raise UsageError(f"--start {start} is after --end {end}: pass --start on or before --end")
    check_range(start, end)
    specs = parse_spec(spec)
    chosen: Interval = interval
    if input_path is not None:
        bars = read_bars_csv(input_path, warn)
        result = indicators_in_range(bars, start, end, interval=chosen, specs=specs)
    else:
        assert ticker is not None  # exactly one of ticker and input_path, checked above
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
    raise UsageError(f"unknown format {shown(fmt)}; use one of {', '.join(FORMATS)}")


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
    """Return the date `text` (YYYY-MM-DD, ASCII digits) names, None for None; raise
    `UsageError` naming `option` when it does not parse."""
    if text is None:
        return None
    value = text.strip()
    try:
        if not (value.isascii() and len(value) == 10 and value[4] == value[7] == "-"):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {shown(text)} is not a date; write YYYY-MM-DD") from None
