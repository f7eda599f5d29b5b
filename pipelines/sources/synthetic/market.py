"""The synthetic market: one object that serves bars, reference data, splits, news, earnings
and grades in the providers' wire shapes (it implements BarsSource, EarningsSource and
GradesSource).

Everything is simulated once from the anchor (`config.start`) up to the last day asked
for (at least `config.end`) and kept in memory; each fetch slices it. Raw prices are the
continuous path divided by the cumulative split factor, exactly as unadjusted data
jumps at a split.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from lake.calendar import trading_days_array
from pipelines.sources import wire
from pipelines.sources.base import Progress, SyntheticMarketConfig
from pipelines.sources.synthetic.earnings import earnings_events
from pipelines.sources.synthetic.grades import grade_events
from pipelines.sources.synthetic.news import news_articles
from pipelines.sources.synthetic.prices import ContinuousBars, simulate_bars
from pipelines.sources.synthetic.splits import split_events, split_factors
from pipelines.sources.synthetic.universe import build_universe

_NEW_YORK = ZoneInfo("America/New_York")
_SESSION_CLOSE = time(16, 0)


@dataclass(frozen=True)
class _Simulation:
    """Everything simulated from the anchor up to `last_day`."""

    last_day: date
    bars: ContinuousBars
    factors: np.ndarray  # cumulative split factor per (day, ticker)
    splits: pl.DataFrame
    earnings: pl.DataFrame


def _round_prices(prices: np.ndarray) -> np.ndarray:
    # Cents above a dollar, hundredths of a cent below, as the tape quotes them.
    return np.where(prices >= 1.0, np.round(prices, 2), np.maximum(np.round(prices, 4), 0.0001))


def _close_ms(days: np.ndarray) -> np.ndarray:
    """Return UTC ms of 16:00 New York time on each day (what grouped daily's `t` carries)."""
    return np.array(
        [
            int(datetime.combine(day, _SESSION_CLOSE, _NEW_YORK).timestamp() * 1000)
            for day in days.astype("datetime64[D]").tolist()
        ],
        dtype=np.int64,
    )


def _event_id(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


class SyntheticMarket:
    """A deterministic, seeded US equity market serving the Massive, Finnhub and FMP wire shapes."""

    name = "synthetic"

    def __init__(self, config: SyntheticMarketConfig | None = None) -> None:
        self.config = SyntheticMarketConfig() if config is None else config
        self._lock = threading.Lock()
        self._simulation: _Simulation | None = None
        self._grade_cache: tuple[date, pl.DataFrame] | None = None

    # --- reference -----------------------------------------------------------------

    @cached_property
    def universe(self) -> pl.DataFrame:
        """Return the universe's reference data and per-ticker traits (see `build_universe`)."""
        return build_universe(self.config.seed, self.config.n_tickers, self.config.start)

    def _simulate(self, until: date) -> _Simulation:
        with self._lock:
            if self._simulation is None or self._simulation.last_day < until:
                self._simulation = self._run(max(until, self.config.end))
            return self._simulation

    def _run(self, last_day: date) -> _Simulation:
        seed, anchor, universe = self.config.seed, self.config.start, self.universe
        days = trading_days_array(anchor, last_day)
        earnings = earnings_events(universe, seed, anchor, last_day)
        splits = split_events(universe, seed, anchor, last_day)
        bars = simulate_bars(universe, seed, days, earnings)
        factors = split_factors(splits, days, universe.height)
        return _Simulation(last_day, bars, factors, splits, earnings)

    def _grades(self, until: date) -> pl.DataFrame:
        # Grades are replayed only when asked for: bars-only callers skip the work.
        simulation = self._simulate(until)
        with self._lock:
            if self._grade_cache is None or self._grade_cache[0] != simulation.last_day:
                frame = grade_events(
                    self.universe,
                    simulation.earnings,
                    self.config.seed,
                    self.config.start,
                    simulation.last_day,
                )
                self._grade_cache = (simulation.last_day, frame)
            return self._grade_cache[1]

    # --- BarsSource ----------------------------------------------------------------

    def grouped_daily(
        self, start: date, end: date, *, progress: Progress | None = None
    ) -> pl.DataFrame:
        """Return unadjusted bars (wire `T,o,h,l,c,v,vw,n,t`) for every session in [start, end]."""
        simulation = self._simulate(end)
        days = simulation.bars.days
        first = int(np.searchsorted(days, np.datetime64(max(start, self.config.start), "D")))
        last = int(np.searchsorted(days, np.datetime64(end, "D"), side="right"))
        rows = slice(first, max(first, last))
        bars, factor = simulation.bars, simulation.factors[rows]
        open_ = _round_prices(bars.open[rows] / factor)
        close = _round_prices(bars.close[rows] / factor)
        high = np.maximum(_round_prices(bars.high[rows] / factor), np.maximum(open_, close))
        low = np.minimum(_round_prices(bars.low[rows] / factor), np.minimum(open_, close))
        vwap = np.clip(np.round(bars.vwap[rows] / factor, 4), low, high)
        volume = np.rint(bars.volume[rows] * factor)
        n_days, n_tickers = open_.shape
        frame = pl.DataFrame(
            {
                "T": self.universe["ticker"].gather(np.tile(np.arange(n_tickers), n_days)),
                "o": open_.ravel(),
                "h": high.ravel(),
                "l": low.ravel(),
                "c": close.ravel(),
                "v": volume.ravel(),
                "vw": vwap.ravel(),
                "n": bars.transactions[rows].ravel(),
                "t": np.repeat(_close_ms(days[rows]), n_tickers),
            },
            schema=wire.GROUPED_DAILY,
        )
        if progress is not None:
            progress(n_days, n_days)
        return frame

    def ticker_details(self, as_of: date) -> pl.DataFrame:
        """Return every ticker's details as of `as_of` (market cap at that day's raw close)."""
        universe = self.universe
        if as_of < self.config.start:
            price, shares = universe["price0"].to_numpy(), universe["shares0"].to_numpy()
        else:
            simulation = self._simulate(as_of)
            row = int(np.searchsorted(simulation.bars.days, np.datetime64(as_of, "D"), "right")) - 1
            factor = simulation.factors[row]
            price = _round_prices(simulation.bars.close[row] / factor)
            shares = universe["shares0"].to_numpy() * factor
        return universe.select(
            "ticker",
            "name",
            pl.Series("market_cap", np.round(price * shares, 0)),
            "sic_code",
            "sic_description",
            pl.Series("share_class_shares_outstanding", shares),
            pl.Series("weighted_shares_outstanding", shares),
            "primary_exchange",
            "type",
            pl.lit(True).alias("active"),
            pl.col("list_date").dt.strftime("%Y-%m-%d"),
            "cik",
            "composite_figi",
        ).cast(wire.TICKER_DETAILS)

    def splits(self, start: date, end: date) -> pl.DataFrame:
        """Return the splits executed in [start, end] (wire `ticker, execution_date, split_from,
        split_to, id`)."""
        events = self._simulate(end).splits.filter(pl.col("execution_date").is_between(start, end))
        ids = [
            _event_id(self.config.seed, "split", ticker, day)
            for ticker, day in events.select("ticker", "execution_date").iter_rows()
        ]
        return events.select(
            "ticker",
            pl.col("execution_date").dt.strftime("%Y-%m-%d"),
            "split_from",
            "split_to",
            pl.Series("id", ids, dtype=pl.String),
        )

    def news(self, start: date, end: date) -> pl.DataFrame:
        """Return articles about the events dated in [start, end], one row per (article, ticker)."""
        simulation = self._simulate(end)
        in_range = pl.col("date").is_between(start, end)
        articles = news_articles(
            self.universe,
            simulation.earnings.filter(in_range),
            simulation.splits.filter(pl.col("execution_date").is_between(start, end)),
            self._grades(end).filter(in_range),
            self.config.seed,
        )
        return articles.select(wire.NEWS.names())

    # --- EarningsSource ------------------------------------------------------------

    def earnings_calendar(self, start: date, end: date) -> pl.DataFrame:
        """Return reports dated in [start, end] (Finnhub calendar wire fields)."""
        events = self._simulate(end).earnings.filter(pl.col("date").is_between(start, end))
        return events.select(
            pl.col("date").dt.strftime("%Y-%m-%d"),
            pl.col("eps_actual").alias("epsActual"),
            pl.col("eps_estimate").alias("epsEstimate"),
            "hour",
            "quarter",
            "year",
            pl.col("revenue_actual").alias("revenueActual"),
            pl.col("revenue_estimate").alias("revenueEstimate"),
            pl.col("ticker").alias("symbol"),
        ).cast(wire.EARNINGS_CALENDAR)

    # --- GradesSource --------------------------------------------------------------

    def grades(self, symbols: Sequence[str], start: date, end: date) -> pl.DataFrame:
        """Return grade actions on `symbols` dated in [start, end] (FMP wire fields); only the
        ~100 largest companies are covered, like FMP's free tier."""
        events = self._grades(end).filter(
            pl.col("date").is_between(start, end), pl.col("ticker").is_in(list(symbols))
        )
        return events.select(
            pl.col("ticker").alias("symbol"),
            pl.col("date").dt.strftime("%Y-%m-%d"),
            pl.col("firm").alias("gradingCompany"),
            pl.col("previous_grade").alias("previousGrade"),
            pl.col("new_grade").alias("newGrade"),
            "action",
        ).sort("date", "symbol", "gradingCompany")
