"""The store through the CLI: db, prices, portfolios, history, and runs on stored prices."""

import csv
import json
from pathlib import Path

import pytest

from adapters.schema_version import SCHEMA_HEAD
from entrypoints.cli.main import main


@pytest.fixture
def env(tmp_path: Path, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    prices, sectors = tmp_path / "p.csv", tmp_path / "s.csv"
    assert (
        main(
            [
                "sample-data",
                "-o",
                str(prices),
                "--assets",
                "8",
                "--seed",
                "2",
                "--sectors-out",
                str(sectors),
            ]
        )
        == 0
    )
    capsys.readouterr()

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--database-url", url, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run, prices, sectors


def test_import_list_and_optimize_from_the_store(env) -> None:
    run, prices, _ = env
    code, out, _ = run("prices", "import", str(prices))
    assert code == 0
    assert out == (
        "imported 10080 prices for 8 tickers, 2019-01-02..2023-10-31: 10080 new, 0 changed\n"
    )
    code, out, _ = run("prices", "import", str(prices))  # idempotent, and says so
    assert code == 0
    assert out == (
        "nothing changed: the store already holds all 10080 prices "
        "(8 tickers, 2019-01-02..2023-10-31)\n"
    )
    code, out, _ = run("prices", "list", "--json")
    listed = json.loads(out)
    assert [r["rows"] for r in listed] == [1260] * 8
    code, out, err = run("optimize", "--tickers", "TEC01,FIN02,HEA03", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc["weights"]) == ["TEC01", "FIN02", "HEA03"]
    code, out, _ = run("history", "--json")
    (record,) = json.loads(out)
    assert record["id"] == doc["optimization_id"]
    assert record["params"]["source"] == "store"
    assert record["results"]["weights"] == doc["weights"]


def test_bad_file_imports_nothing(env, tmp_path: Path) -> None:
    run, prices, _ = env
    lines = prices.read_text().splitlines()
    lines[500] = lines[500].replace(",", ",abc,", 1).rsplit(",", 1)[0]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    code, _, err = run("prices", "import", str(bad))
    assert code == 2
    assert err.startswith("pfopt: error: bad.csv line 501, column 'TEC01': not a number")
    code, out, _ = run("prices", "list", "--json")
    assert json.loads(out) == []


def test_portfolios_and_history_per_portfolio(env, tmp_path: Path) -> None:
    run, prices, sectors = env
    assert run("prices", "import", str(prices))[0] == 0
    code, out, _ = run(
        "portfolios",
        "create",
        "core",
        "--tickers",
        "TEC01,FIN02,HEA03,IND06",
        "--max-weight",
        "0.4",
        "--sector-map",
        str(sectors),
    )
    assert code == 0
    assert out.startswith("saved portfolio 'core' (4 assets)")
    code, _, err = run("portfolios", "create", "core", "--tickers", "TEC01,FIN02")
    assert code == 2
    assert "a portfolio named 'core' already exists" in err
    code, out, _ = run("portfolios", "show", "core", "--json")
    shown = json.loads(out)
    assert shown["sectors"]["TEC01"] == "Technology"
    assert shown["constraints"]["max_weight"] == 0.4 and shown["constraints"]["min_weight"] is None
    assert run("frontier", "--portfolio", "core", "--points", "3", "--json")[0] == 0
    assert run("optimize", str(prices), "--json")[0] == 0  # an ad-hoc run on a file
    out_csv = tmp_path / "h.csv"
    code, out, _ = run("history", "--portfolio", "core", "--csv", str(out_csv))
    assert code == 0
    rows = list(csv.DictReader(out_csv.open()))
    assert [r["kind"] for r in rows] == ["frontier"]
    assert len(json.loads(run("history", "--json")[1])) == 2
    assert run("portfolios", "delete", "core")[0] == 0
    code, _, err = run("portfolios", "show", "core")
    assert code == 2
    assert "no portfolio named or with id 'core'" in err
    assert len(json.loads(run("history", "--json")[1])) == 2  # history outlives the portfolio


def test_schema_behind_is_refused_with_the_command_to_run(env) -> None:
    run, prices, _ = env
    assert run("prices", "import", str(prices))[0] == 0
    assert run("db", "downgrade", "base")[0] == 0
    for command in (("prices", "list"), ("optimize", str(prices))):  # async store, sqlite3 store
        code, _, err = run(*command)
        assert code == 3
        assert "run `pfopt db upgrade` (or pass --migrate)" in err
    assert run("--migrate", "prices", "list")[0] == 0
    assert run("db", "current")[1] == f"current {SCHEMA_HEAD}, head {SCHEMA_HEAD}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["optimize"], "give a PRICES file, --tickers A,B,C (stored prices) or --portfolio NAME"),
        (["optimize", "--tickers", "AAA,BBB"], "no stored prices for 'AAA'"),
        (["frontier", "--portfolio", "nope"], "no portfolio named or with id 'nope'"),
        (["portfolios", "create", "x"], "--tickers A,B,C (or --targets-from RUN_ID) is required"),
        (["prices", "import", "missing.csv"], "file not found: missing.csv"),
    ],
)
def test_store_errors_exit_2_with_one_line(env, args, message: str) -> None:
    run, _, _ = env
    code, _, err = run(*args)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_unreachable_database_exits_3(capsys) -> None:
    code = main(
        ["--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none", "prices", "list"]
    )
    assert code == 3
    assert "the database is unavailable" in capsys.readouterr().err
