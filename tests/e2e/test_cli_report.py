"""The CLI corners a portfolio manager meets: a version, runs without a database, history that
compares runs and shows one, portfolios that are read as tables and can be changed, stored
prices with their sectors, and ``serve`` on a taken port. Every command runs as the user runs
it (``pfopt`` in this process through ``main``; ``serve`` as a real process)."""

import csv
import json
import re
import socket
import subprocess
from pathlib import Path

import pytest

from tests.e2e.runs import Market, cli, cli_json, make_market
from tests.servers import PFOPT, ROOT

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"
ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Market:
    return make_market(tmp_path_factory.mktemp("report"), assets=6, days=400)


def test_version() -> None:
    code, out, err = cli("--version")
    assert (code, err) == (0, "")
    assert re.fullmatch(r"pfopt \d+\.\d+\.\d+\n", out)


def test_a_file_runs_without_a_database_with_no_save(market: Market, tmp_path: Path) -> None:
    code, _, err = cli("--database-url", UNREACHABLE, "optimize", str(market.prices))
    assert code == 3
    assert err.count("\n") == 1
    assert "pass --no-save to run this file without saving it to history" in err
    for command in ("optimize", "frontier"):
        code, out, err = cli(
            "--database-url", UNREACHABLE, command, str(market.prices), "--no-save"
        )
        assert code == 0, err
        assert out.rstrip().endswith("Not saved (--no-save)")
    doc = json.loads(
        cli("--database-url", UNREACHABLE, "optimize", str(market.prices), "--no-save", "--json")[1]
    )
    assert doc["weights"] == market.optimize_file()["weights"]  # the same run, saved or not
    code, _, err = cli("--database-url", UNREACHABLE, "optimize", "--tickers", "A,B", "--no-save")
    assert code == 2
    assert "--no-save needs a PRICES file" in err
    saved = market.cli_json("history")
    before = len(saved)
    assert market.cli("optimize", str(market.prices), "--no-save")[0] == 0
    assert len(market.cli_json("history")) == before  # nothing was kept


def test_frontier_prints_the_risk_command_of_its_max_sharpe_portfolio(market: Market) -> None:
    code, out, err = market.cli("frontier", "--tickers", ",".join(market.tickers), "--points", "4")
    assert code == 0, err
    line = out.rstrip().splitlines()[-1]
    run_id = ID.search(line).group(0)
    assert line.startswith(f"Saved as frontier {run_id}")
    assert f"pfopt risk --optimization {run_id} --point max_sharpe)" in line
    best = market.cli_json("history", "show", run_id)["results"]["max_sharpe"]
    risk = market.cli_json("risk", "--optimization", run_id, "--point", "max_sharpe")
    assert risk["volatility"] == pytest.approx(best["volatility"], rel=1e-10)


def test_optimize_prints_the_id_that_risk_and_history_take(market: Market) -> None:
    code, out, err = market.cli("optimize", str(market.prices), "--max-weight", "0.4")
    assert code == 0, err
    line = out.rstrip().splitlines()[-1]
    assert line.startswith("Saved as optimization ")
    run_id = ID.search(line).group(0)
    assert f"pfopt risk {market.prices} --optimization {run_id})" in line
    risk = market.cli_json("risk", str(market.prices), "--optimization", run_id)
    assert risk["volatility"] > 0
    code, out, _ = market.cli("history", "show", run_id)
    assert code == 0
    assert out.startswith(f"single run {run_id}, ")
    assert "6 assets from prices.csv | long only, weights <= 40 % each |" in out
    assert "Ledoit-Wolf covariance, mean returns | risk-free 0 % | solver critical_line" in out
    assert "Optimal weights (max sharpe)" in out


def test_history_compares_runs_and_shows_one(market: Market, tmp_path: Path) -> None:
    single = market.optimize_file("--objective", "min-variance")
    frontier = market.cli_json("frontier", "--tickers", ",".join(market.tickers), "--points", "4")
    code, out, _ = market.cli("history", "--limit", "2")
    assert code == 0
    lines = out.splitlines()
    header = next(line for line in lines if "Created (UTC)" in line).split()
    assert header[2:] == [
        "Kind",
        "Objective",
        "Status",
        "Source",
        "Assets",
        "Window",
        "Return",
        "Volatility",
        "Sharpe",
        "Id",
    ]
    rows = [line for line in lines if ID.search(line)]
    assert [ID.search(r).group(0) for r in rows] == [
        frontier["optimization_id"],
        single["optimization_id"],
    ]
    best = frontier["max_sharpe"]
    assert "frontier   frontier" in rows[0] and " store " in rows[0]
    assert f"{best['expected_return'] * 100:.2f} %" in rows[0]
    assert f"{best['sharpe']:.3f}" in rows[0]
    assert "min_variance" in rows[1] and "prices.csv" in rows[1]
    assert f"{single['volatility'] * 100:.2f} %" in rows[1]
    summary = tmp_path / "h.csv"
    assert market.cli("history", "--limit", "2", "--csv", str(summary))[0] == 0
    first, second = csv.DictReader(summary.open())
    assert (first["source"], second["source"]) == ("store", "prices.csv")
    assert float(second["volatility"]) == single["volatility"]
    assert second["window_start"] == single["window"]["start"]
    points = tmp_path / "points.csv"
    code, out, _ = market.cli("history", "show", frontier["optimization_id"], "--csv", str(points))
    assert code == 0
    assert "Efficient frontier (4 points, critical_line)" in out
    assert len(list(csv.DictReader(points.open()))) >= 4
    shown = market.cli_json("history", "show", frontier["optimization_id"])
    assert shown["results"]["max_sharpe"] == best
    code, out, err = market.cli("history", "show", "no-such-run")
    assert (code, out) == (2, "")
    assert err == "pfopt: error: no optimization with id 'no-such-run'\n"


def test_portfolios_keep_targets_read_as_tables_and_update(market: Market) -> None:
    run = market.optimize_file("--max-weight", "0.5")
    held = {t: w for t, w in run["weights"].items() if w > 0}
    code, out, err = market.cli(
        "portfolios",
        "create",
        "desk",
        "--targets-from",
        run["optimization_id"],
        "--max-weight",
        "0.5",
        "--sector-map",
        str(market.sectors),
    )
    assert code == 0, err
    doc = market.cli_json("portfolios", "show", "desk")
    assert doc["target_weights"] == run["weights"]
    assert doc["sectors"] == market.sector_of()
    code, out, _ = market.cli("portfolios", "show", "desk")
    assert code == 0
    assert out.startswith("Portfolio 'desk' (")
    assert "Constraints: long only, weights <= 50 % each" in out
    for ticker, weight in held.items():
        row = next(line for line in out.splitlines() if line.split()[:1] == [ticker])
        assert row.split()[-2:] == [f"{weight * 100:.2f}", "%"]
        assert market.sector_of()[ticker] in row
    code, out, err = market.cli("portfolios", "update", "desk", "--rename", "desk2")
    assert (code, err) == (0, "")
    assert out.startswith("updated portfolio 'desk2'")
    kept = market.cli_json("portfolios", "show", "desk2")
    assert kept["constraints"] == doc["constraints"]  # only the name changed
    assert kept["target_weights"] == doc["target_weights"] and kept["id"] == doc["id"]
    two = list(market.tickers[:2])
    assert market.cli("portfolios", "update", "desk2", "--tickers", ",".join(two))[0] == 0
    narrowed = market.cli_json("portfolios", "show", "desk2")
    assert narrowed["tickers"] == two
    assert set(narrowed["target_weights"]) <= set(two)
    assert narrowed["sectors"] == {t: market.sector_of()[t] for t in two}
    assert market.cli("portfolios", "update", "desk2", "--min-weight", "0.1")[0] == 0
    changed = market.cli_json("portfolios", "show", "desk2")["constraints"]
    assert (changed["min_weight"], changed["max_weight"]) == (0.1, None)  # replaced, all of them
    assert market.cli("portfolios", "update", "desk2", "--clear-targets")[0] == 0
    assert market.cli_json("portfolios", "show", "desk2")["target_weights"] == {}
    code, out, _ = market.cli("portfolios", "list")
    assert "desk2" in out and "weights >= 10 % each" in out
    code, _, err = market.cli("portfolios", "update", "nope", "--rename", "x")
    assert code == 2 and "no portfolio named or with id 'nope'" in err
    code, _, err = market.cli("portfolios", "update", "desk2", "--targets-from", "nope")
    assert code == 2 and "no optimization with id 'nope'" in err


def test_prices_list_shows_sectors_and_a_reimport_says_nothing_changed(tmp_path: Path) -> None:
    market = make_market(tmp_path, assets=3, days=50)
    code, out, _ = market.cli("prices", "import", str(market.prices))
    assert code == 0
    assert out.startswith("nothing changed: the store already holds all 150 prices (3 tickers")
    code, out, _ = market.cli(
        "prices", "import", str(market.prices), "--sector-map", str(market.sectors)
    )
    assert out.startswith("imported 150 prices for 3 tickers") and "3 sectors set" in out
    code, out, _ = market.cli("prices", "list")
    assert code == 0
    assert "Sector" in out
    for ticker, sector in market.sector_of().items():
        row = next(line for line in out.splitlines() if f" {ticker} " in line)
        assert sector in row
    assert [r["sector"] for r in market.cli_json("prices", "list")] == [
        market.sector_of()[t] for t in sorted(market.tickers)
    ]


def test_serve_on_a_taken_port_says_so_in_one_line(market: Market) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [PFOPT, "--database-url", market.url, "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"pfopt: error: port {port} on 127.0.0.1 is already in use (another pfopt serve?); "
        "stop it or pick another with --port\n"
    )


def test_optimize_json_still_names_its_id(market: Market) -> None:
    doc = cli_json("--database-url", market.url, "optimize", str(market.prices))
    assert ID.fullmatch(doc["optimization_id"])
