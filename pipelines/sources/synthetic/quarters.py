"""Calendar quarters: the unit the synthetic market schedules its events by (earnings, splits)."""

from __future__ import annotations

from datetime import date


def quarter_of(day: date) -> tuple[int, int]:
    """Return (year, quarter 1-4) of `day`."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_start(year: int, quarter: int) -> date:
    """Return the first calendar day of a quarter."""
    return date(year, 3 * (quarter - 1) + 1, 1)


def quarters_between(first: date, last: date) -> list[tuple[int, int]]:
    """Return every (year, quarter) from `first`'s quarter to `last`'s, ascending."""
    year, quarter = quarter_of(first)
    end = quarter_of(last)
    out: list[tuple[int, int]] = []
    while (year, quarter) <= end:
        out.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    """Return the quarter before (year, quarter)."""
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)
