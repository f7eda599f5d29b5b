"""Great Expectations suites, one per silver table, and the validate-or-quarantine runner.

Importing this package is cheap: Great Expectations itself is imported on the first
validation.
"""

from expectations.context import ValidationContext
from expectations.gate import validate_or_quarantine
from expectations.quarantine import (
    VALIDATION_RESULTS,
    latest_results,
    quarantined_batches,
    read_quarantined,
    validation_results,
)
from expectations.report import CheckResult, ValidationFailed, ValidationReport
from expectations.split_audit import audit_splits

__all__ = [
    "VALIDATION_RESULTS",
    "CheckResult",
    "ValidationContext",
    "ValidationFailed",
    "ValidationReport",
    "audit_splits",
    "latest_results",
    "quarantined_batches",
    "read_quarantined",
    "validate_or_quarantine",
    "validation_results",
]
