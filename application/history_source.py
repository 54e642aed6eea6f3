"""A ``PriceSource`` over a history already in memory (loaded from the store, say), so the
synchronous optimize and frontier use cases can run on stored prices."""

import datetime as dt
from collections.abc import Sequence

from domain.errors import NotFoundError
from domain.prices import PriceHistory


class HistoryPriceSource:
    def __init__(self, history: PriceHistory) -> None:
        self.history = history

    def load(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> PriceHistory:
        history = self.history
        if tickers is not None:
            missing = [t for t in tickers if t not in history.tickers]
            if missing:
                raise NotFoundError(f"ticker {missing[0]!r} has no prices", field="tickers")
            history = history.select(tickers)
        return history.between(start, end)
