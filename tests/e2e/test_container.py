"""The container wires adapters to ports, and a test can swap any of them for a fake."""

import json
from pathlib import Path

from dependency_injector import providers

from entrypoints.cli.main import cli, main
from entrypoints.container import Container
from tests.fakes import FakeSolver, SampleRiskEstimator


def test_overridden_ports_reach_the_use_case(tmp_path: Path, capsys) -> None:
    prices = tmp_path / "p.csv"
    assert main(["sample-data", "-o", str(prices), "--assets", "5", "--days", "200"]) == 0
    capsys.readouterr()
    container = Container()
    solver, estimator = FakeSolver(), SampleRiskEstimator()
    with (
        container.solver.override(providers.Object(solver)),
        container.estimator.override(providers.Object(estimator)),
    ):
        cli.main(
            [
                "--database-url",
                f"sqlite+aiosqlite:///{tmp_path}/c.db",
                "optimize",
                str(prices),
                "--objective",
                "min-variance",
                "--json",
            ],
            obj=container,
            standalone_mode=False,
        )
    doc = json.loads(capsys.readouterr().out)
    assert doc["solver"] == "FAKE"
    assert estimator.methods == ["ledoit_wolf"]
    assert len(solver.problems) == 1
