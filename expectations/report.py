"""What a validation says: a small report (per check: name, severity, unexpected rows)
and the exception a failed batch raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lake.errors import TickerlakeError


@dataclass(frozen=True)
class CheckResult:
    """One expectation's outcome.

    `name` reads like `expect_column_values_to_be_between(close)`; `unexpected_count`
    is the number of offending rows (None for table-level checks); `examples` holds a
    few offending keys or values as strings.
    """

    name: str
    success: bool
    severity: str  # "critical" | "warning"
    unexpected_count: int | None = None
    examples: tuple[str, ...] = ()
    unit: str = "rows"  # what unexpected_count counts: "rows", or "tickers" for missing ones


@dataclass(frozen=True)
class ValidationReport:
    """A batch's validation: which table and batch, how many rows, every check's result,
    GX's own result as JSON, and where the batch was quarantined (None if it passed)."""

    table: str
    batch_id: str
    rows: int
    validated_at: datetime  # UTC
    checks: tuple[CheckResult, ...]
    gx_result: dict[str, Any] = field(repr=False)
    quarantine_uri: str | None = None
    # GX's own ExpectationSuiteValidationResult, for rendering its Data Docs page.
    gx_object: Any = field(default=None, repr=False, compare=False)

    @property
    def success(self) -> bool:
        """True when no critical check failed (warnings do not fail a batch)."""
        return not self.failed

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        """The critical checks that failed."""
        return tuple(c for c in self.checks if not c.success and c.severity != "warning")

    @property
    def warnings(self) -> tuple[CheckResult, ...]:
        """The warning-level checks that flagged rows."""
        return tuple(c for c in self.checks if not c.success and c.severity == "warning")

    @property
    def evaluated(self) -> int:
        """Number of checks run."""
        return len(self.checks)

    def failure_summary(self) -> str:
        """Return e.g. `expect_column_values_to_be_between(close): 1 of 5,000 rows`, one per
        failed check, joined with "; "."""
        return "; ".join(_describe(check, self.rows) for check in self.failed)


def _describe(check: CheckResult, rows: int) -> str:
    if check.unexpected_count is None:
        detail = "failed"
        if check.examples:
            detail += f" ({', '.join(check.examples[:5])})"
        return f"{check.name}: {detail}"
    if check.unit != "rows":
        text = f"{check.name}: {check.unexpected_count:,} {check.unit}"
    else:
        text = f"{check.name}: {check.unexpected_count:,} of {rows:,} rows"
    if check.examples:
        text += f" (e.g. {', '.join(check.examples[:3])})"
    return text


class ValidationFailed(TickerlakeError):
    """A batch failed validation and was quarantined; nothing of it reached silver.

    The message names the failed expectations with their row counts and where the
    batch, its result JSON and its Data Docs page are; `report` has the details.
    """

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        where = f" and was quarantined at {report.quarantine_uri}" if report.quarantine_uri else ""
        super().__init__(
            f"{report.table} batch {report.batch_id} failed validation{where}: "
            f"{report.failure_summary()}. Open validation.html there to see the offending "
            "rows, fix the source data, then load the batch again."
        )
