"""Synthetic analyst grades for the largest companies: real brokers, each with its own rating scale.

Each (company, broker) pair carries a current grade; on a given session a broker acts
on a company with a small probability, much higher on the session after an earnings
report, where the surprise tilts the action toward an upgrade or a downgrade. Actions
are replayed day by day from the anchor (each day from its own keyed stream), so the
grades up to a day never depend on the range asked for.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from lake.calendar import trading_days
from pipelines.sources.synthetic.streams import Stream, day_generator, static_generator

COVERED_TICKERS = 100  # the largest companies by market cap, like FMP's free tier
DAILY_ACTION_PROBABILITY = 0.02  # per covered company per session
POST_EARNINGS_ACTION_PROBABILITY = 0.45

# Broker → its rating scale, worst to best.
FIRMS: dict[str, tuple[str, str, str]] = {
    "Morgan Stanley": ("Underweight", "Equal-Weight", "Overweight"),
    "Goldman Sachs": ("Sell", "Neutral", "Buy"),
    "JP Morgan": ("Underweight", "Neutral", "Overweight"),
    "Bank of America Securities": ("Underperform", "Neutral", "Buy"),
    "Citigroup": ("Sell", "Neutral", "Buy"),
    "Wells Fargo": ("Underweight", "Equal-Weight", "Overweight"),
    "Barclays": ("Underweight", "Equal-Weight", "Overweight"),
    "UBS": ("Sell", "Neutral", "Buy"),
    "Deutsche Bank": ("Sell", "Hold", "Buy"),
    "RBC Capital": ("Underperform", "Sector Perform", "Outperform"),
    "BMO Capital": ("Underperform", "Market Perform", "Outperform"),
    "Jefferies": ("Underperform", "Hold", "Buy"),
    "Piper Sandler": ("Underweight", "Neutral", "Overweight"),
    "Evercore ISI Group": ("Underperform", "In-Line", "Outperform"),
    "Needham": ("Underperform", "Hold", "Buy"),
}
_FIRM_NAMES = list(FIRMS)


def grade_events(
    universe: pl.DataFrame, earnings: pl.DataFrame, seed: int, anchor: date, last_day: date
) -> pl.DataFrame:
    """Return grade actions on the covered companies dated in [anchor, last_day].

    Columns: `ticker_index`, `ticker`, `date`, `firm`, `previous_grade` ("" when the
    broker initiates coverage), `new_grade`, `action` (upgrade, downgrade, maintain,
    initiate). `earnings` supplies `ticker_index`, `reaction_date`, `surprise_pct`.
    """
    covered = np.flatnonzero(universe["cap_rank"].to_numpy() <= COVERED_TICKERS)
    n_firms = len(_FIRM_NAMES)
    start_rng = static_generator(seed, Stream.GRADES)
    # -1 = no coverage yet; 0..2 = index into the broker's scale.
    grade = np.where(
        start_rng.random((covered.size, n_firms)) < 0.6,
        start_rng.choice(3, (covered.size, n_firms), p=[0.1, 0.45, 0.45]),
        -1,
    )
    position = {int(index): k for k, index in enumerate(covered)}
    surprise_by_day: dict[date, dict[int, float]] = {}
    for index, day, surprise in (
        earnings.filter(pl.col("ticker_index").is_in(covered.tolist()))
        .select("ticker_index", "reaction_date", "surprise_pct")
        .iter_rows()
    ):
        surprise_by_day.setdefault(day, {})[position[index]] = surprise or 0.0

    rows: list[tuple[int, date, str, str, str, str]] = []
    for day in trading_days(anchor, last_day):
        rng = day_generator(seed, Stream.GRADES, day)
        draws = rng.random((4, covered.size))
        firm_pick = rng.integers(0, n_firms, covered.size)
        probability = np.full(covered.size, DAILY_ACTION_PROBABILITY)
        surprises = np.zeros(covered.size)
        for slot, surprise in surprise_by_day.get(day, {}).items():
            probability[slot] = POST_EARNINGS_ACTION_PROBABILITY
            surprises[slot] = surprise
        for k in np.flatnonzero(draws[0] < probability):
            firm = int(firm_pick[k])
            scale = FIRMS[_FIRM_NAMES[firm]]
            before = int(grade[k, firm])
            if before < 0:
                after = int(np.searchsorted([0.12, 0.55], draws[1, k], side="right"))
                action, previous = "initiate", ""
            else:
                # A beat tilts toward upgrades, a miss toward downgrades.
                tilt = float(np.clip(surprises[k] / 40.0, -0.25, 0.25))
                up, down = 0.18 + tilt, 0.18 - tilt
                move = 1 if draws[2, k] < up else -1 if draws[2, k] > 1.0 - down else 0
                after = min(max(before + move, 0), 2)
                action = (
                    "upgrade" if after > before else "downgrade" if after < before else "maintain"
                )
                previous = scale[before]
            grade[k, firm] = after
            rows.append((int(covered[k]), day, _FIRM_NAMES[firm], previous, scale[after], action))
    frame = pl.DataFrame(
        rows,
        schema={
            "ticker_index": pl.Int64,
            "date": pl.Date,
            "firm": pl.String,
            "previous_grade": pl.String,
            "new_grade": pl.String,
            "action": pl.String,
        },
        orient="row",
    )
    return frame.with_columns(
        universe["ticker"].gather(frame["ticker_index"]).alias("ticker")
    ).unique(["ticker_index", "date", "firm"], keep="last", maintain_order=True)
