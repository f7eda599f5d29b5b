"""Indicator specs: parse `sma:20,macd:12:26:9,...` into frozen values that know their
parameters' bounds and name their output columns.

The spec grammar is a comma list of `name[:param...]`; omitted params take TA-Lib's
defaults. Periods are ASCII whole numbers from TA-Lib's minimum (each class's `minimums`)
up to `MAX_PERIOD` (5000 bars, about 20 years of trading days); the Bollinger multiplier
is a number in (0, `MAX_DEVIATIONS`]; a spec holds at most `MAX_SPEC_ITEMS` items.
Anything else is a `UsageError` naming the item. Output columns are named as the CLI
prints them, e.g. `sma_20`, `macd_signal_12_26_9`, `bb_upper_20_2`, `stoch_k_14_3_3`,
`obv`; code that reads a column asks the spec for its name (`Sma(20).column`,
`Macd().histogram`, `Bbands().upper`) rather than spelling it.

The engine that computes the columns is `lake.indicators.engine.apply_indicators`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import ClassVar

from lake.errors import UsageError, shown
from lake.indicators.patterns import PATTERNS

MAX_PERIOD = 5000  # bars; ~20 years of sessions. Bigger periods only ever give empty columns.
MAX_DEVIATIONS = 100.0  # Bollinger multiplier
MAX_SPEC_ITEMS = 100
_MAX_SPEC_CHARS = 10_000


def _number(value: float) -> str:
    """2.0 -> '2', 2.5 -> '2.5': how a parameter reads in a column name."""
    return f"{value:g}"


@dataclass(frozen=True)
class IndicatorSpec(ABC):
    """One requested indicator. Subclasses say which frame columns they read, the lower
    bound of each parameter, and which output columns they add.

    Parameters are the dataclass fields, in order: the integer periods first, one entry of
    `minimums` each (TA-Lib's lower bound, what its `TA_*_Lookback` accepts); a parameter
    after them is a multiplier (Bollinger's deviations)."""

    keyword: ClassVar[str] = ""
    inputs: ClassVar[tuple[str, ...]] = ("close",)
    minimums: ClassVar[tuple[int, ...]] = ()

    @property
    @abstractmethod
    def columns(self) -> tuple[str, ...]:
        """The output column names this spec adds, e.g. `("sma_20",)`."""

    @property
    def text(self) -> str:
        """This spec as the CLI spells it, e.g. `macd:12:26:9`; `parse_spec` reads it back."""
        params = [getattr(self, f.name) for f in fields(self)]
        return ":".join([self.keyword, *(_number(p) for p in params)])


@dataclass(frozen=True)
class OneColumnSpec(IndicatorSpec):
    """An indicator with one output column, `column`."""

    @property
    @abstractmethod
    def column(self) -> str:
        """The output column name, e.g. `sma_20`."""

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)


@dataclass(frozen=True)
class Sma(OneColumnSpec):
    """Simple moving average (TA-Lib SMA)."""

    period: int = 20
    keyword: ClassVar[str] = "sma"
    minimums: ClassVar[tuple[int, ...]] = (1,)

    @property
    def column(self) -> str:
        return f"sma_{self.period}"


@dataclass(frozen=True)
class Ema(OneColumnSpec):
    """Exponential moving average seeded with an SMA (TA-Lib EMA)."""

    period: int = 20
    keyword: ClassVar[str] = "ema"
    minimums: ClassVar[tuple[int, ...]] = (1,)

    @property
    def column(self) -> str:
        return f"ema_{self.period}"


@dataclass(frozen=True)
class Wma(OneColumnSpec):
    """Linearly weighted moving average (TA-Lib WMA)."""

    period: int = 20
    keyword: ClassVar[str] = "wma"
    minimums: ClassVar[tuple[int, ...]] = (1,)

    @property
    def column(self) -> str:
        return f"wma_{self.period}"


@dataclass(frozen=True)
class Macd(IndicatorSpec):
    """MACD line, signal and histogram (TA-Lib MACD)."""

    fast: int = 12
    slow: int = 26
    signal: int = 9
    keyword: ClassVar[str] = "macd"
    minimums: ClassVar[tuple[int, ...]] = (2, 2, 1)
    COLUMN_PATTERN: ClassVar[str] = r"^macd_(signal_|hist_)?\d+_\d+_\d+$"
    """Matches the output columns of every MACD spec (and no other spec's)."""

    @property
    def suffix(self) -> str:
        """The parameters as they read in column names, e.g. `12_26_9`."""
        return f"{self.fast}_{self.slow}_{self.signal}"

    @property
    def line(self) -> str:
        """The MACD line's column, e.g. `macd_12_26_9`."""
        return f"macd_{self.suffix}"

    @property
    def signal_line(self) -> str:
        """The signal line's column, e.g. `macd_signal_12_26_9`."""
        return f"macd_signal_{self.suffix}"

    @property
    def histogram(self) -> str:
        """The histogram's column (line - signal), e.g. `macd_hist_12_26_9`."""
        return f"macd_hist_{self.suffix}"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.line, self.signal_line, self.histogram)


@dataclass(frozen=True)
class MacdEvents(OneColumnSpec):
    """MACD buy (+1) / sell (-1) events where the line crosses its signal."""

    fast: int = 12
    slow: int = 26
    signal: int = 9
    keyword: ClassVar[str] = "macd_events"
    minimums: ClassVar[tuple[int, ...]] = (2, 2, 1)

    @property
    def column(self) -> str:
        return f"macd_event_{self.fast}_{self.slow}_{self.signal}"


@dataclass(frozen=True)
class Bbands(IndicatorSpec):
    """Bollinger Bands with an SMA middle and population standard deviation (TA-Lib BBANDS),
    plus %B and bandwidth."""

    period: int = 20
    deviations: float = 2.0
    keyword: ClassVar[str] = "bbands"
    minimums: ClassVar[tuple[int, ...]] = (2,)

    @property
    def suffix(self) -> str:
        """The parameters as they read in column names, e.g. `20_2` or `10_2.5`."""
        return f"{self.period}_{_number(self.deviations)}"

    @property
    def middle(self) -> str:
        """The middle band's column (the SMA), e.g. `bb_mid_20_2`."""
        return f"bb_mid_{self.suffix}"

    @property
    def upper(self) -> str:
        """The upper band's column, e.g. `bb_upper_20_2`."""
        return f"bb_upper_{self.suffix}"

    @property
    def lower(self) -> str:
        """The lower band's column, e.g. `bb_lower_20_2`."""
        return f"bb_lower_{self.suffix}"

    @property
    def percent_b(self) -> str:
        """%B's column (0 on the lower band, 1 on the upper), e.g. `bb_pctb_20_2`."""
        return f"bb_pctb_{self.suffix}"

    @property
    def bandwidth(self) -> str:
        """The bandwidth's column ((upper - lower) / middle), e.g. `bb_width_20_2`."""
        return f"bb_width_{self.suffix}"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.middle, self.upper, self.lower, self.percent_b, self.bandwidth)


@dataclass(frozen=True)
class Rsi(OneColumnSpec):
    """Relative strength index with Wilder smoothing (TA-Lib RSI)."""

    period: int = 14
    keyword: ClassVar[str] = "rsi"
    minimums: ClassVar[tuple[int, ...]] = (2,)

    @property
    def column(self) -> str:
        return f"rsi_{self.period}"


@dataclass(frozen=True)
class Atr(OneColumnSpec):
    """Average true range with Wilder smoothing (TA-Lib ATR)."""

    period: int = 14
    keyword: ClassVar[str] = "atr"
    inputs: ClassVar[tuple[str, ...]] = ("high", "low", "close")
    minimums: ClassVar[tuple[int, ...]] = (1,)

    @property
    def column(self) -> str:
        return f"atr_{self.period}"


@dataclass(frozen=True)
class Stoch(IndicatorSpec):
    """Slow stochastic %K and %D with SMA smoothing (TA-Lib STOCH)."""

    fastk: int = 14
    slowk: int = 3
    slowd: int = 3
    keyword: ClassVar[str] = "stoch"
    inputs: ClassVar[tuple[str, ...]] = ("high", "low", "close")
    minimums: ClassVar[tuple[int, ...]] = (1, 1, 1)

    @property
    def suffix(self) -> str:
        """The parameters as they read in column names, e.g. `14_3_3`."""
        return f"{self.fastk}_{self.slowk}_{self.slowd}"

    @property
    def k(self) -> str:
        """Slow %K's column, e.g. `stoch_k_14_3_3`."""
        return f"stoch_k_{self.suffix}"

    @property
    def d(self) -> str:
        """Slow %D's column, e.g. `stoch_d_14_3_3`."""
        return f"stoch_d_{self.suffix}"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.k, self.d)


@dataclass(frozen=True)
class Obv(OneColumnSpec):
    """On-balance volume (TA-Lib OBV)."""

    keyword: ClassVar[str] = "obv"
    inputs: ClassVar[tuple[str, ...]] = ("close", "volume")

    @property
    def column(self) -> str:
        return "obv"


@dataclass(frozen=True)
class Cross(OneColumnSpec):
    """Golden (+1) / death (-1) cross events of SMA(short) against SMA(long)."""

    short: int = 50
    long: int = 200
    keyword: ClassVar[str] = "cross"
    minimums: ClassVar[tuple[int, ...]] = (1, 1)

    @property
    def column(self) -> str:
        return f"cross_{self.short}_{self.long}"


@dataclass(frozen=True)
class Patterns(IndicatorSpec):
    """Candlestick pattern flags (TA-Lib CDL functions), one boolean column each, named
    as the pattern (`doji`, `hammer`, ...: the keys of `PATTERNS`)."""

    keyword: ClassVar[str] = "patterns"
    inputs: ClassVar[tuple[str, ...]] = ("open", "high", "low", "close")

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(PATTERNS)


SPEC_TYPES: dict[str, type[IndicatorSpec]] = {
    cls.keyword: cls
    for cls in (Sma, Ema, Wma, Macd, MacdEvents, Bbands, Rsi, Atr, Stoch, Obv, Cross, Patterns)
}

DEFAULT_PERIODS = (10, 20, 50, 100, 200)
DEFAULT_SPEC = ",".join(
    spec.text
    for spec in (
        *map(Sma, DEFAULT_PERIODS),
        *map(Ema, DEFAULT_PERIODS),
        *map(Wma, DEFAULT_PERIODS),
        Macd(),
        Bbands(),
        Rsi(),
    )
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
        allowed = len(fields(cls))
        if len(params) > allowed:
            raise UsageError(
                f"indicator {shown(item)} takes at most {allowed} parameter(s) (e.g. {cls().text})"
            )
        values: list[float | int] = []
        for index, raw in enumerate(params):
            if index < len(cls.minimums):
                values.append(_period(raw, item, cls.minimums[index], cls))
            else:
                values.append(_deviations(raw, item))
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
            f"to {MAX_PERIOD}, e.g. {cls().text}"
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


def output_columns(specs: Sequence[IndicatorSpec]) -> list[str]:
    """The columns `apply_indicators` adds for `specs`, in order."""
    return [column for spec in specs for column in spec.columns]


def required_inputs(specs: Sequence[IndicatorSpec]) -> list[str]:
    """The frame columns `specs` read (a subset of open, high, low, close, volume)."""
    order = ("open", "high", "low", "close", "volume")
    needed = {column for spec in specs for column in spec.inputs}
    return [column for column in order if column in needed]
