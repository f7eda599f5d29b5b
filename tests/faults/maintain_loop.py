"""The race test's maintenance process: `pipelines.historical.maintain()` on the lake at
LAKE_URI over and over until the file named by argv[1] exists, with extra sorted rewrites
of silver daily_bars between runs (the table each load's day lands in), so rewrites
overlap the loads' commits often. Prints one line per finished run."""

from __future__ import annotations

import sys
from pathlib import Path

from lake import tables
from lake.schemas import DAILY_BARS
from lake.settings import get_settings
from pipelines.historical import maintain

REWRITES_BETWEEN_RUNS = 20

if __name__ == "__main__":
    stop = Path(sys.argv[1])
    lake_uri = get_settings().lake_uri
    runs = 0
    while not stop.exists():
        maintain(lake_uri=lake_uri)
        for _ in range(REWRITES_BETWEEN_RUNS):
            tables.optimize(DAILY_BARS, sort_by=("ticker", "date"))
        runs += 1
        print(f"maintained {runs}", flush=True)
