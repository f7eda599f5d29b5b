"""How a failed `tickerlake` command ends: one plain line on stderr and an exit code.

`TickerlakeGroup` is the command line's root group. It runs the command and turns what
escapes it into a message and an exit code, for the installed script, `python -m
pipelines.cli` and `typer.testing.CliRunner` alike:

- Typer/Click usage error (unknown option, bad choice, out-of-range number): exit 2,
  `error: <what>. See 'tickerlake CMD --help'.`
- `UsageError`, `ConfigError` (bad date, spec, range, setting): exit 2,
  `error: <what and what to do>`. A date outside the trading calendar that slipped past
  the flag checks is one (`lake.calendar.DateOutsideCalendar`); exchange_calendars' own
  bounds errors get the same treatment: `error: ... use dates from <first> to <last>`.
- `TickerlakeError`, `DataError` (validation failed, unknown ticker, missing table, bad
  CSV): exit 1, `error: <what and what to do>`.
- `ServiceUnavailable`, or Redis/S3/HTTP unreachable: exit 69,
  `error: <service> is unreachable ...`.
- anything else (a bug): exit 70, `internal error: <type>: <message> (run with
  TICKERLAKE_DEBUG=1 for the traceback)`.
- Ctrl-C: exit 130.

Messages are written as plain text (never parsed as Rich markup, so `--date '[/]'` is
printed as typed) on one line, and never hold a secret.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import typer
import typer.core
from typer._click import exceptions as click_errors  # Typer 0.29 vendors its own Click

from lake.errors import (
    EXIT_INTERNAL,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    ServiceUnavailable,
    TickerlakeError,
)

DEBUG_VARIABLE = "TICKERLAKE_DEBUG"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Texts that delta-rs/object_store and socket libraries put in an error when the other end
# is not there (refused, unresolvable, timed out).
_UNREACHABLE_TEXTS = (
    "error sending request",
    "connection refused",
    "tcp connect error",
    "dns error",
    "failed to lookup address",
    "connection reset",
    "timed out",
    "network is unreachable",
)


class TickerlakeGroup(typer.core.TyperGroup):
    """The root command group: runs a command and ends it with one plain error line and
    the exit code of the table in the module docstring."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click_errors.NoArgsIsHelpError:
            sys.exit(EXIT_USAGE)  # the help text is already printed
        except click_errors.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx is not None else "tickerlake"
            message = exc.format_message().replace("Value error, ", "").rstrip(". ")
            report(f"{message}. See '{command} --help'.")
            sys.exit(EXIT_USAGE)
        except click_errors.ClickException as exc:
            report(exc.format_message())
            sys.exit(exc.exit_code)
        except typer.Abort:
            report("aborted")
            sys.exit(130)
        except KeyboardInterrupt:
            sys.exit(130)
        except Exception as exc:  # the one place every failure is reported
            if os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0"):
                raise
            code, message = classify(exc)
            report(message, label="internal error:" if code == EXIT_INTERNAL else "error:")
            sys.exit(code)
        sys.exit(result if isinstance(result, int) else 0)


def classify(exc: BaseException) -> tuple[int, str]:
    """Return the exit code and the one-line message for `exc` (see the module docstring)."""
    outage = _unreachable_service(exc)
    if isinstance(exc, ServiceUnavailable):
        return exc.exit_code, str(exc)
    if outage is not None and isinstance(exc, TickerlakeError):
        return EXIT_UNAVAILABLE, str(exc)  # its message already says what to do
    if outage is not None:
        return EXIT_UNAVAILABLE, f"{outage}; start it or check the network, then retry"
    if isinstance(exc, TickerlakeError):
        return exc.exit_code, str(exc)
    out_of_bounds = _calendar_out_of_bounds(exc)
    if out_of_bounds is not None:
        return EXIT_USAGE, out_of_bounds
    kind = type(exc).__name__
    first = _first_line(str(exc)) or "no message"
    return EXIT_INTERNAL, (
        f"{kind}: {first} (run with {DEBUG_VARIABLE}=1 for the traceback, and report it)"
    )


def report(message: str, *, label: str = "error:") -> None:
    """Write `message` to stderr as one plain line after `label` (`error:`, `warning:`)."""
    colour = "yellow" if label == "warning:" else "red"
    typer.secho(label, fg=colour, bold=True, err=True, nl=False)
    typer.echo(f" {_one_line(message)}", err=True)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _unreachable_service(exc: BaseException) -> str | None:
    """Name the service `exc` (or what caused it) failed to reach, or None."""
    for error in _chain(exc):
        module = type(error).__module__
        if module.startswith("tenacity") and type(error).__name__ == "RetryError":
            # Our REST clients retry only transport errors, 429 and 5xx: retries that ran
            # out mean the provider is not answering.
            return "a provider API is not answering"
        if module.startswith("redis") and type(error).__name__ in (
            "ConnectionError",
            "TimeoutError",
            "BusyLoadingError",
            "ClusterDownError",
        ):
            return f"Redis is unreachable ({_first_line(str(error)) or type(error).__name__})"
        if (
            module.startswith("httpx")
            and isinstance(error, Exception)
            and any(base.__name__ == "TransportError" for base in type(error).__mro__)
        ):
            return f"a provider API is unreachable ({type(error).__name__})"
        text = str(error).lower()
        if isinstance(error, ConnectionError | TimeoutError) or (
            isinstance(error, OSError) and any(part in text for part in _UNREACHABLE_TEXTS)
        ):
            where = "the S3 endpoint" if "s3" in text or "http" in text else "a service"
            return f"{where} is unreachable ({_last_line(str(error)) or type(error).__name__})"
    return None


def _calendar_out_of_bounds(exc: BaseException) -> str | None:
    for error in _chain(exc):
        if type(error).__name__ in ("DateOutOfBounds", "RequestedSessionOutOfBounds"):
            from pipelines.cli_args import calendar_range

            first, last = calendar_range()
            return f"a date is outside the trading calendar; use dates from {first} to {last}"
    return None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def _last_line(text: str) -> str:
    """The innermost cause in delta-rs's indented `↳` chain, without its colour codes."""
    plain = _ANSI.sub("", text)
    lines = [line.strip(" ↳") for line in plain.strip().splitlines() if line.strip(" ↳")]
    return lines[-1] if lines else ""


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())
