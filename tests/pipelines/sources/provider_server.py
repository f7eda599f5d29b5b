"""A local stand-in for the Massive, Finnhub and FMP REST APIs, on 127.0.0.1.

It speaks the documented protocols (paths, query parameters, auth, JSON bodies,
`next_url` pagination with an opaque cursor and no key) and serves the content of a
small synthetic market, so a real client's fetch can be compared with the synthetic
source's. Faults can be scripted per path prefix (e.g. a 429 then success): a status,
`Retry-After` in seconds or as an HTTP-date, a truncated JSON body, a connection cut
short of its Content-Length, a slow answer, a redirect. Every request is recorded with
its arrival time on the server's clock, so tests measure rates where the provider would.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import orjson
import polars as pl
import talib

from pipelines.sources.synthetic import SyntheticMarket

MASSIVE_KEY = "massive-test-key-5d1f"
FINNHUB_KEY = "finnhub-test-key-93ac"
FMP_KEY = "fmp-test-key-7b20"
PAGE_SIZE = 4  # small, so every paginated endpoint needs several pages
INDICATOR_PAGE_SIZE = 100  # indicator values per page (at most `limit`), then `next_url`


@dataclass(frozen=True)
class Fault:
    """One scripted answer. `status` None serves the normal answer (after `delay_seconds`);
    `raw` replaces the JSON error body; `declared_length` larger than the body sends that
    Content-Length and closes the connection early."""

    status: int | None = 500
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    declared_length: int | None = None
    delay_seconds: float = 0.0


def too_many_requests(retry_after: str | None = None) -> Fault:
    """A 429, with `Retry-After: <retry_after>` when given (seconds or an HTTP-date)."""
    return Fault(429, {} if retry_after is None else {"Retry-After": retry_after})


# A 200 whose JSON stops mid-record (the Content-Length matches what is sent).
TRUNCATED_JSON = Fault(200, raw=b'{"status":"OK","results":[{"T":"AAA","o":1')
# A 200 that promises more bytes than it sends, then closes the connection.
CUT_SHORT = Fault(200, raw=b'{"status":"OK","results":[', declared_length=4096)


def slow(seconds: float) -> Fault:
    """The normal answer, `seconds` late."""
    return Fault(None, delay_seconds=seconds)


def redirect(location: str, status: int = 302) -> Fault:
    return Fault(status, {"Location": location})


@dataclass
class SeenRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)  # arrival, server clock (seconds)
    fault: Fault | None = None  # the scripted answer it got, if any


@dataclass
class ProviderServer:
    market: SyntheticMarket
    as_of: date
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[SeenRequest] = field(default_factory=list)
    # Adjusted daily bars (`ticker`, `date`, `close`) the `/v1/indicators/*` endpoints
    # compute on, with TA-Lib (Massive computes on its own adjusted aggregates).
    indicator_bars: pl.DataFrame | None = None
    # Tickers left out of grouped daily, as Massive leaves out a ticker with no trades.
    untraded: set[str] = field(default_factory=set)
    # Seconds every normal answer takes (a provider's own latency).
    latency_seconds: float = 0.0
    _skews: dict[tuple[str, str], float] = field(default_factory=dict)
    _faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def fail_next(self, path_prefix: str, *faults: int | Fault) -> None:
        """Answer the next requests whose path starts with `path_prefix` with these faults
        (a bare status is `Fault(status)`)."""
        with self._lock:
            self._faults[path_prefix].extend(
                f if isinstance(f, Fault) else Fault(f) for f in faults
            )

    def clear_faults(self) -> None:
        """Drop every scripted fault not yet served."""
        with self._lock:
            self._faults.clear()

    def skew_indicator(self, ticker: str, kind: str, factor: float) -> None:
        """Serve `ticker`'s newest `kind` (sma, ema, macd, rsi) value times `factor`."""
        with self._lock:
            self._skews[(ticker, kind)] = factor

    def seen(self, path_prefix: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for prefix, statuses in self._faults.items():
                if path.startswith(prefix) and statuses:
                    return statuses.popleft()
        return None

    # --- content ---------------------------------------------------------------------

    def _page(self, path: str, rows: list[dict], query: dict[str, str]) -> dict:
        """Return one page of `rows`; the cursor encodes offset and filters, as Massive's does."""
        filters = self._filters(query)
        offset = int(filters.get("offset", 0))
        page = rows[offset : offset + PAGE_SIZE]
        body: dict[str, Any] = {
            "status": "OK",
            "request_id": f"req-{offset}",
            "count": len(page),
            "results": page,
        }
        if offset + PAGE_SIZE < len(rows):
            state = {**filters, "offset": offset + PAGE_SIZE}
            cursor = base64.urlsafe_b64encode(orjson.dumps(state)).decode()
            body["next_url"] = f"{self.base_url}{path}?cursor={cursor}"
        return body

    def _filters(self, query: dict[str, str]) -> dict[str, str]:
        if "cursor" in query:
            return orjson.loads(base64.urlsafe_b64decode(query["cursor"]))
        return query

    def indicator(self, kind: str, ticker: str, query: dict[str, str]) -> tuple[int, Any]:
        """`/v1/indicators/{kind}/{ticker}`: values newest first (`order=desc`), `limit` per
        page, then a `next_url` cursor; timestamps are the bars' New York midnights (ms)."""
        f = self._filters(query)
        if f.get("timespan") != "day" or f.get("series_type") != "close":
            return 400, {"status": "ERROR", "error": "this test server serves daily closes only"}
        bars = self.indicator_bars
        if bars is None:
            return 404, {"status": "NOT_FOUND", "message": "no aggregates"}
        bars = bars.filter(pl.col("ticker") == ticker).sort("date")
        if "timestamp.lte" in f:
            bars = bars.filter(pl.col("date") <= date.fromisoformat(f["timestamp.lte"]))
        if bars.is_empty():
            return 404, {"status": "NOT_FOUND", "message": "Ticker not found."}
        close = bars["close"].to_numpy().astype(float)
        if kind == "macd":
            line, signal, hist = talib.MACD(
                close, int(f["short_window"]), int(f["long_window"]), int(f["signal_window"])
            )
            columns = {"value": line, "signal": signal, "histogram": hist}
        elif kind in ("sma", "ema", "rsi"):
            columns = {"value": getattr(talib, kind.upper())(close, int(f["window"]))}
        else:
            return 404, {"status": "NOT_FOUND"}
        stamps = (
            bars.select(
                pl.col("date")
                .cast(pl.Datetime("ms"))
                .dt.replace_time_zone("America/New_York")
                .dt.epoch("ms")
            )
            .to_series()
            .to_list()
        )
        values = [
            {"timestamp": stamp, **{k: float(v[i]) for k, v in columns.items()}}
            for i, stamp in enumerate(stamps)
            if not np.isnan(columns["value"][i])
        ]
        if f.get("order", "desc") == "desc":
            values.reverse()
        factor = self._skews.get((ticker, kind))
        if factor is not None and values:
            newest = max(range(len(values)), key=lambda i: values[i]["timestamp"])
            values[newest] = {**values[newest], "value": values[newest]["value"] * factor}
        offset = int(f.get("offset", 0))
        size = min(int(f.get("limit", 10)), INDICATOR_PAGE_SIZE)
        body: dict[str, Any] = {
            "status": "OK",
            "request_id": f"req-{kind}-{offset}",
            "results": {
                "underlying": {"url": f"{self.base_url}/v2/aggs/ticker/{ticker}/range/1/day"},
                "values": values[offset : offset + size],
            },
        }
        if offset + size < len(values):
            state = {**f, "offset": offset + size}
            cursor = base64.urlsafe_b64encode(orjson.dumps(state)).decode()
            body["next_url"] = f"{self.base_url}/v1/indicators/{kind}/{ticker}?cursor={cursor}"
        return 200, body

    def massive(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if path.startswith("/v1/indicators/") and len(parts) == 4:
            return self.indicator(parts[2], parts[3], query)
        if path.startswith("/v2/aggs/grouped/locale/us/market/stocks/"):
            if query.get("adjusted") != "false":
                return 400, {
                    "status": "ERROR",
                    "error": "this test server serves adjusted=false only",
                }
            day = date.fromisoformat(parts[-1])
            rows = [
                row
                for row in self.market.grouped_daily(day, day).to_dicts()
                if row["T"] not in self.untraded
            ]
            return 200, {
                "status": "OK",
                "adjusted": False,
                "queryCount": len(rows),
                "resultsCount": len(rows),
                "results": rows,
            }
        if path == "/v3/reference/tickers":
            details = self.market.ticker_details(self.as_of)
            rows = [
                {
                    "ticker": r["ticker"],
                    "name": r["name"],
                    "market": "stocks",
                    "locale": "us",
                    "primary_exchange": r["primary_exchange"],
                    "type": r["type"],
                    "active": True,
                    "currency_name": "usd",
                    "cik": r["cik"],
                    "composite_figi": r["composite_figi"],
                    "last_updated_utc": "2024-03-28T00:00:00Z",
                }
                for r in details.to_dicts()
            ]
            return 200, self._page(path, rows, query)
        if path.startswith("/v3/reference/tickers/"):
            details = self.market.ticker_details(self.as_of).filter(pl.col("ticker") == parts[-1])
            if details.is_empty():
                return 404, {"status": "NOT_FOUND", "message": "Ticker not found."}
            result = {
                **details.row(0, named=True),
                "market": "stocks",
                "locale": "us",
                "currency_name": "usd",
                "address": {"city": "NEW YORK", "state": "NY"},
            }
            return 200, {"status": "OK", "request_id": "req-detail", "results": result}
        if path == "/v3/reference/splits":
            f = self._filters(query)
            rows = self.market.splits(
                date.fromisoformat(f["execution_date.gte"]),
                date.fromisoformat(f["execution_date.lte"]),
            ).to_dicts()
            return 200, self._page(path, rows, query)
        if path == "/v2/reference/news":
            f = self._filters(query)
            flat = self.market.news(
                date.fromisoformat(f["published_utc.gte"][:10]),
                date.fromisoformat(f["published_utc.lte"][:10]),
            )
            articles: dict[str, dict] = {}
            for row in flat.to_dicts():
                article = articles.setdefault(
                    row["id"],
                    {
                        "id": row["id"],
                        "publisher": {
                            "name": row["publisher.name"],
                            "homepage_url": "https://news.example/",
                        },
                        "title": row["title"],
                        "author": row["author"],
                        "published_utc": row["published_utc"],
                        "article_url": row["article_url"],
                        "tickers": [],
                        "description": row["description"],
                        "keywords": ["earnings"],
                    },
                )
                article["tickers"].append(row["tickers"])
            return 200, self._page(path, list(articles.values()), query)
        return 404, {"status": "NOT_FOUND"}

    def finnhub(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/api/v1/calendar/earnings":
            frame = self.market.earnings_calendar(
                date.fromisoformat(query["from"]), date.fromisoformat(query["to"])
            )
            if "symbol" in query:
                frame = frame.filter(pl.col("symbol") == query["symbol"])
            return 200, {"earningsCalendar": frame.to_dicts()}
        if path == "/api/v1/stock/earnings":
            frame = self.market.earnings_calendar(self.market.config.start, self.as_of).filter(
                pl.col("symbol") == query["symbol"]
            )
            rows = [
                {
                    "actual": r["epsActual"],
                    "estimate": r["epsEstimate"],
                    "period": f"{r['year']}-{3 * r['quarter']:02d}-28",
                    "quarter": r["quarter"],
                    "year": r["year"],
                    "surprise": None
                    if r["epsEstimate"] is None
                    else round(r["epsActual"] - r["epsEstimate"], 4),
                    "surprisePercent": None,
                    "symbol": r["symbol"],
                }
                for r in reversed(frame.to_dicts())
            ]
            return 200, rows[: int(query["limit"])] if "limit" in query else rows
        return 404, {"error": "not found"}

    def fmp(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/stable/grades":
            frame = self.market.grades([query["symbol"]], self.market.config.start, self.as_of)
            return 200, list(reversed(frame.to_dicts()))
        return 404, {"Error Message": "not found"}

    # --- serving ---------------------------------------------------------------------

    def handle(self, path: str, query: dict[str, str], headers: dict[str, str]) -> tuple[int, Any]:
        if path.startswith("/api/v1/"):
            if headers.get("x-finnhub-token") != FINNHUB_KEY:
                return 401, {"error": "Invalid API key"}
            return self.finnhub(path, query)
        if path.startswith("/stable/"):
            if query.get("apikey") != FMP_KEY:
                return 401, {
                    "Error Message": "Invalid API KEY. Please retry or visit our documentation."
                }
            return self.fmp(path, query)
        if headers.get("authorization") != f"Bearer {MASSIVE_KEY}":
            return 401, {"status": "ERROR", "request_id": "x", "error": "Unknown API Key"}
        return self.massive(path, query)

    def start(self) -> ThreadingHTTPServer:
        server_ref = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                fault = server_ref._take_fault(parts.path)
                with server_ref._lock:
                    server_ref.requests.append(SeenRequest(parts.path, query, headers, fault=fault))
                if fault is not None and fault.delay_seconds:
                    time.sleep(fault.delay_seconds)  # the scripted slow answer
                extra: dict[str, str] = {}
                if fault is None or fault.status is None:
                    time.sleep(server_ref.latency_seconds)
                    status, body = server_ref.handle(parts.path, query, headers)
                    payload = orjson.dumps(body)
                else:
                    status, extra = fault.status, fault.headers
                    payload = (
                        fault.raw
                        if fault.raw is not None
                        else orjson.dumps({"status": "ERROR", "error": f"scripted {status}"})
                    )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in extra.items():
                    self.send_header(name, value)
                declared = fault.declared_length if fault is not None else None
                self.send_header("Content-Length", str(declared or len(payload)))
                if declared:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
                return

        httpd = ThreadingHTTPServer((self.host, self.port), Handler)
        httpd.daemon_threads = True
        self.port = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return httpd
