"""What every source serves: three small protocols, their wiring bundle and the synthetic
market's config.

A fetch returns a Polars frame whose columns are the provider's WIRE field names (one
row per record in the provider's JSON, typed as in `pipelines.sources.wire`); the pure
transforms in `pipelines.sources.transforms` turn it into a contract frame from
`lake.schemas`. The real clients (Massive/Polygon, Finnhub, FMP) and the synthetic
market implement the same protocols with the same wire shapes, so the pipeline runs one
code path whatever the source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol, runtime_checkable

import polars as pl

from lake.calendar import last_completed_session

Progress = Callable[[int, int], None]
"""Called as `progress(done, total)` while a long multi-day fetch advances."""


# Sources that send no daily bar for a ticker on a session it did not trade (Massive's
# grouped daily), with the share of the expected tickers a session may lack before its
# batch counts as truncated. Any other source sends every ticker every session, and a
# missing (ticker, session) is a gap. Keyed by the source's `name`, as bronze records it.
UNTRADED_SHARE_BY_SOURCE: dict[str, float] = {"massive": 0.05}


@runtime_checkable
class BarsSource(Protocol):
    """The Massive/Polygon REST protocol: daily bars, reference data, splits, news."""

    name: str  # "massive" | "synthetic"

    def grouped_daily(
        self, start: date, end: date, *, progress: Progress | None = None
    ) -> pl.DataFrame:
        """Return unadjusted bars for every NYSE trading day in [start, end].

        Wire columns `T, o, h, l, c, v, vw, n, t` (`t` = UTC ms of the session's close).
        """
        ...

    def ticker_details(self, as_of: date) -> pl.DataFrame:
        """Return one row per active ticker with the fields of `/v3/reference/tickers/{t}`."""
        ...

    def splits(self, start: date, end: date) -> pl.DataFrame:
        """Return splits executed in [start, end].

        Out: `ticker, execution_date, split_from, split_to, id`.
        """
        ...

    def news(self, start: date, end: date) -> pl.DataFrame:
        """Return articles published in [start, end], one row per (article, ticker)."""
        ...


@runtime_checkable
class EarningsSource(Protocol):
    """The Finnhub protocol: the earnings calendar with estimates and actuals."""

    name: str  # "finnhub" | "synthetic"

    def earnings_calendar(self, start: date, end: date) -> pl.DataFrame:
        """Return reports dated in [start, end]: `date, epsActual, epsEstimate, hour, quarter,
        year, revenueActual, revenueEstimate, symbol` (EPS may be null)."""
        ...


@runtime_checkable
class GradesSource(Protocol):
    """The FMP protocol: analyst grade actions."""

    name: str  # "fmp" | "synthetic"

    def grades(self, symbols: Sequence[str], start: date, end: date) -> pl.DataFrame:
        """Return grade actions on `symbols` dated in [start, end]:
        `symbol, date, gradingCompany, previousGrade, newGrade, action`."""
        ...


# The environment variable that enables each role's real client.
KEY_VARIABLES: dict[str, str] = {
    "bars": "MASSIVE_API_KEY",
    "earnings": "FINNHUB_API_KEY",
    "grades": "FMP_API_KEY",
}


@dataclass(frozen=True)
class Sources:
    """The sources one pipeline run reads from (see `pipelines.sources.get_sources`).

    A role is None when no source serves it (its provider's key is not set and the
    synthetic market was not chosen): the datasets it serves are skipped, never faked.
    """

    bars: BarsSource | None
    earnings: EarningsSource | None
    grades: GradesSource | None

    def missing(self, role: str) -> str | None:
        """Return why `role` ("bars", "earnings", "grades") has no source, or None when
        one serves it."""
        if getattr(self, role) is not None:
            return None
        return f"{KEY_VARIABLES[role]} not set"


def _default_end() -> date:
    return last_completed_session()


def _default_start() -> date:
    # Four calendar years before the default end.
    return last_completed_session() - timedelta(days=round(4 * 365.25) - 1)


@dataclass(frozen=True)
class SyntheticMarketConfig:
    """The synthetic market's identity: a seed, a universe size and the period it covers.

    `start` anchors every price path (day 0); a day's data depends only on the seed, the
    universe size and `start`, never on the range a caller asks for, so a day served
    later equals the same day served by the demo. `end` is the demo's last day (default:
    the last completed NYSE session before today); the market also serves later days.
    """

    seed: int = 7
    n_tickers: int = 2500
    start: date = field(default_factory=_default_start)
    end: date = field(default_factory=_default_end)

    def __post_init__(self) -> None:
        if self.n_tickers < 1:
            raise ValueError("n_tickers must be at least 1")
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
