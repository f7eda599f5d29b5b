"""Indicator specs: parse `sma:20,macd:12:26:9,...` into frozen values, name their output
columns, and compute them for a frame of one or many tickers in one Polars pass.

The spec grammar is a comma list of `name[:param...]`; omitted params take TA-Lib's
defaults. Periods are ASCII whole numbers from TA-Lib's minimum up to `MAX_PERIOD` (5000
bars, about 20 years of trading days); the Bollinger multiplier is a number in
(0, `MAX_DEVIATIONS`]; a spec holds at most `MAX_SPEC_ITEMS` items. Anything else is a
`UsageError` naming the item. Output columns are named as the CLI prints them, e.g. `sma_20`,
`macd_signal_12_26_9`, `bb_upper_20_2`, `stoch_k_14_3_3`, `obv`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import ClassVar

import polars as pl

from lake.errors import UsageError, shown

MAX_PERIOD = 5000  # bars; ~20 years of sessions. Bigger periods only ever give empty columns.
MAX_DEVIATIONS = 100.0  # Bollinger multiplier
MAX_SPEC_ITEMS = 100
_MAX_SPEC_CHARS = 10_000


def _number(value: float) -> str:
    """2.0 -> '2', 2.5 -> '2.5': how a parameter reads in a column name."""
    return f"{value:g}"


@dataclass(frozen=True)
class IndicatorSpec(ABC):
    """One requested indicator. Subclasses say which frame columns they read and which
    output columns they add."""

    keyword: ClassVar[str] = ""
    inputs: ClassVar[tuple[str, ...]] = ("close",)

    @property
    @abstractmethod
    def columns(self) -> tuple[str, ...]:
        """The output column names this spec adds, e.g. `("sma_20",)`."""


@dataclass(frozen=True)
class Sma(IndicatorSpec):
    """Simple moving average (TA-Lib SMA)."""

    period: int = 20
    keyword: ClassVar[str] = "sma"

    @property
    def columns(self) -> tuple[str, ...]:
        return (f"sma_{self.period}",)


@dataclass(frozen=True)
class Ema(IndicatorSpec):
    """Exponential moving average seeded with an SMA (TA-Lib EMA)."""

    period: int = 20
    keyword: ClassVar[str] = "ema"

    @property
    def columns(self) -> tuple[str, ...]:
        return (f"ema_{self.period}",)


@dataclass(frozen=True)
class Wma(IndicatorSpec):
    """Linearly weighted moving average (TA-Lib WMA)."""

    period: int = 20
    keyword: ClassVar[str] = "wma"

    @property
    def columns(self) -> tuple[str, ...]:
        return (f"wma_{self.period}",)


@dataclass(frozen=True)
class Macd(IndicatorSpec):
    """MACD line, signal and histogram (TA-Lib MACD)."""

    fast: int = 12
    slow: int = 26
    signal: int = 9
    keyword: ClassVar[str] = "macd"

    @property
    def suffix(self) -> str:
        return f"{self.fast}_{self.slow}_{self.signal}"

    @property
    def columns(self) -> tuple[str, ...]:
        s = self.suffix
        return (f"macd_{s}", f"macd_signal_{s}", f"macd_hist_{s}")


@dataclass(frozen=True)
class MacdEvents(IndicatorSpec):
    """MACD buy (+1) / sell (-1) events where the line crosses its signal."""

    fast: int = 12
    slow: int = 26
    signal: int = 9
    keyword: ClassVar[str] = "macd_events"

    @property
    def columns(self) -> tuple[str, ...]:
        return (f"macd_event_{self.fast}_{self.slow}_{self.signal}",)


@dataclass(frozen=True)
class Bbands(IndicatorSpec):
    """Bollinger Bands with an SMA middle and population standard deviation (TA-Lib BBANDS),
    plus %B and bandwidth."""

    period: int = 20
    deviations: float = 2.0
    keyword: ClassVar[str] = "bbands"

    @property
    def columns(self) -> tuple[str, ...]:
        s = f"{self.period}_{_number(self.deviations)}"
        return tuple(f"bb_{part}_{s}" for part in ("mid", "upper", "lower", "pctb", "width"))


@dataclass(frozen=True)
class Rsi(IndicatorSpec):
    """Relative strength index with Wilder smoothing (TA-Lib RSI)."""

    period: int = 14
    keyword: ClassVar[str] = "rsi"

    @property
    def columns(self) -> tuple[str, ...]:
        return (f"rsi_{self.period}",)


@dataclass(frozen=True)
class Atr(IndicatorSpec):
    """Average true range with Wilder smoothing (TA-Lib ATR)."""

    period: int = 14
    keyword: ClassVar[str] = "atr"
    inputs: ClassVar[tuple[str, ...]] = ("high", "low", "close")

    @property
    def columns(self) -> tuple[str, ...]:
        return (f"atr_{self.period}",)


@dataclass(frozen=True)
class Stoch(IndicatorSpec):
    """Slow stochastic %K and %D with SMA smoothing (TA-Lib STOCH)."""

    fastk: int = 14
    slowk: int = 3
    slowd: int = 3
    keyword: ClassVar[str] = "stoch"
    inputs: ClassVar[tuple[str, ...]] = ("high", "low", "close")

    @property
    def columns(self) -> tuple[str, ...]:
        s = f"{self.fastk}_{self.slowk}_{self.slowd}"
        return (f"stoch_k_{s}", f"stoch_d_{s}")


@dataclass(frozen=True)
class Obv(IndicatorSpec):
    """On-balance volume (TA-Lib OBV)."""

    keyword: ClassVar[str] = "obv"
    inputs: ClassVar[tuple[str, ...]] = ("close", "volume")

    @property
    def columns(self) -> tuple[str, ...]:
        return ("obv",)


@dataclass(frozen=True)
class Cross(IndicatorSpec):
    """Golden (+1) / death (-1) cross events of SMA(short) against SMA(long)."""

    short: int = 50
    long: int = 200
    keyword: ClassVar[str] = "cross"

    @property
    def columns(self) -> tuple[str, ...]:
        return (f"cross_{self.short}_{self.long}",)


@dataclass(frozen=True)
class Patterns(IndicatorSpec):
    """Candlestick pattern flags (TA-Lib CDL functions), one boolean column each."""

    keyword: ClassVar[str] = "patterns"
    inputs: ClassVar[tuple[str, ...]] = ("open", "high", "low", "close")

    @property
    def columns(self) -> tuple[str, ...]:
        from lake.indicators.patterns import PATTERNS

        return tuple(PATTERNS)


SPEC_TYPES: dict[str, type[IndicatorSpec]] = {
    cls.keyword: cls
    for cls in (Sma, Ema, Wma, Macd, MacdEvents, Bbands, Rsi, Atr, Stoch, Obv, Cross, Patterns)
}

# Integer parameters, and TA-Lib's lower bound for each (what TA_*_Lookback accepts).
_MINIMUMS: dict[str, tuple[int, ...]] = {
    "sma": (1,),
    "ema": (1,),
    "wma": (1,),
    "macd": (2, 2, 1),
    "macd_events": (2, 2, 1),
    "bbands": (2,),
    "rsi": (2,),
    "atr": (1,),
    "stoch": (1, 1, 1),
    "obv": (),
    "cross": (1, 1),
    "patterns": (),
}

DEFAULT_PERIODS = (10, 20, 50, 100, 200)
DEFAULT_SPEC = ",".join(
    [f"{kind}:{p}" for kind in ("sma", "ema", "wma") for p in DEFAULT_PERIODS]
    + ["macd:12:26:9", "bbands:20:2", "rsi:14"]
)


def parse_spec(text: str) -> tuple[IndicatorSpec, ...]:
    """Parse a spec like `sma:20,ema:50,macd:12:26:9,bbands:20:2,obv` into specs, in order,
    without duplicates. Raise `UsageError` naming the bad item (see the module docstring
    for the limits)."""
    known = ", ".join(SPEC_TYPES)
    specs: list[IndicatorSpec] = []
    if len(text) > _MAX_SPEC_CHARS:
        raise UsageError(
            f"indicator spec is {len(text):,} characters long; ask for at most "
            f"{MAX_SPEC_ITEMS} items such as 'sma:20,rsi:14'"
        )
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise UsageError(
            f"indicator spec {shown(text)} has an empty item; write a comma list such as "
            f"'sma:20,rsi:14' (known: {known})"
        )
    if len(items) > MAX_SPEC_ITEMS:
        raise UsageError(
            f"indicator spec has {len(items)} items; ask for at most {MAX_SPEC_ITEMS} at once"
        )
    for item in items:
        name, *params = [part.strip() for part in item.split(":")]
        cls = SPEC_TYPES.get(name.lower())
        if cls is None:
            raise UsageError(
                f"unknown indicator {shown(name)} in spec item {shown(item)}; known: {known}"
            )
        minimums = _MINIMUMS[cls.keyword]
        allowed = 2 if cls is Bbands else len(minimums)
        if len(params) > allowed:
            raise UsageError(
                f"indicator {shown(item)} takes at most {allowed} parameter(s) "
                f"(e.g. {_example(cls)})"
            )
        values: list[float | int] = []
        for index, raw in enumerate(params):
            if cls is Bbands and index == 1:
                values.append(_deviations(raw, item))
                continue
            values.append(_period(raw, item, minimums[index], cls))
        spec = cls(*values)
        if spec not in specs:
            specs.append(spec)
    return tuple(specs)


def _period(raw: str, item: str, minimum: int, cls: type[IndicatorSpec]) -> int:
    """Return `raw` as a period in [minimum, MAX_PERIOD]; only ASCII digits count (`'²'`
    and `'٣'` are digits to `str.isdigit` but not numbers a user typed on purpose)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < minimum:
        raise UsageError(
            f"bad parameter {shown(raw)} in {shown(item)}; use whole numbers from {minimum} "
            f"to {MAX_PERIOD}, e.g. {_example(cls)}"
        )
    if int(raw) > MAX_PERIOD:
        raise UsageError(
            f"period {raw} in {shown(item)} is above the maximum of {MAX_PERIOD} bars; "
            "ask for a shorter one"
        )
    return int(raw)


def _deviations(raw: str, item: str) -> float:
    """Return `raw` as a Bollinger multiplier in (0, MAX_DEVIATIONS]."""
    try:
        deviations = float(raw) if raw.isascii() else float("nan")
    except ValueError:
        deviations = float("nan")
    if not 0 < deviations <= MAX_DEVIATIONS:  # also refuses nan and inf
        raise UsageError(
            f"bad deviation multiplier {shown(raw)} in {shown(item)}; use a number above 0 "
            f"and at most {MAX_DEVIATIONS:g}, such as bbands:20:2"
        )
    return deviations


def _example(cls: type[IndicatorSpec]) -> str:
    spec = cls()
    params = [getattr(spec, f.name) for f in fields(spec)]
    return ":".join([cls.keyword, *(_number(p) for p in params)])


def output_columns(specs: Sequence[IndicatorSpec]) -> list[str]:
    """The columns `apply_indicators` adds for `specs`, in order."""
    return [column for spec in specs for column in spec.columns]


def required_inputs(specs: Sequence[IndicatorSpec]) -> list[str]:
    """The frame columns `specs` read (a subset of open, high, low, close, volume)."""
    order = ("open", "high", "low", "close", "volume")
    needed = {column for spec in specs for column in spec.inputs}
    return [column for column in order if column in needed]


# The engine lives in lake.indicators.engine; re-exported here so callers import one place.
def apply_indicators(
    frame: pl.DataFrame,
    specs: Sequence[IndicatorSpec] | str,
    *,
    by: str | None = "ticker",
) -> pl.DataFrame:
    """Return `frame` with the output columns of `specs` added (see `lake.indicators.engine`).

    `frame` holds one or many tickers, sorted by date within each ticker and with each
    ticker's rows contiguous (sorted by `by`, date). Values equal TA-Lib's per ticker;
    rows where TA-Lib has NaN are null.
    """
    from lake.indicators.engine import compute

    parsed = parse_spec(specs) if isinstance(specs, str) else tuple(specs)
    return compute(frame, parsed, by=by)
