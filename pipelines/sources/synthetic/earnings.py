"""Synthetic quarterly earnings: a report per ticker per quarter with estimate, actual and surprise,
and the price reaction the surprise causes.

Each company reports in a fixed slot of the season (its `earnings_offset` days after the
quarter starts, ± a few days), always before the open (bmo) or always after the close
(amc). The reaction lands on the first session that can trade on the news: the report
day for bmo, the next session for amc. Its size is proportional to the surprise in
units of the company's own volatility, which gives a Pearson correlation between
surprise % and reaction-day return of about 0.4 over the universe.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from lake.calendar import trading_days_array
from pipelines.sources.synthetic.quarters import previous_quarter, quarter_start, quarters_between
from pipelines.sources.synthetic.streams import Stream, quarter_generator

REACTION_PER_SURPRISE = 0.065  # reaction (log return) per 1% surprise, in units of idio vol
SURPRISE_CLIP = 40.0  # % beyond which the market stops caring how big the surprise was
REACTION_DAY_VOL_BOOST = 1.6  # own noise is larger on a reaction day


def earnings_events(
    universe: pl.DataFrame, seed: int, anchor: date, last_day: date
) -> pl.DataFrame:
    """Return the reports dated in [anchor, last_day], one per ticker per quarter.

    Columns: `ticker_index`, `ticker`, `date` (report date), `hour` (bmo/amc),
    `quarter`, `year` (the fiscal quarter reported, = the previous calendar quarter),
    `eps_estimate` (null for companies without analyst coverage), `eps_actual`,
    `revenue_estimate`, `revenue_actual` (dollars), `surprise_pct` (as the transform
    computes it; null without an estimate), `reaction_date` and `reaction` (log return
    added on that session).
    """
    n = universe.height
    offset = universe["earnings_offset"].to_numpy()
    hour = universe["earnings_hour"].to_numpy()
    eps0 = universe["eps0"].to_numpy()
    revenue0 = universe["revenue0"].to_numpy()
    covered = universe["has_coverage"].to_numpy()
    idio_vol = universe["idio_vol"].to_numpy()
    anchor_year, anchor_quarter = anchor.year, (anchor.month - 1) // 3 + 1
    sessions = trading_days_array(anchor - timedelta(days=7), last_day + timedelta(days=120))

    frames = []
    for year, quarter in quarters_between(anchor, last_day):
        rng = quarter_generator(seed, Stream.EARNINGS, year, quarter)
        age = (year - anchor_year) * 4 + (quarter - anchor_quarter)  # quarters since anchor
        jitter = rng.integers(-3, 4, n)
        wanted = np.datetime64(quarter_start(year, quarter), "D") + (offset + jitter)
        report = sessions[np.minimum(np.searchsorted(sessions, wanted), sessions.size - 1)]
        reaction_position = np.searchsorted(sessions, report) + (hour == "amc")
        reaction = sessions[np.minimum(reaction_position, sessions.size - 1)]

        # Estimates grow slowly with noise; surprises lean positive (companies guide low).
        estimate = eps0 * np.exp(0.012 * age + 0.08 * rng.standard_normal(n))
        estimate = np.round(estimate, 2)
        drawn_surprise = np.clip(3.0 + 11.0 * rng.standard_t(5, n), -80.0, 80.0)
        actual = np.round(estimate + np.abs(estimate) * drawn_surprise / 100.0, 2)
        surprise = (actual - estimate) / np.abs(estimate) * 100.0
        revenue_estimate = np.round(revenue0 * np.exp(0.01 * age + 0.04 * rng.standard_normal(n)))
        revenue_actual = np.round(
            revenue_estimate * (1.0 + 0.2 * surprise / 100.0 + 0.01 * rng.standard_normal(n))
        )
        reaction_size = (
            REACTION_PER_SURPRISE * idio_vol * np.clip(surprise, -SURPRISE_CLIP, SURPRISE_CLIP)
        )
        fiscal_year, fiscal_quarter = previous_quarter(year, quarter)
        frames.append(
            pl.DataFrame(
                {
                    "ticker_index": np.arange(n, dtype=np.int64),
                    "date": report,
                    "hour": hour,
                    "quarter": np.full(n, fiscal_quarter, dtype=np.int64),
                    "year": np.full(n, fiscal_year, dtype=np.int64),
                    "eps_estimate": np.where(covered, estimate, np.nan),
                    "eps_actual": actual,
                    "revenue_estimate": np.where(covered, revenue_estimate, np.nan),
                    "revenue_actual": revenue_actual,
                    "surprise_pct": np.where(covered, surprise, np.nan),
                    "reaction_date": reaction,
                    "reaction": reaction_size,
                }
            )
        )
    events = pl.concat(frames).with_columns(
        pl.col("eps_estimate", "revenue_estimate", "surprise_pct").fill_nan(None),
        pl.col("date", "reaction_date").cast(pl.Date),
    )
    events = events.filter(pl.col("date").is_between(anchor, last_day))
    return events.with_columns(
        universe["ticker"].gather(events["ticker_index"]).alias("ticker")
    ).sort("date", "ticker")
