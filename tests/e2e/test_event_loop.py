"""Work that once held the event loop (so every other tenant's requests) runs in worker
threads: decoding a large body, building an inline model, attributing its risk. And identical
chart requests render once, through admission."""

import asyncio
import threading

import numpy as np
import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

import adapters.documents.specs as specs
import entrypoints.http.controllers.risk as risk
import entrypoints.http.dependencies as dependencies
import entrypoints.http.json_bodies as json_bodies
from adapters.matplotlib_charts import MatplotlibChartRenderer
from adapters.migrations import upgrade
from entrypoints.container import Container
from entrypoints.http.app import create_app
from tests.servers import load_sample_prices

N = 1000
"""Assets of the inline model: its body is ~75 KB, beyond json_bodies.OFF_LOOP_BYTES."""


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("loop")
    found = f"sqlite+aiosqlite:///{folder}/loop.db"
    upgrade(found)
    load_sample_prices(found, folder, assets=6)
    return found


def _factor_model(n: int) -> dict:
    rng = np.random.default_rng(5)
    return {
        "tickers": [f"A{i}" for i in range(n)],
        "expected_returns": rng.uniform(0.02, 0.2, n).round(6).tolist(),
        "loadings": rng.normal(0, 0.3, (n, 5)).round(6).tolist(),
        "factor_covariance": (np.eye(5) * 0.02).tolist(),
        "specific_variance": rng.uniform(0.01, 0.09, n).round(6).tolist(),
    }


def _spy(monkeypatch, module, name: str, seen: list[int]) -> None:
    original = getattr(module, name)

    def spied(*args, **kwargs):
        seen.append(threading.get_ident())
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, spied)


def test_large_bodies_models_and_attribution_run_off_the_event_loop(url, monkeypatch) -> None:
    decoded, built, attributed, loop = [], [], [], []
    _spy(monkeypatch, dependencies, "provide_owner", loop)  # a provider run on the loop
    _spy(monkeypatch, json_bodies, "decode_json", decoded)
    _spy(monkeypatch, specs, "to_universe", built)
    _spy(monkeypatch, risk, "attribute_universe", attributed)
    container = Container()
    container.config.database_url.from_value(url)
    inline = _factor_model(N)
    weights = dict.fromkeys(inline["tickers"], 1.0 / N)

    async def go() -> None:
        async with AsyncTestClient(app=create_app(container)) as client:
            for path, body in (
                ("/api/optimize/portfolio", {"inline": inline}),
                ("/api/optimize/efficient-frontier?wait=true", {"inline": inline, "points": 3}),
                ("/api/risk/attribution", {"inline": inline, "weights": weights}),
            ):
                r = await client.post(path, json=body)
                assert r.status_code < 300, r.text
            small = {"tickers": ["TEC01", "FIN02"]}
            assert (await client.post("/api/optimize/portfolio", json=small)).status_code == 200

    asyncio.run(go())
    (loop_thread,) = set(loop)
    assert len(decoded) == 4 and len(built) == 2 and len(attributed) == 1
    # The small body was decoded on the loop (a thread hop costs more than it); nothing large.
    assert decoded[:3] == [t for t in decoded[:3] if t != loop_thread] and decoded[3] == loop_thread
    assert loop_thread not in built + attributed


class _CountingRenderer(MatplotlibChartRenderer):
    def __init__(self, counts: list[str]) -> None:
        super().__init__(dpi=40)
        self._counts = counts

    def weights(self, tickers, weights, fmt, **options):
        self._counts.append(threading.current_thread().name)
        threading.Event().wait(0.2)  # long enough for every request to arrive meanwhile
        return super().weights(tickers, weights, fmt, **options)


def test_identical_chart_requests_render_once(url, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PFOPT_CHARTS_DIR", str(tmp_path / "charts"))
    renders: list[str] = []
    container = Container()
    container.config.database_url.from_value(url)
    container.charts.override(providers.Object(_CountingRenderer(renders)))

    async def go() -> list[int]:
        async with AsyncTestClient(app=create_app(container)) as client:
            run = await client.post("/api/optimize/portfolio", json={"tickers": ["TEC01", "FIN02"]})
            chart = f"/api/optimizations/{run.json()['optimization_id']}/charts/weights.png"
            answers = await asyncio.gather(*(client.get(chart) for _ in range(12)))
            assert len({a.content for a in answers}) == 1
            again = await client.get(chart)  # from the cache file
            assert again.content == answers[0].content
            return [a.status_code for a in answers]

    assert asyncio.run(go()) == [200] * 12
    assert len(renders) == 1, renders
