"""Domain errors to exit codes and one readable stderr line: the CLI's only error mapping.

Exit codes: 0 success; 2 bad input (invalid values, unknown files or tickers, constraints that
admit no portfolio, duplicate names); 3 the work could not finish (solver failure or time limit,
a cancel, database unavailable or at an older schema);
1 an unexpected internal error (a traceback only with PFOPT_DEBUG=1).
"""

import os
import sys
import traceback

import click

from domain.errors import (
    ClusterUnavailableError,
    DomainError,
    RunCancelledError,
    SolverFailedError,
    SolverTimeoutError,
    StorageUnavailableError,
)

EXIT_BAD_INPUT = 2
EXIT_SOLVER = 3
EXIT_INTERNAL = 1


def exit_code(error: DomainError) -> int:
    if isinstance(
        error,
        SolverFailedError
        | SolverTimeoutError
        | StorageUnavailableError
        | RunCancelledError
        | ClusterUnavailableError,
    ):
        return EXIT_SOLVER
    return EXIT_BAD_INPUT


def fail(message: str, code: int) -> int:
    click.echo(f"pfopt: error: {' '.join(message.split())}", err=True)
    return code


def report(error: BaseException) -> int:
    """Print one line for ``error`` and return the exit code."""
    if isinstance(error, StorageUnavailableError) and error.reason:  # the local operator's view
        return fail(f"{error.detail} ({error.reason})", exit_code(error))
    if isinstance(error, DomainError):
        return fail(error.detail, exit_code(error))
    if isinstance(error, click.UsageError):
        return fail(error.format_message(), EXIT_BAD_INPUT)
    if os.environ.get("PFOPT_DEBUG"):
        traceback.print_exception(error, file=sys.stderr)
    return fail(
        f"internal error: {type(error).__name__}: {error} (set PFOPT_DEBUG=1 for a traceback)",
        EXIT_INTERNAL,
    )
