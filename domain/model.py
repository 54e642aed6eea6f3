"""Assets, the estimated universe and the portfolio a user optimizes."""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from domain.constraints import Constraint
from domain.errors import InvalidUniverseError, ValidationError
from domain.risk_model import FactorModel
from domain.types import MAX_MAGNITUDE, FloatArray, frozen_array, numbers

TICKER = re.compile(r"[A-Za-z0-9^][A-Za-z0-9._^=/:-]{0,31}")
"""A stored ticker (prices, saved portfolios): 1..32 characters of letters, digits and
``. _ ^ = / : -`` (BRK.B, ^GSPC, BF-B). Stored data are shared by every user of a service, so a
name that could carry markup into someone else's page, or that the database column cannot
hold, is refused at the door, on every database alike."""
LONGEST_INLINE_TICKER = 64
"""An inline model's tickers (and so a run's assets) are the caller's labels, never stored as
prices: any text without control characters up to this length."""
LONGEST_SECTOR = 100
LONGEST_NAME = 200
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_text(
    value: str, field: str, longest: int, error: type[ValidationError] = ValidationError
) -> str:
    """A name or label: 1..``longest`` characters, not padded, without control characters (a
    NUL cannot be stored in PostgreSQL text; a newline would forge log and CSV lines)."""
    if not value or value != value.strip():
        raise error(f"{field} {value[:40]!r} is empty or padded", field=field)
    if len(value) > longest:
        raise error(f"{field} takes 1..{longest} characters, got {len(value)}", field=field)
    if CONTROL.search(value):
        raise error(f"{field} {value[:40]!r} holds a control character", field=field)
    return value


def check_stored_ticker(ticker: str, field: str) -> str:
    """A ticker that may be stored (prices, sectors, saved portfolios): ``TICKER``."""
    check_text(ticker, field, len(ticker) or 1, InvalidUniverseError)  # empty, padded, control
    if not TICKER.fullmatch(ticker):
        raise InvalidUniverseError(
            f"{field} {ticker[:40]!r}: use 1..32 letters, digits or . _ ^ = / : -", field=field
        )
    return ticker


MIN_ASSETS = 2
SYMMETRY_TOLERANCE = 1e-8
"""Relative asymmetry of a covariance that is averaged away; anything larger is an input error."""


def _check_weights(weights: Mapping[str, float] | None, tickers: Sequence[str], name: str) -> None:
    """Weights by ticker: every key one of ``tickers``, every value a finite decimal of at most
    ``MAX_MAGNITUDE``."""
    if weights is None:
        return
    unknown = sorted(set(weights) - set(tickers))
    if unknown:
        word = name.split("_")[0]
        raise InvalidUniverseError(f"{word} weight for unknown ticker {unknown[0]!r}", field=name)
    for ticker, w in weights.items():
        if not isinstance(w, int | float) or not math.isfinite(w) or abs(w) > MAX_MAGNITUDE:
            raise InvalidUniverseError(
                f"{ticker}: weight must be a finite decimal, got {w!r}", field=f"{name}.{ticker}"
            )


@dataclass(frozen=True, slots=True)
class Asset:
    """One investable instrument; ``sector`` feeds sector limits and charts."""

    ticker: str
    sector: str | None = None

    def __post_init__(self) -> None:
        check_text(self.ticker, "tickers", LONGEST_INLINE_TICKER, InvalidUniverseError)
        if self.sector is not None:
            check_text(self.sector, f"sectors[{self.ticker}]", LONGEST_SECTOR)


def check_tickers(tickers: Sequence[str], minimum: int = MIN_ASSETS) -> tuple[str, ...]:
    """Reject fewer than ``minimum`` assets and duplicates, naming the offending ticker."""
    if len(tickers) < minimum:
        raise InvalidUniverseError(
            f"need at least {minimum} assets, got {len(tickers)}", field="tickers"
        )
    seen: set[str] = set()
    for ticker in tickers:
        if not isinstance(ticker, str):
            raise InvalidUniverseError(f"ticker {ticker!r} is not text", field="tickers")
        if len(ticker) > LONGEST_INLINE_TICKER or CONTROL.search(ticker):
            check_text(ticker, "tickers", LONGEST_INLINE_TICKER, InvalidUniverseError)
        if ticker in seen:
            raise InvalidUniverseError(f"duplicate ticker {ticker!r}", field="tickers")
        seen.add(ticker)
    return tuple(tickers)


SPARSE_FROM = 200
"""From this many assets a sparse portfolio's variance reads its held block alone; below, the
whole product is cheaper than finding the block."""


@dataclass(frozen=True, slots=True, eq=False)
class Universe:
    """What the optimizer sees: tickers with annualized expected returns and a risk model.

    Parameters
    ----------
    tickers : tuple of str, length n_assets, unique.
    expected_returns : shape (n_assets,), annualized, decimal (0.08 is 8 % a year).
    covariance : shape (n_assets, n_assets), annualized, symmetric; or
    factor_model : a ``FactorModel`` S = B F B' + diag(D), annualized; the dense matrix is then
        formed only if something asks for ``covariance``.
    Positive semi-definiteness of a dense covariance is not checked here:
    ``domain.covariance.ensure_psd`` repairs it with a warning first.
    """

    tickers: tuple[str, ...]
    expected_returns: FloatArray
    factor_model: FactorModel | None
    _dense: FloatArray | None

    def __init__(
        self,
        tickers: Sequence[str],
        expected_returns: object,
        covariance: object | None = None,
        factor_model: FactorModel | None = None,
    ):
        names = check_tickers(tickers)
        mu = numbers(expected_returns, "expected_returns", 1)
        n = len(names)
        if mu.shape != (n,):
            raise InvalidUniverseError(
                f"expected_returns has {mu.shape[0]} values for {n} tickers",
                field="expected_returns",
            )
        if not np.isfinite(mu).all():  # one vectorized pass; the loop only names the culprit
            ticker = names[int(np.argmin(np.isfinite(mu)))]
            raise InvalidUniverseError(
                f"expected return of {ticker!r} is not finite", field="expected_returns"
            )
        if (covariance is None) == (factor_model is None):
            raise InvalidUniverseError(
                "give either a covariance or a factor model", field="covariance"
            )
        if factor_model is not None and factor_model.n_assets != n:
            raise InvalidUniverseError(
                f"factor model has {factor_model.n_assets} assets for {n} tickers",
                field="factor_model",
            )
        object.__setattr__(self, "tickers", names)
        object.__setattr__(self, "expected_returns", mu)
        object.__setattr__(self, "factor_model", factor_model)
        object.__setattr__(
            self, "_dense", None if covariance is None else _checked(names, covariance)
        )

    @property
    def n_assets(self) -> int:
        return len(self.tickers)

    @property
    def covariance(self) -> FloatArray:
        """The dense annualized covariance (formed once from the factor model if needed)."""
        if self._dense is None:
            assert self.factor_model is not None
            object.__setattr__(self, "_dense", frozen_array(self.factor_model.dense()))
        return self._dense  # type: ignore[return-value]

    def subset(self, indices: Sequence[int]) -> "Universe":
        """The universe on ``indices`` (positions in ``tickers``, in that order): a batch's
        account reads its own assets off the shared model, which is estimated once."""
        idx = np.asarray(indices, dtype=int)
        names = tuple(self.tickers[i] for i in idx)
        mu = self.expected_returns[idx]
        f = self.factor_model
        if self._dense is None and f is not None:
            part = FactorModel(f.loadings[idx], f.factor_covariance, f.specific_variance[idx])
            return Universe(names, mu, factor_model=part)
        return Universe(names, mu, self.covariance[np.ix_(idx, idx)])

    def portfolio_variance(self, weights: FloatArray) -> float:
        """w'Sw, annualized; O(n_assets * n_factors) with a factor model. With a dense matrix
        and few assets held (a frontier point of 40 among 2000), only their block is read:
        the whole product read 32 MB per point, a millisecond each."""
        if self._dense is None and self.factor_model is not None:
            return float(weights @ self.factor_model.matvec(weights))
        if weights.size >= SPARSE_FROM:
            held = np.flatnonzero(weights)
            if 4 * held.size < weights.size:
                w = weights[held]
                return float(w @ self.covariance[np.ix_(held, held)] @ w)
        return float(weights @ self.covariance @ weights)


def _checked(names: tuple[str, ...], covariance: object) -> FloatArray:
    cov = np.array(numbers(covariance, "covariance", 2))
    n = len(names)
    if cov.shape != (n, n):
        raise InvalidUniverseError(
            f"covariance has shape {cov.shape}, expected ({n}, {n})", field="covariance"
        )
    finite = np.isfinite(cov).all(axis=1)
    if not finite.all():
        ticker = names[int(np.argmin(finite))]
        raise InvalidUniverseError(
            f"covariance row of {ticker!r} has NaN or inf", field="covariance"
        )
    variances = np.diagonal(cov)
    if (variances < 0).any():
        i = int(np.argmin(variances))
        raise InvalidUniverseError(
            f"variance of {names[i]!r} is negative ({variances[i]:.3g})", field="covariance"
        )
    scale = max(float(np.abs(cov).max()), 1e-300)
    if float(np.abs(cov - cov.T).max()) > SYMMETRY_TOLERANCE * scale:
        raise InvalidUniverseError("covariance is not symmetric", field="covariance")
    return frozen_array((cov + cov.T) / 2.0)


@dataclass(frozen=True, slots=True)
class Portfolio:
    """A named set of assets with the constraints its allocation must obey.

    ``current_weights`` (decimal of the book, by ticker; the rest is cash) is what the holder
    has now, if known: a run on the portfolio rebalances from it (the trades, and any turnover
    cap or costs measured from it); it is no constraint itself.
    ``target_weights`` (decimal, by ticker) are the weights the portfolio was saved with (the
    point a user chose on a frontier): kept and shown, and likewise no constraint.
    """

    name: str
    assets: tuple[Asset, ...]
    constraints: tuple[Constraint, ...] = ()
    current_weights: Mapping[str, float] | None = field(default=None)
    target_weights: Mapping[str, float] | None = field(default=None)

    def __post_init__(self) -> None:
        check_text(self.name, "name", LONGEST_NAME)
        check_tickers(self.tickers)
        for name, weights in (
            ("current_weights", self.current_weights),
            ("target_weights", self.target_weights),
        ):
            _check_weights(weights, self.tickers, name)
        held = sum((self.current_weights or {}).values())
        if held > 1.0 + 1e-6:
            raise InvalidUniverseError(
                f"holdings sum to {held:g}, above 1 (100 %): they are decimals of the book "
                "(0.25 means 25 %), the rest is cash",
                field="holdings",
            )

    @property
    def tickers(self) -> tuple[str, ...]:
        return tuple(asset.ticker for asset in self.assets)

    @property
    def sectors(self) -> dict[str, str]:
        """Ticker to sector, for the assets that have one."""
        return {a.ticker: a.sector for a in self.assets if a.sector is not None}
