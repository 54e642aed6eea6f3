"""A client generated from ``/schema`` by openapi-python-client (the common Python generator)
builds with no warning and works against a real server: an optimization and a frontier (at
once and as a job) through its typed methods."""

import importlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from entrypoints.container import Container
from entrypoints.http.app import create_app
from tests.servers import load_sample_prices, serving

GENERATOR = str(Path(sys.executable).parent / "openapi-python-client")
CONFIG = """\
project_name_override: pfopt-client
package_name_override: pfopt_client
post_hooks: []
content_type_overrides:
  image/png: application/octet-stream
  image/svg+xml: application/octet-stream
  text/csv: application/octet-stream
"""
TICKERS = ["TEC01", "FIN02", "HEA03", "ENE04", "CON05"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """The client package generated from the app's schema; the generator's output must be
    clean (``--fail-on-warning``, and no warning line either)."""
    folder = tmp_path_factory.mktemp("client")
    container = Container()
    container.config.database_url.from_value(f"sqlite+aiosqlite:///{folder}/schema.db")
    schema = create_app(container).openapi_schema.to_schema()
    (folder / "schema.json").write_text(json.dumps(schema))
    (folder / "config.yaml").write_text(CONFIG)
    done = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(folder / "schema.json"),
            "--output-path",
            str(folder / "out"),
            "--config",
            str(folder / "config.yaml"),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "warning" not in output.lower(), output
    return folder / "out"


@pytest.fixture(scope="module")
def client_package(generated):
    sys.path.insert(0, str(generated))
    try:
        yield importlib.import_module("pfopt_client")
    finally:
        sys.path.remove(str(generated))
        for name in [
            m for m in sys.modules if m == "pfopt_client" or m.startswith("pfopt_client.")
        ]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("client-server")
    url = f"sqlite+aiosqlite:///{folder}/store.db"
    load_sample_prices(url, folder)
    with serving(url) as address:
        yield f"http://{address}"


def test_the_generated_client_optimizes_and_traces_frontiers(client_package, server) -> None:
    from pfopt_client.api.frontiers import frontier_status, start_frontier
    from pfopt_client.api.optimize import optimize
    from pfopt_client.models import (
        ConstraintsDocument,
        FrontierAccepted,
        FrontierJob,
        FrontierRequest,
        MinVarianceDocument,
        OptimizationResponse,
        OptimizeRequest,
        Problem,
    )

    client = client_package.Client(base_url=server, raise_on_unexpected_status=True)
    body = OptimizeRequest(
        tickers=TICKERS,
        objective=MinVarianceDocument(kind="min_variance"),
        constraints=ConstraintsDocument(max_weight=0.4),
    )
    answer = optimize.sync(client=client, body=body)
    assert isinstance(answer, OptimizationResponse), answer
    weights = answer.weights.to_dict()
    assert list(weights) == TICKERS
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-9)
    assert max(weights.values()) <= 0.4 + 1e-9
    assert answer.objective == "min_variance" and answer.status == "optimal"

    refused = optimize.sync(client=client, body=OptimizeRequest(tickers=["TEC01", "NOPE"]))
    assert isinstance(refused, Problem) and refused.status == 404

    frontier = FrontierRequest(tickers=TICKERS, points=6, risk_free_rate=0.01)
    now = start_frontier.sync(client=client, body=frontier, wait=True)
    assert isinstance(now, FrontierJob), now
    assert now.status == "done" and now.result is not None
    assert len(now.result.points) == 6 and now.result.max_sharpe is not None

    accepted = start_frontier.sync(client=client, body=frontier)
    assert isinstance(accepted, FrontierAccepted), accepted
    for _ in range(600):
        status = frontier_status.sync(accepted.session_id, client=client)
        assert isinstance(status, FrontierJob), status
        if status.status != "running":
            break
        time.sleep(0.05)
    assert status.status == "done", status
    assert status.current == status.total == 6
    assert [p.to_dict() for p in status.result.points] == [p.to_dict() for p in now.result.points]
