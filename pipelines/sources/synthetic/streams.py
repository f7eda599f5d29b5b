"""Keyed random streams: every draw of the synthetic market comes from a generator keyed by
(seed, stream[, day or quarter]), so a day's numbers never depend on which range was asked for.
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """One independent random stream per kind of synthetic data."""

    UNIVERSE = 1
    PRICES = 2
    SPLITS = 3
    EARNINGS = 4
    GRADES = 5
    NEWS = 6


def static_generator(seed: int, stream: Stream) -> np.random.Generator:
    """Return the generator for draws made once per market (reference data, per-ticker traits)."""
    return np.random.default_rng([seed, int(stream)])


def day_generator(seed: int, stream: Stream, day: date) -> np.random.Generator:
    """Return the generator for one trading day's draws of `stream`."""
    return np.random.default_rng([seed, int(stream), day.toordinal()])


def quarter_generator(seed: int, stream: Stream, year: int, quarter: int) -> np.random.Generator:
    """Return the generator for one calendar quarter's draws of `stream` (quarter 1-4)."""
    return np.random.default_rng([seed, int(stream), year, quarter])
