"""`make bench`: run every `benchmarks/bench_*.py` module's `run()` and print its figures.

Each module measures its subject against a reference measured in the same run and
returns printed lines (medians and ratios). Pick modules with `python -m benchmarks NAME…`.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

from rich.console import Console

console = Console()


def main(selected: list[str]) -> int:
    """Run the chosen benchmark modules (all when none are named); return the exit code."""
    folder = Path(__file__).parent
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_")
    )
    if selected:
        names = [n for n in names if n.removeprefix("bench_") in selected or n in selected]
    if not names:
        console.print("no benchmarks found")
        return 0
    failed = 0
    for name in names:
        console.rule(f"[bold]{name.removeprefix('bench_')}")
        started = time.perf_counter()
        try:
            lines = importlib.import_module(f"benchmarks.{name}").run()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed += 1
            console.print(f"[red]{name} failed: {type(exc).__name__}: {exc}")
            continue
        for line in lines:
            console.print(line, highlight=False)
        console.print(f"[dim]({time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
