"""An adapter made on first use: a command that never needs CVXPY (the exact engine answers
it) never imports it. CVXPY and scipy.stats take about a second and a half to import, more
than the whole solve of a typical run."""

import threading
from collections.abc import Callable
from typing import Any


class Lazy:
    """Stands for ``make()``: the first attribute asked for builds it (once, whichever worker
    thread asks first), every later one goes to the same object."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make, self._made, self._lock = make, None, threading.Lock()

    def __getattr__(self, name: str) -> Any:
        made = self.__dict__.get("_made")
        if made is None:
            with self.__dict__["_lock"]:
                made = self.__dict__.get("_made")
                if made is None:
                    made = self._made = self.__dict__["_make"]()
        return getattr(made, name)


def warm_up() -> None:
    """Import every heavy adapter now: a server calls this once at start-up, so no request
    waits for an import (and no two requests import one package at once)."""
    import adapters.cvxpy_frontier
    import adapters.matplotlib_charts
    import adapters.sklearn_risk  # noqa: F401
