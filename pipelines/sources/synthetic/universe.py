"""The synthetic universe: who the tickers are (reference data) and their per-ticker traits.

One row per ticker, drawn once per (seed, n_tickers). Market caps follow the shape of
the US listed market, micro → mega, by rank; sectors come from real SIC codes in fixed
division shares; prices, volatility, beta, liquidity and earnings habits follow from
the size. Everything downstream (prices, splits, earnings, grades, news) reads its
per-ticker traits from this frame.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from lake.schemas import sic_sector
from pipelines.sources.synthetic.sic_codes import DIVISION_WEIGHTS, SIC_CODES
from pipelines.sources.synthetic.streams import Stream, static_generator

# Market cap (dollars) at a rank fraction u = rank / n, interpolated in log space:
# ~0.7% mega (≥ $200B), ~11% large, ~24% mid, ~34% small, ~30% micro.
_CAP_KNOTS_U = np.array([0.0, 0.007, 0.12, 0.36, 0.70, 1.0])
_CAP_KNOTS_LOG10 = np.log10([3.4e12, 2.15e11, 1.0e10, 2.0e9, 3.0e8, 1.2e7])

_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_FIGI_ALPHABET = np.array(list("BCDFGHJKLMNPQRSTVWXYZ0123456789"))
_NAME_HEADS = (
    "Nor",
    "Vel",
    "Ast",
    "Cor",
    "Lum",
    "Bri",
    "Sol",
    "Kes",
    "Tal",
    "Mar",
    "Orb",
    "Pyx",
    "Quin",
    "Rav",
    "Sev",
    "Tor",
    "Ulm",
    "Var",
    "Wes",
    "Xen",
    "Yor",
    "Zen",
    "Alt",
    "Bel",
    "Cal",
    "Dun",
    "Eld",
    "Fal",
    "Gal",
    "Hal",
)
_NAME_TAILS = (
    "vex",
    "ora",
    "ion",
    "ent",
    "ara",
    "ix",
    "on",
    "ell",
    "ant",
    "is",
    "ium",
    "ova",
    "eon",
    "ado",
    "ic",
    "yn",
    "ar",
    "os",
    "ea",
    "um",
)
_NAME_FORMS = ("Inc.", "Corp.", "Holdings Inc.", "Group Inc.", "Co.", "Ltd.", "Technologies Inc.")
_EXCHANGES = np.array(["XNAS", "XNYS", "ARCX", "XASE"])


def figi_check_digit(body: str) -> str:
    """Return the check digit of an 11-character FIGI body (modified Luhn, as the FIGI standard)."""
    total = 0
    for position, char in enumerate(body):
        value = int(char) if char.isdigit() else ord(char) - ord("A") + 10
        if position % 2 == 1:
            value *= 2
        total += sum(int(d) for d in str(value))
    return str((10 - total % 10) % 10)


def _market_caps(rng: np.random.Generator, n: int) -> np.ndarray:
    rank = rng.permutation(n)
    u = (rank + 0.5) / n
    log_cap = np.interp(u, _CAP_KNOTS_U, _CAP_KNOTS_LOG10)
    # A little jitter so caps are not a perfect staircase; small enough to keep the ranks.
    return 10 ** (log_cap + rng.normal(0.0, 0.02, n))


def _tickers(rng: np.random.Generator, n: int, log_cap: np.ndarray) -> list[str]:
    # Bigger companies tend to have shorter symbols.
    weights = np.where(log_cap[:, None] > 10.5, [0.05, 0.35, 0.40, 0.20], [0.0, 0.10, 0.40, 0.50])
    lengths = 1 + (rng.random(n)[:, None] > np.cumsum(weights, axis=1)).sum(axis=1)
    lengths = np.minimum(lengths, 4)
    seen: set[str] = set()
    symbols: list[str] = []
    for length in lengths:
        while True:
            symbol = "".join(rng.choice(_LETTERS, int(length)))
            if symbol not in seen:
                break
            length = min(length + 1, 5)
        seen.add(symbol)
        symbols.append(symbol)
    return symbols


def _sic_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return an index into SIC_CODES per ticker, divisions in their exact shares."""
    codes = pl.DataFrame(
        {
            "sic_code": [c[0] for c in SIC_CODES],
            "weight": [c[3] for c in SIC_CODES],
        }
    ).with_columns(sic_sector(pl.col("sic_code")).alias("division"))
    divisions = list(DIVISION_WEIGHTS)
    # Stratified: ticker k of n lands in the division covering quantile (k + 0.5) / n.
    edges = np.cumsum([DIVISION_WEIGHTS[d] for d in divisions])
    division_of = np.searchsorted(edges, (np.arange(n) + 0.5) / n, side="right")
    division_of = np.minimum(division_of, len(divisions) - 1)
    rng.shuffle(division_of)
    rows = np.empty(n, dtype=np.int64)
    for index, division in enumerate(divisions):
        members = np.flatnonzero(division_of == index)
        candidates = np.flatnonzero((codes["division"] == division).to_numpy())
        weights = codes["weight"].to_numpy()[candidates]
        rows[members] = rng.choice(candidates, members.size, p=weights / weights.sum())
    return rows


def build_universe(seed: int, n_tickers: int, anchor: date) -> pl.DataFrame:
    """Return the universe: one row per ticker with reference data and simulation traits.

    `anchor` is the market's first day (listing dates fall before it). Columns:
    reference (`ticker, name, cik, composite_figi, primary_exchange, type, list_date,
    sic_code, sic_description, sector`), size (`price0` dollars, `shares0`,
    `market_cap0` dollars, `cap_rank` 1 = largest), prices (`beta`, `sector_loading`,
    `idio_vol` daily log-return sd, `drift` daily), liquidity (`turnover` share of
    shares traded per day, `trade_size` shares per transaction), earnings habits
    (`earnings_offset` days after quarter start, `earnings_hour` bmo/amc, `eps0`
    dollars per quarter, `revenue0` dollars per quarter, `has_coverage`).
    """
    rng = static_generator(seed, Stream.UNIVERSE)
    n = n_tickers
    market_cap = _market_caps(rng, n)
    log_cap = np.log10(market_cap)
    size = (log_cap - 9.5) / 1.5  # ≈ -1.5 (micro) .. +2 (mega)

    symbols = _tickers(rng, n, log_cap)
    sic_index = _sic_rows(rng, n)

    # Prices: bigger companies trade at higher prices; a tail of penny stocks and of
    # very high-priced names (the split candidates).
    price0 = np.exp(np.log(28.0) + 0.6 * size + 0.9 * rng.standard_normal(n))
    price0 = np.clip(price0, 0.35, 2500.0)
    price0 = np.where(price0 < 1.0, np.round(price0, 4), np.round(price0, 2))
    shares0 = np.round(market_cap / price0, -3)
    shares0 = np.maximum(shares0, 1e5)

    # Risk: small names are more volatile and less tied to the market.
    idio_vol = np.clip(0.017 - 0.0055 * size + 0.004 * rng.standard_normal(n), 0.006, 0.045)
    beta = np.clip(1.0 + 0.12 * size + 0.3 * rng.standard_normal(n), 0.3, 2.2)
    sector_loading = np.clip(0.8 + 0.25 * rng.standard_normal(n), 0.2, 1.5)
    drift = 0.00005 + 0.00015 * rng.standard_normal(n)

    # Liquidity: daily turnover spans 0.1%..3% of shares; mega caps trade in bigger lots.
    turnover = np.exp(np.log(0.006) + 0.6 * rng.standard_normal(n) - 0.1 * size)
    turnover = np.clip(turnover, 0.0008, 0.04)
    trade_size = np.clip(np.exp(np.log(110.0) + 0.4 * rng.standard_normal(n) + 0.1 * size), 20, 800)

    # Earnings habits: a fixed reporting slot per company, 18-50 days after quarter start.
    earnings_offset = rng.integers(18, 51, n)
    earnings_hour = np.where(rng.random(n) < 0.55, "bmo", "amc")
    earnings_yield = np.clip(0.05 + 0.03 * rng.standard_normal(n) + 0.01 * size, -0.08, 0.14)
    eps0 = price0 * earnings_yield / 4.0
    # At least 10 cents a quarter in size, so a surprise in % is not dominated by rounding.
    eps_floor = 0.10 + 0.15 * rng.random(n)
    eps0 = np.where(eps0 < 0, -1.0, 1.0) * np.maximum(np.abs(eps0), eps_floor)
    revenue0 = market_cap * np.exp(np.log(0.5) + 0.5 * rng.standard_normal(n)) / 4.0
    has_coverage = (size > -0.8) | (rng.random(n) < 0.9)

    cik = rng.choice(np.arange(1_000_000, 1_999_999), n, replace=False)
    figi_bodies = ["BBG00" + "".join(rng.choice(_FIGI_ALPHABET, 6)) for _ in range(n)]
    days_listed = (rng.beta(1.2, 2.5, n) * 40 * 365 + 60).astype(int)
    heads = rng.integers(0, len(_NAME_HEADS), n)
    tails = rng.integers(0, len(_NAME_TAILS), n)
    forms = rng.integers(0, len(_NAME_FORMS), n)
    exchange = _EXCHANGES[np.searchsorted([0.58, 0.93, 0.97], rng.random(n), side="right")]

    names = [
        f"{_NAME_HEADS[h]}{_NAME_TAILS[t]} {SIC_CODES[s][2]} {_NAME_FORMS[f]}"
        for h, t, s, f in zip(heads, tails, sic_index, forms, strict=True)
    ]
    cap_rank = np.empty(n, dtype=np.int64)
    cap_rank[np.argsort(-market_cap, kind="stable")] = np.arange(1, n + 1)

    return pl.DataFrame(
        {
            "ticker": symbols,
            "name": names,
            "cik": [f"{c:010d}" for c in cik],
            "composite_figi": [body + figi_check_digit(body) for body in figi_bodies],
            "primary_exchange": exchange,
            "type": ["CS"] * n,
            "list_date": [anchor - timedelta(days=int(d)) for d in days_listed],
            "sic_code": [SIC_CODES[s][0] for s in sic_index],
            "sic_description": [SIC_CODES[s][1] for s in sic_index],
            "price0": price0,
            "shares0": shares0,
            "market_cap0": price0 * shares0,
            "cap_rank": cap_rank,
            "beta": beta,
            "sector_loading": sector_loading,
            "idio_vol": idio_vol,
            "drift": drift,
            "turnover": turnover,
            "trade_size": trade_size,
            "earnings_offset": earnings_offset,
            "earnings_hour": earnings_hour,
            "eps0": eps0,
            "revenue0": revenue0,
            "has_coverage": has_coverage,
        }
    ).with_columns(sic_sector(pl.col("sic_code")).alias("sector"))
