"""Each estimation and constraint option changes the result as it should: the numbers pfopt
reports are checked against a reference computed here (numpy, pandas, scikit-learn on the same
CSV, closed forms), and the HTTP field of the same name gives the CLI flag's numbers.

Most references use shorts without a cap, where the optimum has a closed form; each test also
checks that its reference tells the option apart from the default, so it cannot pass by
accident.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from litestar.testing import TestClient

from tests.e2e import references as ref
from tests.e2e.runs import (
    Doc,
    Market,
    assert_same_run,
    cli_error,
    http_client,
    http_json,
    make_market,
    weight_vector,
)

UTILITY = ("--objective", "max-utility", "--risk-aversion", "3", "--allow-short")
MIN_VARIANCE = ("--objective", "min-variance")


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Market:
    return make_market(tmp_path_factory.mktemp("options"))


@pytest.fixture(scope="module")
def client(market: Market) -> Iterator[TestClient]:
    with http_client(market.url) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def prices(market: Market) -> ref.PriceFile:
    return ref.read_prices(market.prices)


def _w(doc: Doc, market: Market) -> np.ndarray:
    return weight_vector(doc["weights"], market.tickers)


def _assert_reported(doc: Doc, market: Market, mu: np.ndarray, cov: np.ndarray) -> None:
    """The reported return and volatility are w'mu and sqrt(w'Sw) of the reported weights."""
    w = _w(doc, market)
    assert doc["expected_return"] == pytest.approx(w @ mu, rel=1e-10)
    assert doc["volatility"] == pytest.approx(np.sqrt(w @ cov @ w), rel=1e-10)


def _assert_weights(doc: Doc, market: Market, expected: np.ndarray, default: np.ndarray) -> None:
    """The weights are the reference's, and the reference is far from the default's."""
    np.testing.assert_allclose(_w(doc, market), expected, rtol=0, atol=1e-8)
    assert np.abs(expected - default).max() > 1e-3


def _assert_utility_optimum(
    doc: Doc, market: Market, mu: np.ndarray, cov: np.ndarray, default_mu: np.ndarray
) -> None:
    """A ``UTILITY`` run is the closed-form max-utility portfolio on (mu, S)."""
    expected = ref.max_utility_weights(mu, cov, 3.0)
    _assert_weights(doc, market, expected, ref.max_utility_weights(default_mu, cov, 3.0))
    _assert_reported(doc, market, mu, cov)


def test_geometric_returns_are_compound_growth(market: Market, prices: ref.PriceFile) -> None:
    doc = market.optimize_file(*UTILITY, "--returns", "geometric")
    mu = ref.geometric_returns(prices)
    cov = ref.covariance(prices.returns, "ledoit-wolf")
    _assert_utility_optimum(doc, market, mu, cov, ref.mean_returns(prices.returns))


def test_ema_returns_follow_the_span(market: Market, prices: ref.PriceFile) -> None:
    doc = market.optimize_file(*UTILITY, "--returns", "ema", "--ema-span", "30")
    mu = ref.ema_returns(prices.returns, span=30)
    cov = ref.covariance(prices.returns, "ledoit-wolf")
    _assert_utility_optimum(doc, market, mu, cov, ref.mean_returns(prices.returns))
    longer = market.optimize_file(*UTILITY, "--returns", "ema", "--ema-span", "300")
    _assert_utility_optimum(longer, market, ref.ema_returns(prices.returns, span=300), cov, mu)


@pytest.mark.parametrize("method", ["oas", "sample"])
def test_covariance_estimators(market: Market, prices: ref.PriceFile, method: str) -> None:
    cov = ref.covariance(prices.returns, method)
    mu = ref.mean_returns(prices.returns)
    long_only = market.optimize_file(*MIN_VARIANCE, "--covariance", method)
    _assert_reported(long_only, market, mu, cov)
    ref.assert_long_only_min_variance(_w(long_only, market), cov)
    shorts = market.optimize_file(*MIN_VARIANCE, "--allow-short", "--covariance", method)
    default = ref.min_variance_weights(ref.covariance(prices.returns, "ledoit-wolf"))
    _assert_weights(shorts, market, ref.min_variance_weights(cov), default)
    _assert_reported(shorts, market, mu, cov)


def test_pca_factors_are_the_risk_model(market: Market, prices: ref.PriceFile) -> None:
    cov = ref.pca_covariance(prices.returns, 2)
    doc = market.optimize_file(*MIN_VARIANCE, "--allow-short", "--factors", "2")
    default = ref.min_variance_weights(ref.covariance(prices.returns, "ledoit-wolf"))
    _assert_weights(doc, market, ref.min_variance_weights(cov), default)
    _assert_reported(doc, market, ref.mean_returns(prices.returns), cov)


def test_periods_per_year_scales_mu_and_covariance(market: Market, prices: ref.PriceFile) -> None:
    daily = market.optimize_file(*MIN_VARIANCE)
    weekly = market.optimize_file(*MIN_VARIANCE, "--periods-per-year", "52")
    # minimum variance does not depend on the scale: the same weights, rescaled metrics
    np.testing.assert_allclose(_w(weekly, market), _w(daily, market), rtol=0, atol=1e-12)
    mu = ref.mean_returns(prices.returns, 52)
    cov = ref.covariance(prices.returns, "ledoit-wolf", 52)
    _assert_reported(weekly, market, mu, cov)
    assert weekly["expected_return"] == pytest.approx(daily["expected_return"] * 52 / 252)
    assert weekly["volatility"] == pytest.approx(daily["volatility"] * np.sqrt(52 / 252))
    # A rate in yearly units does not scale with mu and S: the max-Sharpe portfolio at a
    # risk-free rate of 0.02 moves with the periods (at 0, or in max utility, it would not).
    sharpe = ("--allow-short", "--risk-free", "0.02")
    doc = market.optimize_file(*sharpe, "--periods-per-year", "52")
    yearly = ref.max_sharpe_weights(
        ref.mean_returns(prices.returns), ref.covariance(prices.returns, "ledoit-wolf"), 0.02
    )
    _assert_weights(doc, market, ref.max_sharpe_weights(mu, cov, 0.02), yearly)
    _assert_reported(doc, market, mu, cov)
    np.testing.assert_allclose(_w(market.optimize_file(*sharpe), market), yearly, atol=1e-8)


def test_start_and_end_cut_the_file(market: Market, prices: ref.PriceFile, tmp_path) -> None:
    start, end = dt.date(2019, 3, 1), dt.date(2020, 1, 31)
    kept = [k for k, d in enumerate(prices.dates) if start <= d <= end]
    lines = market.prices.read_text().splitlines()
    cut = tmp_path / "cut.csv"
    cut.write_text("\n".join([lines[0], *(lines[k + 1] for k in kept)]) + "\n")
    windowed = market.optimize_file("--start", start.isoformat(), "--end", end.isoformat())
    assert windowed["window"] == {
        "start": prices.dates[kept[0]].isoformat(),
        "end": prices.dates[kept[-1]].isoformat(),
        "n_observations": len(kept) - 1,
    }
    assert prices.dates[kept[0]] > prices.dates[0]  # both ends really cut something
    assert prices.dates[kept[-1]] < prices.dates[-1]
    by_hand = market.cli_json("optimize", str(cut))
    assert_same_run(windowed, by_hand)
    whole = market.optimize_file()
    assert np.abs(_w(whole, market) - _w(windowed, market)).max() > 1e-3


def test_start_and_end_over_http_match_the_cli(market: Market, client: TestClient) -> None:
    window = {"start": "2019-03-01", "end": "2020-01-31"}
    by_cli = market.optimize_stored("--start", window["start"], "--end", window["end"])
    by_http = http_json(client, "/api/optimize/portfolio", {"tickers": [*market.tickers], **window})
    assert_same_run(by_http, by_cli)


def test_min_observations(market: Market, client: TestClient, prices: ref.PriceFile) -> None:
    available = len(prices.dates) - 1
    message = cli_error("optimize", str(market.prices), "--min-observations", str(available + 1))
    first, last = prices.dates[0].isoformat(), prices.dates[-1].isoformat()
    assert message.startswith(
        f"only {available} return observation(s) in the common window {first}..{last} "
        f"(need at least {available + 1})"
    )
    body = {"tickers": list(market.tickers), "estimation": {"min_observations": available + 1}}
    r = client.post("/api/optimize/portfolio", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == message
    exact = market.optimize_file("--min-observations", str(available))
    assert exact["window"]["n_observations"] == available
    assert_same_run(exact, market.optimize_file())


@pytest.mark.parametrize("value", [1, -5])
def test_min_observations_below_two_is_refused_as_over_http(
    market: Market, client: TestClient, value: int
) -> None:
    """HTTP refuses fewer than two (no covariance comes from one return); the CLI flag of the
    same name must refuse them too, naming itself, instead of estimating from one return."""
    body = {"tickers": list(market.tickers), "estimation": {"min_observations": value}}
    r = client.post("/api/optimize/portfolio", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "estimation.min_observations"
    message = cli_error("optimize", str(market.prices), "--min-observations", str(value))
    assert "min-observations" in message or "min_observations" in message


BOUNDS = ("--bound", "HEA03=0:0.3", "--bound", "TEC01=0.05:1")


def test_bounds_bind_and_hold(market: Market, client: TestClient) -> None:
    free = market.optimize_file()
    assert free["weights"]["HEA03"] > 0.3 + 1e-3  # both bounds cut the free answer
    assert free["weights"]["TEC01"] < 0.05 - 1e-3
    doc = market.optimize_file(*BOUNDS)
    assert doc["weights"]["HEA03"] == pytest.approx(0.3, abs=1e-9)
    assert doc["weights"]["TEC01"] == pytest.approx(0.05, abs=1e-9)
    assert min(doc["weights"].values()) >= 0
    assert sum(doc["weights"].values()) == pytest.approx(1.0, abs=1e-9)
    assert doc["sharpe"] < free["sharpe"]
    bounds = {"HEA03": [0, 0.3], "TEC01": [0.05, 1]}
    body = {"tickers": list(market.tickers), "constraints": {"bounds": bounds}}
    assert_same_run(http_json(client, "/api/optimize/portfolio", body), doc)


LOADINGS = {
    "TEC01": [1.2, 0.1],
    "FIN02": [0.8, -0.4],
    "HEA03": [-0.5, 0.9],
    "ENE04": [1.5, 0.2],
    "CON05": [0.3, -0.6],
    "IND06": [-0.2, 0.5],
}
FACTOR_LIMITS = {"Value": (None, 0.3), "Size": (-1.0, 1.0)}


def _exposures(doc: Doc) -> dict[str, float]:
    """sum_i w_i * loading_i for each factor."""
    return {
        name: sum(w * LOADINGS[t][k] for t, w in doc["weights"].items())
        for k, name in enumerate(FACTOR_LIMITS)
    }


def test_factor_limits_bind_end_to_end(market: Market, client: TestClient, tmp_path) -> None:
    path = tmp_path / "loadings.csv"
    rows = [f"{t},{','.join(map(str, x))}" for t, x in LOADINGS.items()]
    path.write_text("\n".join(["ticker,Value,Size", *rows]) + "\n")
    free = _exposures(market.optimize_stored())
    assert free["Value"] > 0.3 + 1e-3  # the Value cap binds; Size stays inside its range
    flags = ["--factor-loadings", str(path), "--factor-limit", "Value=:0.3"]
    doc = market.optimize_stored(*flags, "--factor-limit", "Size=-1:1")
    exposure = _exposures(doc)
    assert exposure["Value"] == pytest.approx(0.3, abs=1e-9)
    assert -1 - 1e-9 <= exposure["Size"] <= 1 + 1e-9
    assert sum(doc["weights"].values()) == pytest.approx(1.0, abs=1e-9)
    constraints = {
        "factor_names": list(FACTOR_LIMITS),
        "factor_loadings": LOADINGS,
        "factor_bounds": {name: list(pair) for name, pair in FACTOR_LIMITS.items()},
    }
    body = {"tickers": list(market.tickers), "constraints": constraints}
    assert_same_run(http_json(client, "/api/optimize/portfolio", body), doc)


# name: (CLI flags, HTTP ``estimation``, flags of the run it must differ from; None: it must
# equal the default run)
ESTIMATION: dict[str, tuple[list[str], dict[str, Any], list[str] | None]] = {
    "covariance_oas": (["--covariance", "oas"], {"covariance": "oas"}, []),
    "covariance_sample": (["--covariance", "sample"], {"covariance": "sample"}, []),
    "returns_geometric": (["--returns", "geometric"], {"returns": "geometric"}, []),
    "returns_ema": (["--returns", "ema"], {"returns": "ema"}, []),
    "ema_span": (
        ["--returns", "ema", "--ema-span", "30"],
        {"returns": "ema", "ema_span": 30},
        ["--returns", "ema"],
    ),
    "periods_per_year": (["--periods-per-year", "52"], {"periods_per_year": 52}, []),
    "factors": (["--factors", "2"], {"factors": 2}, []),
    "min_observations": (["--min-observations", "399"], {"min_observations": 399}, None),
}


def _numbers(doc: Doc) -> np.ndarray:
    return np.array([*doc["weights"].values(), doc["expected_return"], doc["volatility"]])


@pytest.mark.parametrize("name", list(ESTIMATION))
def test_http_estimation_matches_the_cli_flag(
    market: Market, client: TestClient, name: str
) -> None:
    flags, estimation, baseline = ESTIMATION[name]
    by_cli = market.optimize_stored(*flags)
    body = {"tickers": list(market.tickers), "estimation": estimation}
    assert_same_run(http_json(client, "/api/optimize/portfolio", body), by_cli)
    other = market.optimize_stored(*(baseline or []))
    if baseline is None:
        assert_same_run(by_cli, other)
    else:
        assert np.abs(_numbers(by_cli) - _numbers(other)).max() > 1e-4


def test_the_option_runs_use_the_whole_file(market: Market, prices: ref.PriceFile) -> None:
    """The references above estimate on every row of the file: so does pfopt by default."""
    assert market.optimize_file()["window"] == {
        "start": prices.dates[0].isoformat(),
        "end": prices.dates[-1].isoformat(),
        "n_observations": len(prices.dates) - 1,
    }
    assert prices.tickers == market.tickers


def test_solver_tolerance_reaches_cvxpy_and_is_kept(market: Market, client: TestClient) -> None:
    """``--solver-tolerance`` / ``solver.tolerance`` loosens the CVXPY solvers (the exact engine
    needs none): a loose Clarabel answer is still a valid portfolio near the tight one, the run
    records the tolerance, and a tolerance that is no tolerance is refused naming the field."""
    from application.solver_settings import SolverSettings
    from entrypoints.container import Container

    loose = Container().solver(settings=SolverSettings(("CLARABEL",), None, 1e-3))
    assert loose._fallback._options["CLARABEL"]["tol_gap_abs"] == 1e-3
    body = {"tickers": list(market.tickers), "solver": {"chain": ["CLARABEL"], "tolerance": 1e-3}}
    r = client.post("/api/optimize/portfolio", json=body)
    assert r.status_code == 200, r.text
    tight = client.post(
        "/api/optimize/portfolio", json={**body, "solver": {"chain": ["CLARABEL"]}}
    ).json()
    doc = r.json()
    assert sum(doc["weights"].values()) == pytest.approx(1.0, abs=1e-6)
    assert max(abs(doc["weights"][t] - tight["weights"][t]) for t in market.tickers) < 1e-2
    stored = client.get(f"/api/optimizations/{doc['optimization_id']}").json()
    assert stored["params"]["solver"] == {
        "time_limit_s": None,
        "chain": ["CLARABEL"],
        "tolerance": 1e-3,
    }
    bad = client.post("/api/optimize/portfolio", json={**body, "solver": {"tolerance": 0.5}})
    assert bad.status_code == 400 and bad.json()["field"] == "solver.tolerance"
    message = cli_error("optimize", str(market.prices), "--solver-tolerance", "0.5")
    assert "solver tolerance must be in (0, 0.01]" in message
