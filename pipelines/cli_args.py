"""Checks of command-line values that Typer's types do not make: dates inside the trading
calendar, date ranges in order, finite numbers in range, feed URLs.

Each check returns the value or raises `UsageError` (exit 2) naming the flag, what was
wrong and what to write instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lake.errors import UsageError, shown

NEW_YORK = ZoneInfo("America/New_York")


def calendar_range() -> tuple[date, date]:
    """Return the first and last day the trading calendar covers (`lake.calendar.FIRST_DAY`,
    2000-01-03, and `LAST_DAY`, 31 December of next year)."""
    from lake.calendar import FIRST_DAY, LAST_DAY  # numpy: only when a date is checked

    return FIRST_DAY, LAST_DAY


def parse_day(text: str, flag: str) -> date:
    """Return the date `text` names (YYYY-MM-DD in ASCII digits); raise `UsageError`."""
    value = text.strip()
    try:
        if not (value.isascii() and len(value) == 10 and value[4] == value[7] == "-"):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag} {shown(text)} is not a date; write YYYY-MM-DD") from None


def trading_day(text: str, flag: str, *, latest: date | None = None) -> date:
    """Return the date `text` names when the trading calendar covers it and it is not after
    `latest` (default: today in New York); raise `UsageError` giving the supported range."""
    day = parse_day(text, flag)
    first, last = calendar_range()
    today = datetime.now(NEW_YORK).date()
    last = min(last, latest or today)
    if day < first:
        raise UsageError(
            f"{flag} {day} is before the trading calendar starts; use a date from {first} to {last}"
        )
    if day > last:
        why = "has not happened yet" if day > today else "is after the last day supported"
        raise UsageError(f"{flag} {day} {why}; use a date from {first} to {last}")
    return day


def check_order(start: date | None, end: date | None, start_flag: str, end_flag: str) -> None:
    """Raise `UsageError` when `start` is after `end`."""
    if start is not None and end is not None and start > end:
        raise UsageError(
            f"{start_flag} {start} is after {end_flag} {end}; "
            f"pass {start_flag} on or before {end_flag}"
        )


def finite(
    *, above: float | None = None, least: float | None = None, most: float | None = None
) -> Callable[[str], float]:
    """Return a Typer `parser` for a finite number `> above`, `>= least`, `<= most` (any
    bound may be None); nan and inf are refused. Click reports its `ValueError` as
    `Invalid value for '--flag': ...` (exit 2)."""
    rules = [
        *([f"above {above:g}"] if above is not None else []),
        *([f"at least {least:g}"] if least is not None else []),
        *([f"at most {most:g}"] if most is not None else []),
    ]
    wanted = "a finite number" + (f" {' and '.join(rules)}" if rules else "")

    def parse(text: str | float) -> float:
        try:
            value = float(text) if isinstance(text, float) or str(text).isascii() else math.nan
        except ValueError:
            value = math.nan
        if (
            not math.isfinite(value)
            or (above is not None and not value > above)
            or (least is not None and value < least)
            or (most is not None and value > most)
        ):
            raise ValueError(f"{shown(text)} is not {wanted}")
        return value

    parse.__name__ = "float"  # what --help shows as the type: FLOAT
    return parse


def feed_url(text: str | None) -> str | None:
    """Return `text` when it is a ws:// or wss:// URL with a host (None passes); raise
    `UsageError` naming --feed-url."""
    from lake.settings import check_url

    if text is None:
        return None
    try:
        return check_url(text, ("ws", "wss"))
    except ValueError as exc:
        raise UsageError(f"--feed-url (or FEED_URL) {exc}") from None
