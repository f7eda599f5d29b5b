"""The reconciliation step: recompute the indicators of a sample of tickers and record how
well they agree with TA-Lib and, when a Massive key is set, with Massive's own indicators.

Runs from the CLI (`tickerlake reconcile`), the daily DAG (after gold is built) and tests.
Each run appends one row per ticker, indicator and reference to the
`quality/indicator_reconciliation` table (`lake.schemas.INDICATOR_RECONCILIATION`);
`lake.queries.reconciliation_history()` reads it back for the Data Quality page.

- The sample is deterministic: `sample_size` tickers with bars up to `as_of`, drawn with a
  seed that defaults to the date (YYYYMMDD), so a rerun checks the same tickers and each
  day checks others.
- Ours: the Polars engine (`lake.indicators.apply_indicators`) over each sampled ticker's
  whole adjusted history up to `as_of` (`lake.queries.adjusted_bars`).
- TA-Lib: the same arrays through TA-Lib, compared at `TALIB_TOLERANCE` (1e-9 relative)
  on every bar, warm-up rows included.
- Massive (only with `MASSIVE_API_KEY`, or when `sources.bars` is a `MassiveClient`):
  `/v1/indicators/sma|ema|macd|rsi/{ticker}` for the first `massive_sample_size` sampled
  tickers (one request per indicator and ticker: free plans allow a few a minute), the
  newest `MASSIVE_LIMIT` values up to `as_of`, compared at `MASSIVE_TOLERANCE` (1e-4
  relative) on the dates Massive returns. Massive has no WMA or Bollinger endpoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from lake import queries, tables
from lake.errors import TickerlakeError
from lake.indicators.spec import DEFAULT_SPEC, Ema, IndicatorSpec, Macd, Rsi, Sma, parse_spec
from lake.reconciliation import (
    MASSIVE_TOLERANCE,
    TALIB_TOLERANCE,
    agreement_by_indicator,
    compare_indicators,
    empty_reference,
    talib_reference,
)
from lake.schemas import ADJUSTED_BARS, INDICATOR_RECONCILIATION
from lake.settings import get_settings

if TYPE_CHECKING:
    from pipelines.sources import Sources
    from pipelines.sources.massive import MassiveClient

SAMPLE_SIZE = 20
MASSIVE_SAMPLE_SIZE = 5
MASSIVE_LIMIT = 250  # about a year of sessions per indicator
EXCHANGE_TZ = "America/New_York"  # Massive stamps a daily bar at its New York midnight
BAR_COLUMNS = ["open", "high", "low", "close", "volume"]


def reconcile_indicators(
    *,
    sample_size: int = SAMPLE_SIZE,
    as_of: date | None = None,
    seed: int | None = None,
    sources: Sources | None = None,
    specs: str | Sequence[IndicatorSpec] = DEFAULT_SPEC,
    massive_sample_size: int = MASSIVE_SAMPLE_SIZE,
    lake_uri: str,
) -> dict[str, Any]:
    """Reconcile our indicators for a sample of tickers of the lake at `lake_uri` and
    append the agreement rows to it.

    `as_of` (default: the last loaded day) is the last bar date used; `seed` (default:
    the date as YYYYMMDD) draws the sample; `specs` (default: the app's indicator set)
    says what to compute. Returns a small JSON-able summary: `run_id`, `run_at`, `as_of`,
    `tickers`, `references`, `rows` written, `version` of the table, and `indicators`:
    one dict per reference and indicator with `tickers`, `compared`, `agreed`,
    `agreement_pct` (percent, None when nothing was compared) and `max_rel_diff`.
    Raises `TickerlakeError` when the lake has no bars up to `as_of`.
    """
    day = queries.last_load_date(lake_uri=lake_uri) if as_of is None else as_of
    parsed = parse_spec(specs) if isinstance(specs, str) else tuple(specs)
    sample = sample_tickers(sample_size, day, seed=seed, lake_uri=lake_uri)
    bars = queries.adjusted_bars(sample, None, day, columns=BAR_COLUMNS, lake_uri=lake_uri)
    from lake.indicators import apply_indicators

    ours = apply_indicators(bars, parsed)
    results = [
        compare_indicators(
            ours, talib_reference(bars, parsed), tolerance=TALIB_TOLERANCE
        ).with_columns(pl.lit("talib").alias("reference"))
    ]
    client = massive_client(sources)
    if client is not None:
        reference = massive_reference(
            client, sample[:massive_sample_size], parsed, as_of=day, limit=MASSIVE_LIMIT
        )
        results.append(
            compare_indicators(ours, reference, tolerance=MASSIVE_TOLERANCE).with_columns(
                pl.lit("massive").alias("reference")
            )
        )

    run_at = datetime.now(UTC)
    run_id = f"{run_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    rows = pl.concat(results).with_columns(
        pl.lit(run_id).alias("run_id"),
        pl.lit(run_at).cast(pl.Datetime("ms", "UTC")).alias("run_at"),
        pl.lit(day).alias("as_of"),
    )
    version = tables.write(INDICATOR_RECONCILIATION, rows, mode="append", lake_uri=lake_uri)
    summary = agreement_by_indicator(rows)
    return {
        "run_id": run_id,
        "run_at": run_at.isoformat(),
        "as_of": day.isoformat(),
        "tickers": sample,
        "references": summary["reference"].unique(maintain_order=True).to_list(),
        "rows": rows.height,
        "version": version,
        "indicators": summary.to_dicts(),
    }


def sample_tickers(size: int, as_of: date, *, lake_uri: str, seed: int | None = None) -> list[str]:
    """Return `size` tickers (sorted) drawn without replacement from those with adjusted
    bars on or before `as_of`; the same `seed` (default: `as_of` as YYYYMMDD) gives the
    same sample. Raises `TickerlakeError` when no ticker has bars by then."""
    try:
        names = (
            tables.read(
                ADJUSTED_BARS,
                filters=pl.col("date") <= pl.lit(as_of),
                columns=["ticker"],
                lake_uri=lake_uri,
            )["ticker"]
            .unique()
            .sort()
            .to_list()
        )
    except tables.TableMissing as exc:
        raise TickerlakeError(f"The lake has no adjusted bars: {queries.BUILD_HINT}") from exc
    if not names:
        raise TickerlakeError(
            f"no adjusted bars on or before {as_of}: pass --as-of on or after the first "
            "loaded day, or load data first"
        )
    rng = np.random.default_rng(int(as_of.strftime("%Y%m%d")) if seed is None else seed)
    picked = rng.choice(len(names), size=min(size, len(names)), replace=False)
    return sorted(names[i] for i in picked)


def massive_client(sources: Sources | None) -> MassiveClient | None:
    """Return the Massive client to reconcile against: `sources.bars` when it is one, else
    (no `sources`) a client from `MASSIVE_API_KEY`; None when there is none."""
    from pipelines.sources.massive import MassiveClient

    if sources is not None:
        return sources.bars if isinstance(sources.bars, MassiveClient) else None
    settings = get_settings()
    if settings.massive_api_key is None:
        return None
    return MassiveClient.from_settings(settings)


def massive_reference(
    client: MassiveClient,
    tickers: Sequence[str],
    specs: Sequence[IndicatorSpec],
    *,
    as_of: date,
    limit: int = MASSIVE_LIMIT,
) -> pl.DataFrame:
    """Return Massive's values of the SMA, EMA, MACD and RSI specs among `specs` for
    `tickers`, up to `as_of`, in the long reference form of `lake.reconciliation`
    (`ticker`, `date`, `indicator` named like our output column, `value`)."""
    frames: list[pl.DataFrame] = []
    for ticker in tickers:
        for spec in specs:
            if isinstance(spec, Sma):
                raw, fields = client.sma(ticker, spec.period, as_of=as_of, limit=limit), ["value"]
            elif isinstance(spec, Ema):
                raw, fields = client.ema(ticker, spec.period, as_of=as_of, limit=limit), ["value"]
            elif isinstance(spec, Rsi):
                raw, fields = client.rsi(ticker, spec.period, as_of=as_of, limit=limit), ["value"]
            elif isinstance(spec, Macd):
                raw = client.macd(
                    ticker, spec.fast, spec.slow, spec.signal, as_of=as_of, limit=limit
                )
                fields = ["value", "signal", "histogram"]
            else:
                continue
            frames.extend(
                _massive_values(raw, ticker, field, column)
                for field, column in zip(fields, spec.columns, strict=True)
            )
    if not frames:
        return empty_reference()
    return pl.concat(frames)


def _massive_values(raw: pl.DataFrame, ticker: str, field: str, column: str) -> pl.DataFrame:
    """One field of Massive's indicator values as long reference rows (New York dates)."""
    exchange_date = (
        pl.from_epoch(pl.col("timestamp"), time_unit="ms")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(EXCHANGE_TZ)
        .dt.date()
    )
    return raw.select(
        pl.lit(ticker).alias("ticker"),
        exchange_date.alias("date"),
        pl.lit(column).alias("indicator"),
        pl.col(field).cast(pl.Float64).alias("value"),
    ).unique(subset="date", keep="first")
