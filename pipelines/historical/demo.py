"""The demo lake: years of the synthetic market loaded through the same steps as real
data, with its identity recorded so later loads extend the same market."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from lake import calendar as trading_calendar
from lake import tables
from lake.schemas import SYNTHETIC_MARKET
from pipelines.historical.lineage import refuse_other_data, upgrade_lineage
from pipelines.historical.loads import load_range
from pipelines.historical.maintenance import maintain
from pipelines.progress import ProgressCallback
from pipelines.sources import Sources, SyntheticMarketConfig


def build_demo(
    *,
    lake_uri: str,
    n_tickers: int = 2500,
    years: int = 4,
    seed: int = 7,
    reconciled_sessions: int = 5,
    progress: ProgressCallback | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Build the demo lake at `lake_uri` from the synthetic market through the same steps
    as a load.

    Refuses (`TickerlakeError`, nothing written) when the lake holds other data (see
    `other_data`) unless `force`; with `force` the synthetic rows are merged in beside
    it, replacing any row with the same key, and every row keeps saying its source.

    `years` of NYSE trading days ending at the last completed session, `n_tickers`
    tickers, deterministic for `seed`. Each dataset is extracted, validated and written
    once for the whole range, gold is built in one pass, then tables are compacted and
    old files vacuumed; the indicator reconciliation runs for the last
    `reconciled_sessions` sessions, as the daily DAG would have. The market's identity
    is recorded in the lake, so later `load_day`/`backfill` calls extend the same
    synthetic market. Returns `{"start", "end", "tickers", "bars", "seconds", ...}`.
    """
    from pipelines.sources.synthetic import SyntheticMarket

    upgrade_lineage(lake_uri=lake_uri)  # a demo lake from before lineage is still a demo lake
    if not force:
        refuse_other_data(lake_uri=lake_uri)
    started = datetime.now(UTC)
    end = trading_calendar.last_completed_session()
    start = trading_calendar.trading_days(
        end - timedelta(days=round(years * 365.25)) + timedelta(days=1), end
    )[0]
    config = SyntheticMarketConfig(seed=seed, n_tickers=n_tickers, start=start, end=end)
    market = SyntheticMarket(config)
    sources = Sources(bars=market, earnings=market, grades=market)
    tables.write(
        SYNTHETIC_MARKET,
        pl.DataFrame({"seed": [seed], "n_tickers": [n_tickers], "start": [start], "end": [end]}),
        mode="overwrite",
        lake_uri=lake_uri,
    )
    result = load_range(
        "demo", start, end, sources, lake_uri=lake_uri, progress=progress, full_gold=True
    )
    _reconcile_recent(end, reconciled_sessions, sources, progress, lake_uri=lake_uri)
    if progress is not None:
        progress("maintain", 0, 1)
    # Forced: the demo is written into an empty lake (or one the user chose to overwrite),
    # so no other reader or writer can hold an older snapshot of these versions.
    maintain(lake_uri=lake_uri, zorder=False, retention_hours=0, force=True)
    if progress is not None:
        progress("maintain", 1, 1)
    result.update(
        tickers=n_tickers,
        bars=result["rows"],
        seconds=round((datetime.now(UTC) - started).total_seconds(), 1),
    )
    return result


def _reconcile_recent(
    end: date,
    sessions: int,
    sources: Sources,
    progress: ProgressCallback | None,
    *,
    lake_uri: str,
) -> None:
    """Run the daily DAG's indicator reconciliation for the last few sessions, so a demo
    lake's Data quality page shows agreement over time, as a loaded lake's would (against
    TA-Lib only: the synthetic tickers have no provider indicators)."""
    from pipelines.reconciliation import reconcile_indicators

    if sessions <= 0:
        return
    days = trading_calendar.trading_days(end - timedelta(days=2 * sessions + 7), end)[-sessions:]
    for done, day in enumerate(days):
        if progress is not None:
            progress("reconcile indicators", done, len(days))
        reconcile_indicators(as_of=day, sources=sources, lake_uri=lake_uri)
    if progress is not None:
        progress("reconcile indicators", len(days), len(days))
