"""Synthetic price paths: a factor model with volatility clustering, as continuous
(split-free) bars.

Daily log return of ticker i on day t:

    r = drift_i + beta_i · m_t + loading_i · s_(sector i),t + e_i,t + reaction_i,t

with a GARCH(1,1) market factor `m`, sector factors `s` whose size follows the
market's current volatility, and GARCH(1,1) own noise `e` (larger on earnings-reaction
days). Each day's draws come from a generator keyed by (seed, day), and the variance
state is carried forward from the anchor, so a day's bar never depends on the range
asked for. The returned prices are continuous; `market` divides them by the split
factor to get raw (unadjusted) prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from lake.schemas import SIC_DIVISIONS
from pipelines.sources.synthetic.earnings import REACTION_DAY_VOL_BOOST
from pipelines.sources.synthetic.streams import Stream, day_generator

MARKET_VOL = 0.0105  # long-run daily sd of the market factor
MARKET_DRIFT = 0.00025  # ≈ 6% a year
SECTOR_VOL = 0.0065
# GARCH(1,1) news and persistence weights: the market clusters more than single names.
MARKET_GARCH = (0.12, 0.86)
OWN_GARCH = (0.10, 0.88)
MAX_DAILY_LOG_RETURN = 0.35  # keeps a day's move within what real stocks do without news
OVERNIGHT_SHARE = 0.3  # share of an ordinary day's move that happens in the opening gap
RANGE_SCALE = 0.55  # intraday excursion beyond open/close, in units of the day's sd
_SECTORS = [name for _, _, name in SIC_DIVISIONS]


@dataclass(frozen=True)
class ContinuousBars:
    """Split-free daily bars, arrays of shape (days, tickers): prices in dollars, volume in
    shares (continuous basis), transactions as counts."""

    days: np.ndarray  # datetime64[D], ascending trading days
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    vwap: np.ndarray
    volume: np.ndarray
    transactions: np.ndarray


def simulate_bars(
    universe: pl.DataFrame, seed: int, days: np.ndarray, reactions: pl.DataFrame
) -> ContinuousBars:
    """Return continuous bars for `days` (the anchor's session first) for every ticker.

    `reactions` has `ticker_index`, `reaction_date`, `reaction` (log return added on that
    session). Prices start from `price0` (the close before the first day).
    """
    n = universe.height
    t = days.size
    beta = universe["beta"].to_numpy()
    loading = universe["sector_loading"].to_numpy()
    drift = universe["drift"].to_numpy()
    sector = np.array([_SECTORS.index(s) for s in universe["sector"].to_list()])
    long_run = universe["idio_vol"].to_numpy() ** 2
    market_alpha, market_beta = MARKET_GARCH
    own_alpha, own_beta = OWN_GARCH
    omega = long_run * (1.0 - own_alpha - own_beta)
    market_long_run = MARKET_VOL**2
    market_omega = market_long_run * (1.0 - market_alpha - market_beta)

    jump = np.zeros((t, n))
    reacting = np.zeros((t, n), dtype=bool)
    reaction_days = reactions["reaction_date"].to_numpy().astype("datetime64[D]")
    day_index = np.minimum(np.searchsorted(days, reaction_days), t - 1)
    inside = days[day_index] == reaction_days
    rows, cols = day_index[inside], reactions["ticker_index"].to_numpy()[inside]
    jump[rows, cols] = reactions["reaction"].to_numpy()[inside]
    reacting[rows, cols] = True
    boost = np.where(reacting, REACTION_DAY_VOL_BOOST, 1.0)

    # The loop only draws and carries the GARCH variances; the rest is whole-matrix math.
    factors = np.empty((t, 1 + len(_SECTORS)))
    own = np.empty((t, n))
    own_sd = np.empty((t, n))
    market_var = np.empty(t)
    shocks = np.empty((t, 5, n), dtype=np.float32)
    h_market, h_own = market_long_run, long_run.copy()
    for d in range(t):
        rng = day_generator(seed, Stream.PRICES, days[d].item())
        factors[d] = rng.standard_normal(1 + len(_SECTORS))
        own[d] = rng.standard_normal(n)
        shocks[d] = rng.standard_normal((5, n), dtype=np.float32)
        market_var[d] = h_market
        own_sd[d] = np.sqrt(h_own)
        h_market = market_omega + (market_alpha * factors[d, 0] ** 2 + market_beta) * h_market
        h_own = omega + (own_alpha * own[d] ** 2 + own_beta) * h_own

    market = np.sqrt(market_var) * factors[:, 0]
    sectors = SECTOR_VOL * np.sqrt(market_var / market_long_run)[:, None] * factors[:, 1:]
    returns = drift + np.multiply.outer(MARKET_DRIFT + market, beta)
    returns += loading * sectors[:, sector]
    returns += boost * own_sd * own + jump
    day_sd = np.sqrt(own_sd**2 + np.multiply.outer(market_var, beta**2))

    np.clip(returns, -MAX_DAILY_LOG_RETURN, MAX_DAILY_LOG_RETURN, out=returns)
    log_close = np.log(universe["price0"].to_numpy()) + np.cumsum(returns, axis=0)
    close = np.exp(log_close)
    previous = np.vstack([universe["price0"].to_numpy()[None, :], close[:-1]])
    gap_share = np.clip(OVERNIGHT_SHARE + 0.15 * shocks[:, 0], 0.0, 0.8)
    # News moves the price overnight: the whole reaction is in the opening gap.
    overnight = gap_share * (returns - jump) + jump
    open_ = previous * np.exp(overnight)
    top = np.maximum(open_, close)
    bottom = np.minimum(open_, close)
    high = top * np.exp(RANGE_SCALE * day_sd * np.abs(shocks[:, 1]))
    low = bottom * np.exp(-RANGE_SCALE * day_sd * np.abs(shocks[:, 2]))
    # The day's average price sits between the range's middle and the close.
    position = np.clip(0.5 + 0.18 * shocks[:, 3], 0.05, 0.95)
    vwap = low + (high - low) * position

    base_volume = (universe["shares0"] * universe["turnover"]).to_numpy()
    activity = 1.0 + 8.0 * np.abs(returns - drift) + 1.5 * reacting
    volume = base_volume * activity * np.exp(0.35 * shocks[:, 4] - 0.06)
    trade_size = universe["trade_size"].to_numpy()
    transactions = np.maximum(1, np.rint(volume / trade_size * np.exp(0.1 * shocks[:, 0])))
    return ContinuousBars(
        days=days,
        open=open_,
        high=high,
        low=low,
        close=close,
        vwap=vwap,
        volume=volume,
        transactions=transactions.astype(np.int64),
    )


def session_day(days: np.ndarray, day: date) -> int:
    """Return the row of `day` in `days`, or the row it would be inserted at."""
    return int(np.searchsorted(days, np.datetime64(day, "D")))
