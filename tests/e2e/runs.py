"""Runs through pfopt's public interfaces only, for the safety-net tests (test_parity.py,
test_options.py).

The CLI runs in-process through ``main`` (its exit code, its ``--json`` stdout, its one-line
stderr) and the HTTP API through Litestar's TestClient, both on one SQLite store of sample
prices. Nothing here imports the run contract (specs, orchestrator, codec): the tests that use
these helpers pin what a user sees, so they keep holding while that contract is refactored.
"""

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from litestar.testing import TestClient

from entrypoints.cli.main import main
from entrypoints.container import Container
from entrypoints.http.app import create_app
from tests.storage import fresh_database

Doc = dict[str, Any]
WEIGHT_TOLERANCE = 1e-9
"""CLI and HTTP solve the same problem with the same solver: they must agree to rounding."""


def cli(*args: str) -> tuple[int, str, str]:
    """``pfopt ARGS`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def cli_json(*args: str) -> Doc:
    """``pfopt ARGS --json`` that must succeed, as the parsed document."""
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def cli_error(*args: str) -> str:
    """``pfopt ARGS`` that must fail as bad input: exit 2, nothing on stdout, one stderr line;
    returns that line without its ``pfopt: error:`` prefix."""
    code, out, err = cli(*args)
    assert code == 2, (code, out, err)
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("pfopt: error: ")
    return err.removeprefix("pfopt: error: ").rstrip("\n")


@dataclass(frozen=True, slots=True)
class Market:
    """Sample prices written to ``prices`` (wide CSV) with their ``sectors`` map, and the same
    prices imported into the SQLite store at ``url``."""

    url: str
    prices: Path
    sectors: Path
    tickers: tuple[str, ...]

    def cli(self, *args: str) -> tuple[int, str, str]:
        return cli("--database-url", self.url, *args)

    def cli_json(self, *args: str) -> Doc:
        return cli_json("--database-url", self.url, *args)

    def optimize_stored(self, *args: str) -> Doc:
        """``pfopt optimize --tickers <all stored> ARGS --json``: a run on the store."""
        return self.cli_json("optimize", "--tickers", ",".join(self.tickers), *args)

    def optimize_file(self, *args: str) -> Doc:
        """``pfopt optimize PRICES.csv ARGS --json``: a run on the price file."""
        return self.cli_json("optimize", str(self.prices), *args)

    def sector_of(self) -> dict[str, str]:
        """The sector map as the HTTP body's ``constraints.sectors``."""
        with self.sectors.open() as handle:
            return {row["ticker"]: row["sector"] for row in csv.DictReader(handle)}


def make_market(folder: Path, *, assets: int = 6, days: int = 400, seed: int = 5) -> Market:
    """``pfopt sample-data`` into ``folder`` and ``pfopt prices import`` into a fresh store."""
    url = fresh_database("sqlite", folder)
    prices, sectors = folder / "prices.csv", folder / "sectors.csv"
    code, _, err = cli(
        *("sample-data", "-o", str(prices), "--sectors-out", str(sectors)),
        *("--assets", str(assets), "--days", str(days), "--seed", str(seed)),
    )
    assert code == 0, err
    code, _, err = cli("--database-url", url, "prices", "import", str(prices))
    assert code == 0, err
    with prices.open() as handle:
        tickers = tuple(next(csv.reader(handle))[1:])
    return Market(url, prices, sectors, tickers)


@contextmanager
def http_client(url: str) -> Iterator[TestClient]:
    """The HTTP app on the store at ``url``, as test_http.py builds it."""
    container = Container()
    container.config.database_url.from_value(url)
    with TestClient(app=create_app(container)) as client:
        yield client


def http_json(client: TestClient, path: str, body: Mapping[str, Any]) -> Doc:
    """POST ``body`` to ``path``; it must answer 200 with a JSON document."""
    r = client.post(path, json=dict(body))
    assert r.status_code == 200, r.text
    return r.json()


def http_get(client: TestClient, path: str) -> Doc:
    r = client.get(path)
    assert r.status_code == 200, r.text
    return r.json()


def weight_vector(weights: Mapping[str, float], tickers: Sequence[str]) -> np.ndarray:
    """Weights in ``tickers`` order, shape (n_assets,)."""
    return np.array([weights[t] for t in tickers], dtype=float)


def assert_same_weights(
    actual: Mapping[str, float],
    expected: Mapping[str, float],
    atol: float = WEIGHT_TOLERANCE,
) -> None:
    """Same tickers in the same order, and weights equal to ``atol``."""
    assert list(actual) == list(expected)
    np.testing.assert_allclose(list(actual.values()), list(expected.values()), rtol=0, atol=atol)


SAME_RUN_FIELDS = ("objective", "parameters", "risk_free_rate", "status", "window")


def assert_same_run(actual: Doc, expected: Doc) -> None:
    """Two optimization documents describe the same run: weights to 1e-9, the same objective,
    parameters, rate, status and window, and the same metrics."""
    assert_same_weights(actual["weights"], expected["weights"])
    for field in SAME_RUN_FIELDS:
        assert actual[field] == expected[field], field
    assert_same_metrics(actual, expected, METRICS)


METRICS = ("expected_return", "volatility", "sharpe")


def assert_same_metrics(actual: Doc, expected: Doc, names: Sequence[str]) -> None:
    np.testing.assert_allclose(
        [actual[n] for n in names], [expected[n] for n in names], rtol=0, atol=WEIGHT_TOLERANCE
    )


def assert_same_point(actual: Doc, expected: Doc) -> None:
    """Two frontier points (or max-Sharpe / minimum-variance portfolios) agree."""
    assert actual["status"] == expected["status"]
    assert_same_weights(actual["weights"], expected["weights"])
    assert_same_metrics(actual, expected, ("target_return", *METRICS))


def assert_same_frontier(actual: Doc, expected: Doc) -> None:
    """Two frontier documents trace the same frontier, point by point."""
    for field in ("status", "method", "risk_free_rate", "window"):
        assert actual[field] == expected[field], field
    assert len(actual["points"]) == len(expected["points"])
    for a, e in zip(actual["points"], expected["points"], strict=True):
        assert_same_point(a, e)
    assert_same_point(actual["max_sharpe"], expected["max_sharpe"])
    assert_same_point(actual["min_variance"], expected["min_variance"])
