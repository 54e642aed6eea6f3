"""``pfopt frontier`` end to end."""

import csv
import json
from pathlib import Path

import pytest

from entrypoints.cli.main import main


@pytest.fixture(scope="module")
def prices(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("frontier")
    assert (
        main(
            [
                "sample-data",
                "-o",
                str(folder / "p.csv"),
                "--assets",
                "12",
                "--seed",
                "2",
                "--sectors-out",
                str(folder / "s.csv"),
            ]
        )
        == 0
    )
    return folder / "p.csv"


def test_table_of_points_with_flagged_portfolios(prices: Path, capsys) -> None:
    assert main(["frontier", str(prices), "--points", "5", "--max-weight", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "Efficient frontier (5 points, critical_line)" in out
    assert "min var" in out
    assert "max SR" in out


def test_json_and_csv(prices: Path, tmp_path: Path, capsys) -> None:
    out_csv = tmp_path / "f.csv"
    code = main(
        [
            "frontier",
            str(prices),
            "--points",
            "25",
            "--json",
            "--csv",
            str(out_csv),
            "--risk-free",
            "0.01",
            "--sector-map",
            str(prices.parent / "s.csv"),
            "--sector-limit",
            "Technology=0:0.2",
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "complete"
    assert doc["method"] == "critical_line"
    assert len(doc["points"]) == 25
    vols = [p["volatility"] for p in doc["points"]]
    assert vols == sorted(vols)
    best = doc["max_sharpe"]["sharpe"]
    assert all(best >= p["sharpe"] - 1e-8 for p in doc["points"])
    assert doc["points"][0]["expected_return"] == pytest.approx(doc["return_range"]["lowest"])
    assert doc["points"][-1]["expected_return"] == pytest.approx(doc["return_range"]["highest"])
    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == 25
    assert float(rows[3]["volatility"]) == pytest.approx(doc["points"][3]["volatility"])
    assert sum(float(rows[3][t]) for t in doc["points"][3]["weights"]) == pytest.approx(1.0)


def test_leverage_uses_the_cvxpy_route_and_says_so(prices: Path, capsys) -> None:
    code = main(
        [
            "frontier",
            str(prices),
            "--points",
            "3",
            "--allow-short",
            "--leverage",
            "1.3",
            "--min-weight",
            "-0.2",
            "--max-weight",
            "0.5",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "critical line not used" in captured.err
    assert "(3 points, cvxpy)" in captured.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--points", "1"], "points must be between 2 and 200, got 1"),
        (["--points", "500"], "points must be between 2 and 200, got 500"),
        (["--max-weight", "0.05"], "sum of per-asset maximum weights is 0.6 (60 %) < 1 (100 %)"),
        (
            ["--allow-short"],
            "the highest reachable return is unbounded (shorts without bounds or a leverage "
            "cap), so the frontier has no top: set --max-weight/--min-weight or --leverage",
        ),
    ],
)
def test_bad_input_exits_2(prices: Path, capsys, args, message: str) -> None:
    assert main(["frontier", str(prices), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_pca_factor_model(prices: Path, capsys) -> None:
    assert main(["frontier", str(prices), "--points", "4", "--factors", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["method"] == "critical_line"
    assert len(doc["points"]) == 4
    assert main(["frontier", str(prices), "--factors", "0"]) == 2
    assert "factors must be between 1 and 11" in capsys.readouterr().err


def test_charts_from_every_command(prices: Path, tmp_path: Path, capsys) -> None:
    assert main(["frontier", str(prices), "--points", "5", "--chart", str(tmp_path / "f.svg")]) == 0
    assert (tmp_path / "f.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert main(["optimize", str(prices), "--chart", str(tmp_path)]) == 0
    assert list(tmp_path.glob("weights_*.png"))
    assert (
        main(
            [
                "risk",
                str(prices),
                "--weights",
                "TEC01=0.5,FIN02=0.5",
                "--chart",
                str(tmp_path / "r.png"),
            ]
        )
        == 0
    )
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert "chart written to" in capsys.readouterr().err
    assert main(["frontier", str(prices), "--chart", str(tmp_path / "f.jpg")]) == 2
    assert "use a .png or .svg file name" in capsys.readouterr().err


def test_risk_report_json_and_errors(prices: Path, capsys) -> None:
    assert (
        main(
            [
                "risk",
                str(prices),
                "--weights",
                "TEC01=0.4,FIN02=0.3,HEA03=0.3",
                "--benchmark",
                "IND06",
                "--factors",
                "2",
                "--json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    ctr = sum(a["ctr"] for a in doc["assets"].values())
    assert ctr == pytest.approx(doc["volatility"], rel=1e-12)
    assert sum(doc["factors"]["share"]) + doc["factors"]["specific_share"] == pytest.approx(1.0)
    assert doc["beta"] is not None
    assert len(doc["tail"]) == 4
    for args, message in [
        (["--weights", "TEC01=x"], "expected TICKER=WEIGHT"),
        ([], "give exactly one of --weights or --optimization"),
        (["--weights", "NOPE=1"], "ticker 'NOPE' is not in p.csv"),
    ]:
        assert main(["risk", str(prices), *args]) == 2
        assert message in capsys.readouterr().err


def test_risk_of_a_stored_optimization(prices: Path, capsys) -> None:
    assert main(["optimize", str(prices), "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["optimization_id"]
    assert main(["risk", str(prices), "--optimization", run_id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["volatility"] > 0


def test_a_chart_failure_is_a_warning_not_a_failed_run(
    prices: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    from adapters import matplotlib_charts

    def broken(*args, **kwargs):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(matplotlib_charts.Figure, "savefig", broken)
    code = main(["optimize", str(prices), "--json", "--chart", str(tmp_path / "w.png")])
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out)["status"] == "optimal"
    assert "warning: could not draw the chart: renderer exploded" in captured.err
    assert not (tmp_path / "w.png").exists()
