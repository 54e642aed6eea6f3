"""Chart kinds of stored runs over HTTP (composition, sectors besides weights, risk,
frontier), and the risk chart attributing with the run's own model."""

import asyncio
from pathlib import Path

import pytest
from litestar.testing import TestClient

from adapters.shrinkage_risk import ShrinkageRiskEstimator
from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from domain.records import OptimizationRecord
from entrypoints.cli.main import main
from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.http.charts import risk_report_of
from tests.storage import fresh_database

TICKERS = ["TEC01", "FIN02", "HEA03", "ENE04", "CON05", "IND06"]


@pytest.fixture
def store(tmp_path: Path, capsys, monkeypatch):
    """The app on a fresh SQLite store with 6 assets of sample prices and their sectors."""
    monkeypatch.setenv("PFOPT_CHARTS_DIR", str(tmp_path / "cache"))
    url = fresh_database("sqlite", tmp_path)
    prices, sectors = tmp_path / "p.csv", tmp_path / "s.csv"
    args = ["sample-data", "-o", str(prices), "--assets", "6", "--sectors-out", str(sectors)]
    assert main(["--database-url", url, *args]) == 0
    assert main(["--database-url", url, "prices", "import", str(prices)]) == 0
    capsys.readouterr()
    container = Container()
    container.config.database_url.from_value(url)
    sector_map = dict(line.split(",") for line in sectors.read_text().splitlines()[1:])
    with TestClient(app=create_app(container)) as client:
        yield client, url, sector_map


def _run(client: TestClient, path: str, body: dict) -> str:
    r = client.post(path, json=body)
    assert r.status_code == 200, r.text
    return r.json()["optimization_id"]


def test_new_chart_kinds_of_single_and_frontier_runs(store) -> None:
    client, _, sectors = store
    constraints = {"max_weight": 0.5, "sectors": sectors}
    single = _run(
        client, "/api/optimize/portfolio", {"tickers": TICKERS, "constraints": constraints}
    )
    frontier = _run(
        client,
        "/api/optimize/efficient-frontier?wait=true",
        {"tickers": TICKERS, "points": 6, "constraints": constraints},
    )
    for run_id, name, media in [
        (single, "sectors.png", "image/png"),
        (single, "sectors.svg", "image/svg+xml"),
        (single, "weights.svg", "image/svg+xml"),
        (single, "risk.svg", "image/svg+xml"),
        (frontier, "composition.png", "image/png"),
        (frontier, "composition.svg", "image/svg+xml"),
        (frontier, "sectors.svg", "image/svg+xml"),
        (frontier, "frontier.svg", "image/svg+xml"),
    ]:
        r = client.get(f"/api/optimizations/{run_id}/charts/{name}")
        assert r.status_code == 200, (name, r.text)
        assert r.headers["content-type"].startswith(media)
        if name.endswith(".svg"):  # captioned with what produced the run
            assert b"Ledoit-Wolf covariance" in r.content, name
            assert b"6 assets from store" in r.content, name
    sector_svg = client.get(f"/api/optimizations/{frontier}/charts/sectors.svg").content
    assert b"max-Sharpe portfolio" in sector_svg
    assert any(name.encode() in sector_svg for name in set(sectors.values()))
    missing = client.get(f"/api/optimizations/{single}/charts/composition.png")
    assert missing.status_code == 404
    assert "weights, risk, sectors" in missing.json()["detail"]


@pytest.mark.parametrize(
    "estimation",
    [
        {},
        {"covariance": "sample", "returns": "ema", "ema_span": 60},
        {"covariance": "oas", "factors": 2},
    ],
)
def test_the_risk_chart_attributes_with_the_runs_own_model(store, estimation: dict) -> None:
    """All the run's tickers (held or not) over its window with its estimation settings: the
    attribution's volatility is the run's to 1e-9 (the old chart re-estimated on the holdings
    alone, and with the default settings)."""
    client, url, _ = store
    body = {"tickers": TICKERS, "estimation": estimation, "start": "2019-06-03"}
    run_id = _run(client, "/api/optimize/portfolio", body)
    doc = client.get(f"/api/optimizations/{run_id}").json()
    assert 0.0 in doc["results"]["weights"].values()  # unheld tickers are in the model too
    record = OptimizationRecord(
        doc["id"],
        doc["kind"],
        doc["objective"],
        doc["params"],
        doc["results"],
        doc["status"],
        doc["duration_ms"],
    )

    async def attribute():
        engine = make_engine(url)
        try:
            uow = SqlAlchemyUnitOfWorkFactory(engine)
            return await risk_report_of(record, uow, ShrinkageRiskEstimator())
        finally:
            await engine.dispose()

    report = asyncio.run(attribute())
    assert list(report.tickers) == TICKERS
    assert abs(report.assets.volatility - doc["results"]["volatility"]) <= 1e-9
    assert abs(report.assets.percent.sum() - 1.0) <= 1e-9
