"""A batch: many accounts solved against one shared universe, each with its own holdings,
limits and objective (an overnight rebalance of every client book, or one spec swept over a
grid). Values only; ``application.batches`` runs them on an executor."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from domain.constraints import Constraint
from domain.errors import ValidationError
from domain.model import check_text
from domain.objectives import Objective
from domain.rebalance import RebalanceSpec

LONGEST_ACCOUNT = 100
DEFAULT_MAX_ACCOUNTS = 100_000
"""Accounts one batch may hold unless the operator sets ``PFOPT_MAX_BATCH_ACCOUNTS``."""

BatchStatus = Literal["running", "done", "cancelled", "failed"]
FINAL_BATCH: frozenset[str] = frozenset({"done", "cancelled", "failed"})


@dataclass(frozen=True, slots=True, eq=False)
class BatchAccount:
    """One account: its id (unique in the batch), its assets (None: the whole universe), its
    constraints, objective and the holdings it rebalances from (``RebalanceSpec``)."""

    account: str
    objective: Objective
    tickers: tuple[str, ...] | None = None
    constraints: tuple[Constraint, ...] = ()
    rebalance: RebalanceSpec | None = None
    risk_free_rate: float = 0.0
    """Annualized decimal, for the reported Sharpe ratio."""

    def __post_init__(self) -> None:
        check_text(self.account, "account", LONGEST_ACCOUNT)


@dataclass(frozen=True, slots=True, eq=False)
class AccountOutcome:
    """What one account came to: ``ok`` with its weights and measures, or ``failed`` with the
    error a single run would have given (code, detail, field). Weights are decimals by
    ticker (zeros left out); returns, volatility and tracking error annualized."""

    account: str
    position: int
    """The account's place in the batch (0-based): results list in the order given."""
    status: Literal["ok", "failed"]
    weights: Mapping[str, float] = field(default_factory=dict)
    measures: Mapping[str, Any] = field(default_factory=dict)
    solver: str | None = None
    error: Mapping[str, str | None] | None = None
    duration_ms: float = 0.0


@dataclass(frozen=True, slots=True, eq=False)
class BatchState:
    """A batch as stored: how far it got and how it ended."""

    id: str
    status: BatchStatus
    total: int
    done: int = 0
    failed: int = 0
    executor: str = "inprocess"
    workers: int = 1
    owner: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    summary: Mapping[str, Any] = field(default_factory=dict)
    """Where the time went (estimate, solve, store seconds), accounts per second."""
    error: Mapping[str, str | None] | None = None
    cancel_requested: bool = False


def check_accounts(accounts: Sequence["BatchAccount | AccountOutcome"], limit: int) -> None:
    """At least one account, at most ``limit``, ids unique."""
    if not accounts:
        raise ValidationError("a batch needs at least one account", field="accounts")
    if len(accounts) > limit:
        raise ValidationError(
            f"a batch holds at most {limit} accounts (PFOPT_MAX_BATCH_ACCOUNTS), got "
            f"{len(accounts)}: split it",
            field="accounts",
        )
    seen: set[str] = set()
    for i, a in enumerate(accounts):
        if a.account in seen:
            raise ValidationError(
                f"account {a.account!r} appears twice (accounts[{i}])", field="accounts"
            )
        seen.add(a.account)


def chunk_size(total: int, workers: int, per_task: int = 4) -> int:
    """Accounts per task: about ``per_task`` tasks per worker, so the work spreads and a
    lost worker costs little, within 1..250 accounts (50 assets: ~1 ms each, so a task
    takes 50-250 ms and the ~1 ms a task costs to schedule stays under 2 %)."""
    return max(1, min(250, math.ceil(total / max(1, workers * per_task))))


def chunks(
    numbered: Sequence[tuple[int, BatchAccount]], size: int
) -> list[list[tuple[int, BatchAccount]]]:
    """The accounts with their positions, ``size`` at a time."""
    return [list(numbered[i : i + size]) for i in range(0, len(numbered), size)]
