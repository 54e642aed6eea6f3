"""A deterministic synthetic market for trials, tests and benchmarks.

Daily log returns follow a factor model: a market factor, one factor per sector and a value/growth
style factor, plus idiosyncratic Student-t noise (4 degrees of freedom, so tails are fatter than
normal). Same arguments, same prices, on every machine with the same numpy.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np

from domain.errors import ValidationError
from domain.prices import PriceHistory

SECTORS = (
    "Technology",
    "Financials",
    "Health Care",
    "Energy",
    "Consumer",
    "Industrials",
    "Utilities",
)
MAX_ASSETS = 5000
MAX_DAYS = 20000


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerateSamplePricesCommand:
    n_assets: int = 20
    n_days: int = 1260
    """Trading days (business days from ``start``); 1260 is about five years."""
    seed: int = 42
    start: dt.date = dt.date(2019, 1, 2)
    late_starters: int = 0
    """How many assets begin trading part-way through (leading empty cells)."""
    gap_rate: float = 0.0
    """Probability that any one price is missing (scattered holes), 0 to 0.2."""


@dataclass(frozen=True, slots=True, eq=False)
class SampleMarket:
    history: PriceHistory
    sectors: dict[str, str]


def _business_days(start: dt.date, count: int) -> list[dt.date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _check(cmd: GenerateSamplePricesCommand) -> None:
    if not 2 <= cmd.n_assets <= MAX_ASSETS:
        raise ValidationError(f"assets must be between 2 and {MAX_ASSETS}", field="assets")
    if not 10 <= cmd.n_days <= MAX_DAYS:
        raise ValidationError(f"days must be between 10 and {MAX_DAYS}", field="days")
    if not 0 <= cmd.late_starters < cmd.n_assets:
        raise ValidationError(
            "late_starters must be between 0 and assets - 1", field="late_starters"
        )
    if not 0.0 <= cmd.gap_rate <= 0.2:
        raise ValidationError("gap_rate must be between 0 and 0.2", field="gap_rate")


class GenerateSamplePrices:
    """Make a realistic, reproducible daily price history with sectors."""

    def execute(self, cmd: GenerateSamplePricesCommand) -> SampleMarket:
        _check(cmd)
        rng = np.random.default_rng(cmd.seed)
        n, t = cmd.n_assets, cmd.n_days
        sector_of = np.arange(n) % len(SECTORS)
        tickers = [f"{SECTORS[s][:3].upper()}{i + 1:02d}" for i, s in enumerate(sector_of)]
        market = rng.normal(0.0004, 0.010, t)
        sector_factors = rng.normal(0.0, 0.006, (t, len(SECTORS)))
        style = rng.normal(0.0, 0.004, t)
        beta = rng.normal(1.0, 0.25, n)
        sector_beta = rng.uniform(0.6, 1.2, n)
        style_beta = rng.normal(0.0, 1.0, n)
        alpha = rng.normal(0.0, 0.00025, n)
        idio_vol = rng.uniform(0.008, 0.022, n)
        noise = rng.standard_t(4, (t, n)) * idio_vol / np.sqrt(2.0)
        log_returns = (
            alpha
            + np.outer(market, beta)
            + sector_factors[:, sector_of] * sector_beta
            + np.outer(style, style_beta)
            + noise
        )
        start_price = rng.uniform(20.0, 300.0, n)
        closes = start_price * np.exp(np.cumsum(log_returns, axis=0))
        for j in rng.choice(n, size=cmd.late_starters, replace=False):
            closes[: int(rng.integers(t // 10, t // 3)), j] = np.nan
        closes[rng.random((t, n)) < cmd.gap_rate] = np.nan
        history = PriceHistory(_business_days(cmd.start, t), tickers, np.round(closes, 4))
        return SampleMarket(
            history, {tk: SECTORS[s] for tk, s in zip(tickers, sector_of, strict=True)}
        )
