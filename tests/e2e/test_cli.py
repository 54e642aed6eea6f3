"""The ``pfopt`` CLI end to end: real files, real solvers, exit codes and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from adapters.csv_prices import CsvPriceSource
from adapters.cvxpy_solver import CvxpySolver
from adapters.sklearn_risk import SklearnRiskEstimator
from application.allocate import allocate
from application.estimate_universe import EstimationSettings, estimate_universe
from domain.constraints import Budget
from domain.linear import compile_constraints
from domain.objectives import MaxSharpe
from entrypoints.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    code = main(
        [
            "sample-data",
            "-o",
            str(folder / "prices.csv"),
            "--assets",
            "8",
            "--days",
            "1260",
            "--seed",
            "2",
            "--sectors-out",
            str(folder / "sectors.csv"),
        ]
    )
    assert code == 0
    return folder


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, data: Path, *args: str) -> dict:
    code, out, err = run(capsys, "optimize", str(data / "prices.csv"), "--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_sample_data_is_deterministic(data: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = run(capsys, "sample-data", "--assets", "8", "--days", "1260", "--seed", "2")
    assert code == 0
    assert out == (data / "prices.csv").read_text()
    assert (data / "sectors.csv").read_text().startswith("ticker,sector\nTEC01,Technology\n")


def test_optimize_prints_weights_and_metrics(data: Path, capsys) -> None:
    code, out, err = run(capsys, "optimize", str(data / "prices.csv"))
    assert code == 0, err
    assert "Optimal weights (max sharpe)" in out
    assert "Expected return" in out
    assert "Sharpe" in out
    assert "Solver critical_line (optimal)" in out


def test_json_document_is_stable(data: Path, capsys) -> None:
    doc = run_json(capsys, data, "--objective", "min-variance", "--risk-free", "0.02")
    assert set(doc) == {
        "schema_version",
        "objective",
        "parameters",
        "weights",
        "expected_return",
        "volatility",
        "sharpe",
        "risk_free_rate",
        "solver",
        "status",
        "solver_attempts",
        "warnings",
        "window",
        "duration_ms",
        "optimization_id",
        "rebalance",
    }
    assert doc["rebalance"] is None  # a run from cash, tracking nothing
    assert doc["objective"] == "min_variance"
    assert sum(doc["weights"].values()) == pytest.approx(1.0, abs=1e-12)
    assert min(doc["weights"].values()) >= 0
    assert doc["status"] == "optimal"
    assert doc["risk_free_rate"] == 0.02
    assert doc["sharpe"] == pytest.approx((doc["expected_return"] - 0.02) / doc["volatility"])
    assert doc["window"]["n_observations"] == 1259


def _weights(doc: dict) -> np.ndarray:
    return np.array(list(doc["weights"].values()))


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (
            # binds: the minimum-variance return on this data is below 0.12 (checked below)
            ["--objective", "target-return", "--target", "0.12"],
            lambda d: d["expected_return"] == pytest.approx(0.12, abs=1e-9),
        ),
        (
            ["--objective", "target-risk", "--target", "0.2"],
            lambda d: d["volatility"] == pytest.approx(0.2, abs=1e-7),
        ),
        (
            ["--objective", "max-utility", "--risk-aversion", "4"],
            lambda d: d["parameters"] == {"risk_aversion": 4.0},
        ),
        (
            # binds: the uncapped max Sharpe portfolio holds more than 0.2 of one asset
            ["--max-weight", "0.2"],
            lambda d: (
                max(d["weights"].values()) == pytest.approx(0.2, abs=1e-9)
                and min(d["weights"].values()) >= 0
            ),
        ),
        (["--covariance", "sample", "--returns", "ema"], lambda d: d["status"] == "optimal"),
        (
            ["--tickers", "TEC01,FIN02,HEA03"],
            lambda d: list(d["weights"]) == ["TEC01", "FIN02", "HEA03"],
        ),
        (["--solver-chain", "CLARABEL"], lambda d: d["solver"] == "CLARABEL"),
    ],
)
def test_objectives_and_constraints(data: Path, capsys, args, check) -> None:
    doc = run_json(capsys, data, *args)
    assert check(doc)
    assert sum(doc["weights"].values()) == pytest.approx(1.0, abs=1e-9)


def test_the_checked_constraints_bind_on_this_data(data: Path, capsys) -> None:
    """Why the equalities above are the right checks: each constraint is active."""
    floor = run_json(capsys, data, "--objective", "min-variance")
    assert floor["expected_return"] < 0.12 - 1e-3
    assert floor["volatility"] < 0.2 - 1e-3
    assert max(run_json(capsys, data)["weights"].values()) > 0.2 + 1e-3
    free = run_json(capsys, data, "--allow-short", "--leverage", "10")
    assert np.abs(_weights(free)).sum() > 1.4 + 1e-3


def test_shorts_with_a_leverage_cap_match_a_reference_solve(data: Path, capsys) -> None:
    doc = run_json(capsys, data, "--allow-short", "--leverage", "1.4")
    w = _weights(doc)
    assert w.min() < -1e-3
    assert np.abs(w).sum() == pytest.approx(1.4, abs=1e-6)  # binds (see the test above)
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert doc["solver"] in ("OSQP", "CLARABEL", "ECOS", "SCS")  # the engine declines a cap
    estimated = estimate_universe(
        CsvPriceSource(path=data / "prices.csv"), SklearnRiskEstimator(), None, EstimationSettings()
    )
    u = estimated.universe
    lc = compile_constraints(u.tickers, [Budget(leverage=1.4)])
    ref = allocate(CvxpySolver(chain=("CLARABEL",)), u, lc, MaxSharpe())
    assert list(doc["weights"]) == list(u.tickers)
    np.testing.assert_allclose(w, ref.weights, rtol=0, atol=1e-6)
    assert doc["sharpe"] == pytest.approx(ref.metrics.sharpe, abs=1e-9)


def test_sector_limits_are_respected(data: Path, capsys) -> None:
    sectors = dict(line.split(",") for line in (data / "sectors.csv").read_text().splitlines()[1:])
    doc = run_json(
        capsys,
        data,
        "--sector-map",
        str(data / "sectors.csv"),
        "--sector-limit",
        "Technology=0.3:0.5",
        "--sector-limit",
        "Energy=:0.05",
    )
    tech = sum(w for t, w in doc["weights"].items() if sectors[t] == "Technology")
    energy = sum(w for t, w in doc["weights"].items() if sectors[t] == "Energy")
    assert 0.3 - 1e-9 <= tech <= 0.5 + 1e-9
    assert energy <= 0.05 + 1e-9


def test_late_starters_and_gaps_warn_on_stderr(tmp_path: Path, capsys) -> None:
    path = tmp_path / "gappy.csv"
    assert (
        main(
            [
                "sample-data",
                "-o",
                str(path),
                "--assets",
                "5",
                "--days",
                "400",
                "--late-starters",
                "1",
                "--gap-rate",
                "0.01",
            ]
        )
        == 0
    )
    code, _, err = run(capsys, "optimize", str(path))
    assert code == 0
    assert "warning: common window starts" in err
    assert "had a missing price and were skipped" in err


def _bad_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-weight", "0.3"], "sum of per-asset minimum weights is 2.4 (240 %) > 1 (100 %)"),
        (["--max-weight", "0.1"], "sum of per-asset maximum weights is 0.8 (80 %) < 1 (100 %)"),
        (
            [
                "--sector-map",
                "{sectors}",
                "--sector-limit",
                "Technology=0.6:1",
                "--sector-limit",
                "Energy=0.5:1",
            ],
            "sector 'Technology' min 0.6 (60 %) + sector 'Energy' min 0.5 (50 %) "
            "exceed the budget: 1.1 (110 %) > 1 (100 %)",
        ),
        (
            ["--sector-map", "{sectors}", "--sector-limit", "Tech=0:0.3"],
            "sector_limits: no asset is in sector 'Tech'",
        ),
        (
            ["--objective", "target-return", "--target", "0.95"],
            "target return 0.95 (95 %) is above the highest return reachable "
            "under these constraints",
        ),
        (
            ["--risk-free", "0.9"],
            "max Sharpe needs at least one asset with expected return above the risk-free rate 0.9",
        ),
        (
            ["--objective", "target-risk", "--target", "0.01"],
            "target risk 0.01 (1 %) is below the lowest volatility reachable "
            "under these constraints",
        ),
        (["--min-observations", "5000"], "only 1259 return observation(s) in the common window"),
        (["--tickers", "TEC01,NOPE"], "ticker 'NOPE' is not in prices.csv"),
        (["--tickers", "TEC01"], "need at least 2 assets, got 1"),
        (["--bound", "ZZZ=0:1"], "bounds: unknown ticker 'ZZZ'"),
        (["--bound", "TEC01=0.5"], "Invalid value for --bound: 'TEC01=0.5': expected NAME=MIN:MAX"),
        (["--max-weight", "abc"], "Invalid value for '--max-weight': 'abc' is not a valid float"),
        (["--objective", "target-return"], "--target is required with --objective target-return"),
        (["--target", "0.1"], "--target applies only to --objective target-return or target-risk"),
        (["--leverage", "1.5"], "--leverage needs --allow-short"),
        (["--allow-short", "--leverage", "0.5"], "leverage must be a finite number >= 1"),
        (["--sector-limit", "Energy=0:1"], "--sector-limit needs --sector-map FILE"),
        (["--sector-map", "nope.csv", "--sector-limit", "Energy=0:1"], "file not found: nope.csv"),
        (["--solver-chain", "GUROBI"], "solver chain: unknown solver 'GUROBI'"),
        (["--objective", "target-risk", "--target", "-1"], "target_risk must be > 0"),
        (["--objective", "max-utility", "--risk-aversion", "0"], "risk_aversion must be > 0"),
        (["--covariance", "shrunk"], "Invalid value for '--covariance'"),
    ],
)
def test_bad_input_exits_2_with_one_line(data: Path, capsys, args, message: str) -> None:
    args = [a.replace("{sectors}", str(data / "sectors.csv")) for a in args]
    code, out, err = run(capsys, "optimize", str(data / "prices.csv"), *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("pfopt: error: ")
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "date,AAA,BBB\n2024-01-02,1,2\n2024-01-03,-1,2\n",
            "bad.csv line 3, column 'AAA': price must be from 1e-08 to 1e+15, got -1",
        ),
        (
            "date,AAA,BBB\n2024-01-02,0,2\n",
            "bad.csv line 2, column 'AAA': price must be from 1e-08 to 1e+15, got 0",
        ),
        (
            "date,AAA,BBB\n2024-01-02,inf,2\n",
            "column 'AAA': price must be from 1e-08 to 1e+15, got inf",
        ),
        ("date,AAA,BBB\n2024-01-02,x,2\n", "bad.csv line 2, column 'AAA': not a number: 'x'"),
        ("date,AAA,AAA\n2024-01-02,1,2\n", "column 'AAA': duplicate column"),
        ("date,AAA\n2024-01-02,1\n2024-01-03,2\n", "need at least 2 assets, got 1"),
        ("date,AAA,BBB\n2024-01-02,1,\n2024-01-03,1,\n", "no prices at all for BBB"),
        (
            "date,AAA,BBB\n2024-01-02,1,2\n2024-01-03,1.1,2.1\n",
            "only 1 return observation(s) in the common window 2024-01-02..2024-01-03 (need at "
            "least 60)",
        ),
    ],
)
def test_bad_price_files_exit_2(tmp_path: Path, capsys, text: str, message: str) -> None:
    code, _, err = run(capsys, "optimize", _bad_file(tmp_path, text))
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_missing_prices_file(capsys) -> None:
    code, _, err = run(capsys, "optimize", "does-not-exist.csv")
    assert code == 2
    assert err == "pfopt: error: file not found: does-not-exist.csv\n"


def test_solver_time_limit_exits_3(data: Path, capsys) -> None:
    """The limit bounds the CVXPY solvers; the exact engine (max Sharpe here) is skipped when a
    chain is named, so this goes through OSQP."""
    args = ("--time-limit", "1e-9", "--solver-chain", "OSQP")
    code, _, err = run(capsys, "optimize", str(data / "prices.csv"), *args)
    assert code == 3
    assert "no solver finished within the 1e-09 s time limit" in err


def test_console_script_runs_as_installed(data: Path) -> None:
    """The real entry point in a child process: exit codes and streams as a shell sees them."""
    script = Path(sys.executable).parent / "pfopt"
    ok = subprocess.run(
        [str(script), "optimize", str(data / "prices.csv"), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["status"] == "optimal"
    bad = subprocess.run(
        [str(script), "optimize", str(data / "prices.csv"), "--min-weight", "0.5"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr == "pfopt: error: sum of per-asset minimum weights is 4 (400 %) > 1 (100 %)\n"
