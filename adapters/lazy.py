"""An adapter made on first use: a command that never needs CVXPY (the exact engine answers
it) never imports it. CVXPY and scipy.stats take about a second and a half to import, more
than the whole solve of a typical run."""

from collections.abc import Callable
from typing import Any


class Lazy:
    """Stands for ``make()``: the first attribute asked for builds it, every later one goes to
    the same object."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make, self._made = make, None

    def __getattr__(self, name: str) -> Any:
        made = self.__dict__.get("_made")
        if made is None:
            made = self._made = self.__dict__["_make"]()
        return getattr(made, name)
