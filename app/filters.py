"""The shared filters: drawn once in the sidebar by `app/main.py`, kept in the URL.

Every filter lives in `st.query_params` (`cap`, `liq`, `ticker`, `range`, `start`, `end`,
`interval`), so a copied link reproduces the view. The URL and the widgets are kept in
step by one rule: a URL value that differs from the one this session last wrote came
from outside (a pasted link, `st.switch_page(..., query_params=...)`) and wins; otherwise
the widgets win and are written back (a page switch from the sidebar clears the URL,
and the widgets put it back).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import streamlit as st

from app.text import plain
from lake.bars import INTERVALS, Interval
from lake.schemas import CAP_BUCKETS, LIQUIDITY_TIERS

INTERVAL_LABELS: dict[str, str] = {"day": "daily", "week": "weekly", "month": "monthly"}
PRESETS: tuple[str, ...] = ("1M", "3M", "6M", "YTD", "1Y", "3Y", "Max", "Custom")
DEFAULT_PRESET = "1Y"
CAP_NAMES: tuple[str, ...] = tuple(name for name, _ in CAP_BUCKETS)
# An exchange ticker: a capital letter, then up to 9 capitals, digits, dots or dashes.
TICKER_PATTERN = re.compile(r"[A-Z][A-Z0-9.\-]{0,9}")
MAX_PARAM_CHARS = 200  # longer URL values are refused unread (a pasted page, an attack)

# URL parameter -> widget key.
WIDGET_KEYS: dict[str, str] = {
    "cap": "f_cap",
    "liq": "f_liq",
    "ticker": "f_ticker",
    "range": "f_range",
    "start": "f_start",
    "end": "f_end",
    "interval": "f_interval",
}
_LAST_WRITTEN = "_filters_url"
_UNKNOWN = "_filters_unknown_ticker"
_CURRENT = "_filters_current"
_NO_DATA = "_filters_no_data"
_NOTICES = "_filters_url_notices"
_BOUNDS = "_filters_lake_bounds"

# What each URL parameter must be, for the notice when it is not.
EXPECTED: dict[str, str] = {
    "cap": f"a comma-separated list of {', '.join(CAP_NAMES)}",
    "liq": f"a comma-separated list of {', '.join(LIQUIDITY_TIERS)}",
    "ticker": "a ticker symbol such as AAPL or BRK.B",
    "range": f"one of {', '.join(PRESETS)}",
    "interval": f"one of {', '.join(INTERVALS)}",
    "start": "a YYYY-MM-DD date",
    "end": "a YYYY-MM-DD date",
    "date": "a YYYY-MM-DD date",
}


@dataclass(frozen=True)
class Filters:
    """The analyst's current selection (dates are trading dates, inclusive)."""

    cap_buckets: tuple[str, ...]
    liquidity_tiers: tuple[str, ...]
    ticker: str | None
    preset: str
    start: date
    end: date
    interval: Interval
    unknown_ticker: str | None = None  # a ticker asked for in the URL that the lake lacks

    @property
    def ticker_text(self) -> str:
        """The chosen ticker escaped for Markdown (titles, captions): it is lake data."""
        return plain(self.ticker or "")

    def query_params(self) -> dict[str, str]:
        """Return the URL query parameters that reproduce this selection."""
        params = {"range": self.preset, "interval": self.interval}
        if self.cap_buckets:
            params["cap"] = ",".join(self.cap_buckets)
        if self.liquidity_tiers:
            params["liq"] = ",".join(self.liquidity_tiers)
        ticker = self.ticker or self.unknown_ticker
        if ticker:
            params["ticker"] = ticker
        if self.preset == "Custom":
            params["start"] = self.start.isoformat()
            params["end"] = self.end.isoformat()
        return params


def preset_range(preset: str, first: date, last: date) -> tuple[date, date]:
    """Return (start, end) for a range preset ending on `last`, never before `first`.

    `1M`…`3Y` count calendar months back from `last` (the day after, so 1M of a 31st is
    the 1st); `YTD` starts on 1 January of `last`'s year; `Max` is all of [first, last].
    """
    months = {"1M": 1, "3M": 3, "6M": 6, "1Y": 12, "3Y": 36}
    if preset in months:
        start = _months_before(last, months[preset]) + timedelta(days=1)
    elif preset == "YTD":
        start = date(last.year, 1, 1)
    else:
        start = first
    return max(start, first), last


def sidebar(universe: pl.DataFrame, first: date, last: date) -> Filters:
    """Draw the shared filters in the sidebar and return the selection.

    In: `universe` (`ticker, name, market_cap, cap_bucket, liquidity_tier`, one row per
    ticker), the first and last loaded trading days. Also stores the selection for
    `current()`, and writes it to the URL.
    """
    names = dict(zip(universe["ticker"].to_list(), universe["name"].to_list(), strict=True))
    st.session_state[_NOTICES] = []
    st.session_state[_BOUNDS] = (first, last)
    _seed_from_url(st.query_params, names, first, last)
    _seed_defaults(universe, first, last)
    bar = st.sidebar
    bar.segmented_control(
        "Date range",
        PRESETS,
        key="f_range",
        required=True,
        help="Presets end on the last loaded day.",
    )
    preset = st.session_state["f_range"]
    if preset == "Custom":
        left, right = bar.columns(2)
        left.date_input("From", key="f_start", min_value=first, max_value=last)
        right.date_input("To", key="f_end", min_value=first, max_value=last)
        start, end = st.session_state["f_start"], st.session_state["f_end"]
    else:
        start, end = preset_range(preset, first, last)
    bar.segmented_control("Interval", INTERVALS, key="f_interval", required=True)
    bar.multiselect(
        "Market cap",
        CAP_NAMES,
        key="f_cap",
        placeholder="All buckets",
        help="Mega ≥ $200B, large $10–200B, mid $2–10B, small $300M–2B, micro < $300M",
    )
    bar.multiselect(
        "Liquidity tier",
        LIQUIDITY_TIERS,
        key="f_liq",
        placeholder="All tiers",
        help="By average daily dollar volume over the latest month.",
    )
    options = _ticker_options(universe, st.session_state["f_cap"], st.session_state["f_liq"])
    if st.session_state.get("f_ticker") not in (None, *options):
        options.insert(0, st.session_state["f_ticker"])
    bar.selectbox(
        "Ticker",
        options,
        key="f_ticker",
        format_func=lambda t: f"{t} · {names.get(t) or ''}",
        placeholder="Type a ticker or company name",
        help="Type to search the whole universe by ticker or company name.",
    )
    ticker = st.session_state["f_ticker"]
    if ticker is not None:
        st.session_state[_UNKNOWN] = None
    filters = Filters(
        cap_buckets=tuple(st.session_state["f_cap"]),
        liquidity_tiers=tuple(st.session_state["f_liq"]),
        ticker=ticker,
        preset=preset,
        start=start,
        end=end,
        interval=st.session_state["f_interval"],
        unknown_ticker=st.session_state.get(_UNKNOWN),
    )
    _write_to_url(filters)
    st.session_state[_CURRENT] = filters
    return filters


def current() -> Filters | None:
    """Return the selection the sidebar drew on this run (None when the lake has no data)."""
    return st.session_state.get(_CURRENT)


def no_data(reason: str) -> None:
    """Record that the lake cannot be read (`reason` says what to do); pages show it."""
    st.session_state[_CURRENT] = None
    st.session_state[_NO_DATA] = reason[:1].upper() + reason[1:]


def for_page(*, need_ticker: bool = False) -> Filters:
    """Return the selection for a page, or show why there is none and stop the page.

    Stops with a warning when the lake is missing or empty, when the custom range is
    empty (start after end) and, with `need_ticker`, when the URL named an unknown
    ticker or none is chosen. Without `need_ticker`, an unknown ticker from the URL is a
    warning and the page goes on.
    """
    selection = current()
    if selection is None:
        reason = st.session_state.get(_NO_DATA) or "The lake has no data yet."
        st.warning(reason, icon=":material/database:")
        st.stop()
    if selection.start > selection.end:
        st.warning(
            f"The date range is empty: {selection.start} is after {selection.end}. "
            "Pick a later end date or a preset in the sidebar.",
            icon=":material/date_range:",
        )
        st.stop()
    if not need_ticker and selection.unknown_ticker:
        st.warning(
            f"Unknown ticker {plain(selection.unknown_ticker)}: it is not in the lake, so "
            "no ticker is picked. Pick one with the ticker search in the sidebar.",
            icon=":material/search_off:",
        )
    if need_ticker and selection.ticker is None:
        if selection.unknown_ticker:
            st.warning(
                f"Unknown ticker {plain(selection.unknown_ticker)}: it is not in the lake. "
                "Pick one with the ticker search in the sidebar.",
                icon=":material/search_off:",
            )
        else:
            st.info("Pick a ticker in the sidebar.", icon=":material/search:")
        st.stop()
    return selection


def for_ticker_page() -> tuple[Filters, str]:
    """Return the selection and its ticker for a page about one ticker.

    Stops the page, saying why, as `for_page(need_ticker=True)` does when the URL named
    an unknown ticker or none is chosen; the ticker returned is therefore never None.
    """
    selection = for_page(need_ticker=True)
    if selection.ticker is None:  # unreachable: for_page has stopped the page
        st.stop()
    return selection, selection.ticker


def _ticker_options(universe: pl.DataFrame, caps: list[str], tiers: list[str]) -> list[str]:
    chosen = universe
    if caps:
        chosen = chosen.filter(pl.col("cap_bucket").is_in(caps))
    if tiers:
        chosen = chosen.filter(pl.col("liquidity_tier").is_in(tiers))
    if chosen.is_empty():
        chosen = universe  # an over-narrow filter must not leave the search empty
    # Largest companies first: they are what analysts look for most often.
    return chosen.sort("market_cap", descending=True, nulls_last=True)["ticker"].to_list()


def _seed_defaults(universe: pl.DataFrame, first: date, last: date) -> None:
    state = st.session_state
    default_start, _ = preset_range(DEFAULT_PRESET, first, last)
    defaults = {
        "f_range": DEFAULT_PRESET,
        "f_interval": "day",
        "f_cap": [],
        "f_liq": [],
        "f_start": default_start,
        "f_end": last,
    }
    for key, value in defaults.items():
        if key not in state or (state[key] is None and key not in ("f_cap", "f_liq")):
            state[key] = value
    if "f_ticker" not in state:
        largest = universe.sort("market_cap", descending=True, nulls_last=True)
        state["f_ticker"] = largest["ticker"][0] if largest.height else None
    # Keep custom dates inside the loaded history (a link may come from a bigger lake).
    state["f_start"] = min(max(state["f_start"], first), last)
    state["f_end"] = min(max(state["f_end"], first), last)


def show_url_notices() -> None:
    """Show one plain-text notice per URL parameter that was ignored or adjusted on this run."""
    for notice in st.session_state.get(_NOTICES, []):
        st.warning(notice, icon=":material/link_off:")


def linked_day(param: str = "date") -> date | None:
    """Return the day named by URL parameter `param` when it is a YYYY-MM-DD date inside
    the lake's loaded history; otherwise None, with a notice naming the parameter."""
    raw = st.query_params.get(param)
    if not raw:
        return None
    first, last = st.session_state.get(_BOUNDS, (date.min, date.max))
    day = parse_day(raw)
    if day is None or not first <= day <= last:
        st.warning(
            f"Ignoring `{param}` in the link: it must be {EXPECTED[param]} between "
            f"{first} and {last} (the lake's loaded days).",
            icon=":material/link_off:",
        )
        return None
    return day


def parse_day(raw: str) -> date | None:
    """Return `raw` as a date when it is exactly YYYY-MM-DD, else None."""
    if len(raw) != 10:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def parse_ticker(raw: str) -> str | None:
    """Return `raw` upper-cased when it follows the ticker grammar, else None."""
    ticker = raw.strip().upper()
    return ticker if TICKER_PATTERN.fullmatch(ticker) else None


def _notice(param: str, text: str) -> None:
    st.session_state.setdefault(_NOTICES, []).append(f"Ignoring `{param}` in the link: {text}")


def _seed_from_url(
    params: Mapping[str, str], names: Mapping[str, str | None], first: date, last: date
) -> None:
    state = st.session_state
    written: dict[str, str] = state.get(_LAST_WRITTEN, {})
    for param, key in WIDGET_KEYS.items():
        raw = params.get(param)
        if raw is None or raw == written.get(param):
            continue
        value = _parse(param, raw)
        if value is None:
            _notice(param, f"it must be {EXPECTED[param]}.")
        elif param == "ticker" and value not in names:
            state[_UNKNOWN] = value
            state[key] = None
        elif isinstance(value, date) and not first <= value <= last:
            state[key] = min(max(value, first), last)
            _notice(
                param, f"the lake's loaded days run from {first} to {last}; using {state[key]}."
            )
        else:
            state[key] = value


def _parse(param: str, raw: str) -> object | None:
    """Return the URL value `raw` of `param` as the widget's value, or None when invalid."""
    if len(raw) > MAX_PARAM_CHARS:
        return None
    if param in ("cap", "liq"):
        allowed = CAP_NAMES if param == "cap" else LIQUIDITY_TIERS
        values = [v for v in raw.split(",") if v]
        return values if all(v in allowed for v in values) else None
    if param == "ticker":
        return parse_ticker(raw)
    if param == "range":
        return raw if raw in PRESETS else None
    if param == "interval":
        return raw if raw in INTERVALS else None
    return parse_day(raw)


def _write_to_url(filters: Filters) -> None:
    wanted = filters.query_params()
    for param in WIDGET_KEYS:
        value = wanted.get(param)
        if value is None:
            if param in st.query_params:
                del st.query_params[param]
        elif st.query_params.get(param) != value:
            st.query_params[param] = value
    st.session_state[_LAST_WRITTEN] = wanted


def _months_before(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
