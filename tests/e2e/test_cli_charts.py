"""``--charts DIR`` on optimize and frontier: every chart of the run, checked up front, never
fatal."""

import json
from pathlib import Path

import pytest

from entrypoints.cli.main import main

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def prices(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("charts")
    prices, sectors = folder / "p.csv", folder / "s.csv"
    args = ["sample-data", "-o", str(prices), "--assets", "8", "--sectors-out", str(sectors)]
    assert main(args) == 0
    return prices, sectors


def test_optimize_writes_every_chart_of_a_run(prices, tmp_path: Path, capsys) -> None:
    path, sectors = prices
    out = tmp_path / "new" / "charts"  # created, parents too
    args = ["optimize", str(path), "--no-save", "--sector-map", str(sectors), "--json"]
    assert main([*args, "--charts", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "optimal"
    for kind in ("weights", "risk", "sectors"):
        assert (out / f"{kind}.png").read_bytes().startswith(PNG), kind


def test_frontier_writes_every_chart_of_a_run_beside_chart(prices, tmp_path: Path, capsys) -> None:
    path, sectors = prices
    args = ["frontier", str(path), "--no-save", "--points", "6", "--sector-map", str(sectors)]
    assert main([*args, "--charts", str(tmp_path), "--chart", str(tmp_path / "one.svg")]) == 0
    for kind in ("frontier", "composition", "sectors"):
        assert (tmp_path / f"{kind}.png").read_bytes().startswith(PNG), kind
    assert b"<svg" in (tmp_path / "one.svg").read_bytes()
    err = capsys.readouterr().err
    assert f"chart written to {tmp_path / 'composition.png'}" in err


def test_a_stored_run_charts_its_risk_from_the_store(prices, tmp_path: Path, capsys) -> None:
    path, _ = prices
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    assert main(["--database-url", url, "prices", "import", str(path)]) == 0
    args = ["--database-url", url, "optimize", "--tickers", "TEC01,FIN02,HEA03,ENE04"]
    assert main([*args, "--charts", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "risk.png").read_bytes().startswith(PNG)
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (lambda p: p.write_text("x"), "taken", "is a file, not a directory"),
        (lambda p: None, "chart.png", "looks like a file name: --charts takes a directory"),
    ],
)
def test_a_bad_charts_path_is_a_usage_error_before_the_run(
    prices, tmp_path: Path, capsys, make, name: str, message: str
) -> None:
    target = tmp_path / name
    make(target)
    for command in ("optimize", "frontier"):
        assert main([command, str(prices[0]), "--no-save", "--charts", str(target)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("pfopt: error: ") and message in err
        assert err.count("\n") == 1, err
    assert not (tmp_path / "weights.png").exists()


def test_a_chart_that_fails_is_a_warning_and_the_others_are_drawn(
    prices, tmp_path: Path, capsys, monkeypatch
) -> None:
    from adapters import matplotlib_charts

    def broken(*args, **kwargs):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(matplotlib_charts, "risk_figure", broken)
    assert main(["optimize", str(prices[0]), "--no-save", "--charts", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "warning: could not draw the chart: renderer exploded" in err
    assert not (tmp_path / "risk.png").exists()
    assert (tmp_path / "weights.png").exists() and (tmp_path / "sectors.png").exists()


def test_every_chart_draws_at_5_20_100_and_500_assets() -> None:
    """The sample charts (``python -m tests.charts.render_samples``) through the real CLI,
    into test-artifacts/charts/ to be looked at: each size draws every kind without a
    warning (the script fails on one) as a real PNG."""
    from tests.charts.render_samples import ROOT, SIZES
    from tests.charts.render_samples import main as render_samples

    out = ROOT / "test-artifacts" / "charts"
    assert render_samples(["--out", str(out)]) == 0
    for n in SIZES:
        files = sorted((out / f"{n}_assets").glob("*.png"))
        names = {f.stem for f in files}
        assert names >= {"weights", "risk", "sectors", "frontier", "composition"}, n
        assert "frontier_sectors" in names, n
        for f in files:
            data = f.read_bytes()
            assert data.startswith(PNG) and len(data) > 10_000, f
