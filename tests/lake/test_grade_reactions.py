"""Price reaction after analyst grade actions, on hand-made bars."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from lake.grade_reactions import grade_reactions

pytestmark = pytest.mark.unit

SESSIONS = [d for d in (date(2024, 1, 1) + timedelta(days=i) for i in range(30)) if d.weekday() < 5]
BARS = pl.DataFrame(
    {"ticker": "AAA", "date": SESSIONS, "close": [100.0 + i for i in range(len(SESSIONS))]}
)


def _grades(*days: date) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ticker": ["AAA"] * len(days),
            "date": list(days),
            "firm": [f"Firm {i}" for i in range(len(days))],
            "previous_grade": ["Hold"] * len(days),
            "new_grade": ["Buy"] * len(days),
            "action": ["upgrade"] * len(days),
        }
    )


@pytest.mark.parametrize(
    ("day", "base"),
    [(SESSIONS[3], 102.0), (date(2024, 1, 6), 104.0), (date(2024, 1, 8), 104.0)],
)
def test_reaction_is_measured_from_the_last_close_before_the_action(day: date, base: float) -> None:
    got = grade_reactions(_grades(day), BARS, days=(1, 5)).row(0, named=True)
    assert got["base_close"] == base
    assert got["return_1d"] == pytest.approx(100 / base)
    assert got["return_5d"] == pytest.approx(500 / base)


def test_missing_sessions_give_null_returns_and_rows_are_kept() -> None:
    got = grade_reactions(_grades(SESSIONS[-2], SESSIONS[0]), BARS, days=(1, 5))
    assert got.height == 2
    newest = got.row(0, named=True)
    assert newest["return_1d"] == pytest.approx(100 / newest["base_close"])
    assert newest["return_5d"] is None
    oldest = got.row(1, named=True)  # nothing before the first session
    assert oldest["base_close"] is None and oldest["return_1d"] is None
