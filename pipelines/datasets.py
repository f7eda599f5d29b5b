"""The datasets the historical path loads: one frozen `Dataset` per silver table.

Everything a dataset needs lives in its entry: the silver contract (`lake.schemas`),
the provider's wire schema (`pipelines.sources.wire`), the pure transform between them
(`pipelines.sources.transforms`), which source role serves it and how to fetch a date
range from that source, and the rules that set it apart, as data (`per_ticker`,
`sorted_by`, `fetch_due`, `untraded_sessions`, `validated_with_load_splits`,
`counts_load_rows`). The steps (`pipelines.historical`), the DAGs (through
`pipelines.dag_defaults`) and the contract test all read `DATASETS`; its GX suite is
the one `expectations.suites.build_suite` builds for the contract's table name.

Adding a dataset: its contract in `lake/schemas.py`, its wire schema and transform in
`pipelines/sources/`, the fetch method on its source(s), one entry here, its suite in
`expectations/suites.py`, and its tests (CONTRIBUTING.md has the checklist).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import polars as pl

from lake.errors import TickerlakeError
from lake.schemas import DAILY_BARS, EARNINGS, GRADES, NEWS, SPLITS, TICKERS, TableContract
from pipelines.sources import transforms, wire
from pipelines.sources.base import Progress, Sources

Role = Literal["bars", "earnings", "grades"]
"""A `pipelines.sources.Sources` role: which provider serves a dataset."""

# FMP's free tier covers about a hundred large symbols: grades are fetched for the
# largest tickers by market cap.
GRADED_TICKERS = 100


@dataclass(frozen=True)
class FetchRequest:
    """What a fetch covers: the dates [start, end], the lake it loads into (for datasets
    whose fetch depends on what the lake holds), optional progress, and for per-ticker
    datasets the tickers to ask for (None: the dataset's default selection)."""

    start: date
    end: date
    lake_uri: str
    progress: Progress | None = None
    tickers: Sequence[str] | None = None


Fetch = Callable[[Sources, FetchRequest], pl.DataFrame]
"""Return the dataset's wire frame for the request from the role's source (not None)."""

Transform = Callable[..., pl.DataFrame]
"""`transform(wire_frame, *, source=name)`: the wire frame as contract rows, each stamped
with `source`."""

FetchDue = Callable[..., bool]
"""`fetch_due(bronze_contract, source_name, *, lake_uri=...)`: False when the lake's last
fetch from that source is recent enough to skip this one (an empty batch is written)."""


@dataclass(frozen=True)
class Dataset:
    """One dataset of the historical path, from provider to silver.

    `contract`: its silver table (the dataset is named after it, as is `bronze/<name>`).
    `wire`: the provider's columns as fetched. `transform`: wire → contract (pure).
    `role`: the `Sources` role that serves it; `fetch`: the call on that role's source.
    Rules, as data:
    - `per_ticker`: fetched for a chosen list of tickers (`FetchRequest.tickers`, by
      default the `GRADED_TICKERS` largest by market cap) rather than the whole market;
    - `sorted_by`: maintenance rewrites the silver table sorted by these columns (one
      ticker's history in one file), None: compaction only;
    - `fetch_due`: a slower refetch schedule (None: fetched on every load);
    - `untraded_sessions`: its sources may omit a ticker on a session it did not
      trade; validation gets the batch source's tolerated share
      (`pipelines.sources.base.UNTRADED_SHARE_BY_SOURCE`) instead of flagging a gap;
    - `validated_with_load_splits`: validation also sees the splits extracted for the
      same range, so a split-day price jump silver does not know yet is not flagged;
    - `counts_load_rows`: its silver rows are the `rows` a load reports and logs.
    """

    contract: TableContract
    wire: pl.Schema
    transform: Transform
    role: Role
    fetch: Fetch
    per_ticker: bool = False
    sorted_by: tuple[str, ...] | None = None
    fetch_due: FetchDue | None = None
    untraded_sessions: bool = False
    validated_with_load_splits: bool = False
    counts_load_rows: bool = False

    @property
    def name(self) -> str:
        """The dataset's name: its silver table's (`daily_bars`, `tickers`, ...)."""
        return self.contract.name


# --- fetches: one call on the role's source each ------------------------------------


def _fetch_daily_bars(sources: Sources, request: FetchRequest) -> pl.DataFrame:
    assert sources.bars is not None
    return sources.bars.grouped_daily(request.start, request.end, progress=request.progress)


def _fetch_tickers(sources: Sources, request: FetchRequest) -> pl.DataFrame:
    assert sources.bars is not None
    return sources.bars.ticker_details(request.end)


def _fetch_splits(sources: Sources, request: FetchRequest) -> pl.DataFrame:
    assert sources.bars is not None
    return sources.bars.splits(request.start, request.end)


def _fetch_news(sources: Sources, request: FetchRequest) -> pl.DataFrame:
    assert sources.bars is not None
    return sources.bars.news(request.start, request.end)


def _fetch_earnings(sources: Sources, request: FetchRequest) -> pl.DataFrame:
    assert sources.earnings is not None
    return sources.earnings.earnings_calendar(request.start, request.end)


def _fetch_grades(sources: Sources, request: FetchRequest) -> pl.DataFrame:
    assert sources.grades is not None
    tickers = request.tickers
    if tickers is None:
        tickers = largest_tickers(sources, request.end, GRADED_TICKERS, lake_uri=request.lake_uri)
    return sources.grades.grades(list(tickers), request.start, request.end)


def _ticker_details_due(bronze: TableContract, source: str, *, lake_uri: str) -> bool:
    from pipelines.ticker_schedule import ticker_details_due

    return ticker_details_due(bronze, source, lake_uri=lake_uri)


def largest_tickers(sources: Sources, as_of: date, count: int, *, lake_uri: str) -> list[str]:
    """Return the `count` largest tickers by market cap: from silver `tickers` when the
    lake has it, else from the bars source's ticker details as of `as_of`; empty when
    neither is there."""
    from lake import tables

    if tables.exists(TICKERS, lake_uri=lake_uri):
        frame = tables.read(TICKERS, columns=["ticker", "market_cap"], lake_uri=lake_uri)
    elif sources.bars is not None:
        frame = transforms.tickers_frame(
            sources.bars.ticker_details(as_of), source=sources.bars.name
        )
    else:
        return []  # no tickers known yet, and no bars source to ask
    return (
        frame.sort("market_cap", descending=True, nulls_last=True).head(count)["ticker"].to_list()
    )


# --- the registry -------------------------------------------------------------------

# Load order: tickers first, then bars, then what refers to them. Silver loads run in
# this order (later checks read what earlier loads wrote: tickers before bars, bars
# before the split audit).
DATASETS: tuple[Dataset, ...] = (
    Dataset(
        contract=TICKERS,
        wire=wire.TICKER_DETAILS,
        transform=transforms.tickers_frame,
        role="bars",
        fetch=_fetch_tickers,
        fetch_due=_ticker_details_due,
    ),
    Dataset(
        contract=DAILY_BARS,
        wire=wire.GROUPED_DAILY,
        transform=transforms.daily_bars_frame,
        role="bars",
        fetch=_fetch_daily_bars,
        sorted_by=("ticker", "date"),
        untraded_sessions=True,
        validated_with_load_splits=True,
        counts_load_rows=True,
    ),
    Dataset(
        contract=SPLITS,
        wire=wire.SPLITS,
        transform=transforms.splits_frame,
        role="bars",
        fetch=_fetch_splits,
    ),
    Dataset(
        contract=EARNINGS,
        wire=wire.EARNINGS_CALENDAR,
        transform=transforms.earnings_frame,
        role="earnings",
        fetch=_fetch_earnings,
    ),
    Dataset(
        contract=GRADES,
        wire=wire.GRADES,
        transform=transforms.grades_frame,
        role="grades",
        fetch=_fetch_grades,
        per_ticker=True,
    ),
    Dataset(
        contract=NEWS,
        wire=wire.NEWS,
        transform=transforms.news_frame,
        role="bars",
        fetch=_fetch_news,
    ),
)

DATASET_NAMES: tuple[str, ...] = tuple(dataset.name for dataset in DATASETS)
SPLITS_DATASET = SPLITS.name
"""The dataset whose batch for a range joins the validation of the datasets that are
`validated_with_load_splits` over the same range."""
_BY_NAME = {dataset.name: dataset for dataset in DATASETS}


def get_dataset(name: str) -> Dataset:
    """Return the dataset called `name`; raise `TickerlakeError` naming the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise TickerlakeError(
            f"unknown dataset {name!r}: pick one of {', '.join(DATASET_NAMES)}"
        ) from None


def rows_dataset() -> Dataset:
    """Return the dataset whose silver rows a load reports as its `rows` (daily bars)."""
    return next(dataset for dataset in DATASETS if dataset.counts_load_rows)
