"""The exceptions a user ever sees: each message says what went wrong and what to do.

Every kind carries the exit code the CLI ends with, so a script can tell them apart:

- `UsageError` (and `ConfigError`), exit 2: a bad flag value, date, spec, enum or
  environment variable; fix the command or the setting.
- `TickerlakeError`, `DataError`, exit 1: the data failed (validation failed, unknown
  ticker, missing lake table, a malformed CSV).
- `ServiceUnavailable`, exit 69: a service could not be reached (Redis, S3, a provider);
  start it or retry later.

69 is `EX_UNAVAILABLE` from BSD's sysexits.h; 2 is what Click and Typer use for usage errors.
"""

from __future__ import annotations

from typing import ClassVar

EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 69
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug, not something the user did


class TickerlakeError(Exception):
    """A failure the user can act on. The CLI prints its message on one line and exits
    with `exit_code`; the app shows it in an `st.warning`. Never carries a secret."""

    exit_code: ClassVar[int] = EXIT_DATA


class DataError(TickerlakeError):
    """The data is wrong or missing: failed validation, unknown ticker, missing table,
    a malformed input file. Exit code 1."""

    exit_code: ClassVar[int] = EXIT_DATA


class UsageError(TickerlakeError):
    """The request is wrong: a bad flag value, date, range, indicator spec or choice.
    Exit code 2."""

    exit_code: ClassVar[int] = EXIT_USAGE


class ConfigError(UsageError):
    """A setting (an environment variable or `.env` entry) has a bad value. Exit code 2."""


class ServiceUnavailable(TickerlakeError):
    """A service the command needs (Redis, the S3 endpoint, a provider API) did not answer.
    Exit code 69."""

    exit_code: ClassVar[int] = EXIT_UNAVAILABLE


def shown(value: object, limit: int = 60) -> str:
    """Return `repr(value)` for an error message, cut to about `limit` characters so a
    huge hostile value never floods the terminal."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}…{text[-3:]}"
