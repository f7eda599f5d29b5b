"""Progress reporting for long steps: a plain callback, drawn as rich bars in the CLI.

Steps take `progress: ProgressCallback | None` and call it as they go, so the same
step runs silently under Airflow and tests and shows bars in a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class ProgressCallback(Protocol):
    """Report that `done` of `total` units of the step named `step` are finished."""

    def __call__(self, step: str, done: int, total: int) -> None: ...


@contextmanager
def rich_progress() -> Iterator[ProgressCallback]:
    """Yield a progress callback that draws one rich bar per step name."""
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bars:

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bars.add_task(step, total=total)
            bars.update(tasks[step], completed=done, total=total)

        yield report
