"""Shared pieces of the realtime tests: a polling helper and a small synthetic universe."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import polars as pl
import pytest

from pipelines.realtime.universe import synthetic_universe


async def eventually(
    condition: Callable[[], object], *, timeout: float = 15.0, interval: float = 0.02
) -> None:
    """Wait until `condition()` is truthy (polling, not sleeping a guessed time); fail after
    `timeout`.

    `condition` may return an awaitable.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = condition()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value {last!r})")


@pytest.fixture
def universe() -> pl.DataFrame:
    """Twenty synthetic tickers."""
    return synthetic_universe(20)
