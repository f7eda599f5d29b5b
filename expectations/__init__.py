"""Great Expectations suites, one per silver table, and the validate-or-quarantine runner.

Importing this package is cheap: Great Expectations itself is imported on the first
validation.
"""

from expectations.context import ValidationContext
from expectations.gate import validate_or_quarantine
from expectations.quarantine import read_quarantined
from expectations.report import CheckResult, ValidationFailed, ValidationReport
from expectations.split_audit import audit_splits

__all__ = [
    "CheckResult",
    "ValidationContext",
    "ValidationFailed",
    "ValidationReport",
    "audit_splits",
    "read_quarantined",
    "validate_or_quarantine",
]
