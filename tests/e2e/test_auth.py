"""API keys on every /api and /ws route, and ownership: another owner's ids are 404, never 403,
on every route (HTTP and WebSocket). Runs on SQLite and PostgreSQL."""

import asyncio
import time

import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from application.api_keys import ManageKeys
from entrypoints.cli.main import main
from entrypoints.container import Container
from entrypoints.http.app import create_app
from tests.storage import fresh_database

TICKERS = ["TEC01", "FIN02", "HEA03", "ENE04"]


def _keys(url: str, *names: str) -> list[tuple[str, str]]:
    async def go():
        engine = make_engine(url)
        try:
            manage = ManageKeys(SqlAlchemyUnitOfWorkFactory(engine))
            made = [await manage.create(name) for name in names]
            return [(record.id, token) for record, token in made]
        finally:
            await engine.dispose()

    return asyncio.run(go())


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path, capsys):
    url = fresh_database(request.param, tmp_path)
    prices = tmp_path / "p.csv"
    assert main(["--database-url", url, "sample-data", "-o", str(prices), "--assets", "6"]) == 0
    assert main(["--database-url", url, "prices", "import", str(prices)]) == 0
    capsys.readouterr()
    return url


def _client(url: str) -> TestClient:
    container = Container()
    container.config.database_url.from_value(url)
    return TestClient(app=create_app(container))


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_without_keys_the_api_is_open_and_with_one_it_is_closed(store) -> None:
    with _client(store) as client:
        assert client.get("/api/portfolios").status_code == 200
    (key_id, token), *_ = _keys(store, "alice")
    with _client(store) as client:
        missing = client.get("/api/portfolios")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert "Authorization: Bearer" in missing.json()["detail"]
        assert client.get("/health").status_code == 200  # liveness stays open
        wrong = client.get("/api/portfolios", headers=_bearer(token[:-2] + "xx"))
        assert wrong.status_code == 401
        assert wrong.json()["detail"] == "the API key is not valid"
        garbage = client.get("/api/portfolios", headers=_bearer("not-a-key"))
        assert garbage.status_code == 401
        assert client.get("/api/portfolios", headers=_bearer(token)).status_code == 200
        assert main(["--database-url", store, "keys", "revoke", key_id]) == 0
        assert client.get("/api/portfolios", headers=_bearer(token)).status_code == 401
        time.sleep(2.1)  # past the policy's cache: revoking every key must not reopen it
        assert client.get("/api/portfolios").status_code == 401


def test_auth_required_refuses_everyone_without_a_key(store, monkeypatch) -> None:
    monkeypatch.setenv("PFOPT_AUTH", "required")
    container = Container()
    container.config.database_url.from_value(store)
    container.config.auth_required.from_value(True)
    with TestClient(app=create_app(container)) as client:
        assert client.get("/api/tickers").status_code == 401


def _ws_code(client, path: str, **kwargs) -> int:
    """The close code of a socket that is read until the server closes it."""

    def read_all() -> None:
        with client.websocket_connect(path, **kwargs) as ws:
            while True:
                ws.receive_json()

    with pytest.raises(WebSocketDisconnect) as closed:
        read_all()
    return closed.value.code


def test_another_owner_gets_404_on_every_route(store) -> None:
    (_, alice), (_, bob) = _keys(store, "alice", "bob")
    a, b = _bearer(alice), _bearer(bob)
    with _client(store) as client:
        pid = client.post(
            "/api/portfolios", json={"name": "core", "tickers": TICKERS}, headers=a
        ).json()["id"]
        run = client.post("/api/optimize/portfolio", json={"portfolio_id": pid}, headers=a).json()
        rid = run["optimization_id"]
        body = {"tickers": TICKERS, "points": 5, "session_id": "alice-job"}
        assert (
            client.post("/api/optimize/efficient-frontier", json=body, headers=a).status_code == 202
        )
        with client.websocket_connect("/ws/optimize/progress/alice-job", headers=a) as ws:
            event = ws.receive_json()
            while event.get("status") not in ("done", "failed", "cancelled"):
                event = ws.receive_json()
        assert event["status"] == "done"
        assert "owner" not in event

        refused = [
            client.get(f"/api/portfolios/{pid}", headers=b),
            client.put(f"/api/portfolios/{pid}", json={"name": "x", "tickers": TICKERS}, headers=b),
            client.delete(f"/api/portfolios/{pid}", headers=b),
            client.get(f"/api/portfolios/{pid}/optimizations", headers=b),
            client.get(f"/api/optimizations/{rid}", headers=b),
            client.get(f"/api/optimizations/{rid}?format=csv", headers=b),
            client.get(f"/api/optimizations/{rid}/charts/weights.svg", headers=b),
            client.post("/api/optimize/portfolio", json={"portfolio_id": pid}, headers=b),
            client.post(
                "/api/optimize/efficient-frontier?wait=true", json={"portfolio_id": pid}, headers=b
            ),
            client.post("/api/risk/attribution", json={"optimization_id": rid}, headers=b),
            client.get("/api/optimize/efficient-frontier/alice-job", headers=b),
            client.delete("/api/optimize/efficient-frontier/alice-job", headers=b),
        ]
        assert [r.status_code for r in refused] == [404] * len(refused), [r.text for r in refused]
        assert client.get("/api/portfolios", headers=b).json() == []
        assert client.get("/api/optimizations", headers=b).json() == []
        assert _ws_code(client, "/ws/optimize/progress/alice-job", headers=b) == 4404
        # Bob may use the same portfolio name: names are per owner.
        mine = client.post("/api/portfolios", json={"name": "core", "tickers": TICKERS}, headers=b)
        assert mine.status_code == 201

        # Alice still sees all of hers, untouched.
        assert client.get(f"/api/portfolios/{pid}", headers=a).json()["name"] == "core"
        assert [r["id"] for r in client.get("/api/optimizations", headers=a).json()][-1] == rid
        state = client.get("/api/optimize/efficient-frontier/alice-job", headers=a).json()
        assert state["status"] == "done" and "owner" not in state


def test_websockets_need_the_key_too(store) -> None:
    (_, alice), *_ = _keys(store, "alice")
    with _client(store) as client:
        assert _ws_code(client, "/ws/optimize/progress/x") == 4401
        assert _ws_code(client, "/ws/optimize/progress/x?access_token=pfo_0_nope") == 4401
        # A NUL byte or a megabyte in the key is refused as a bad key, before any SQL.
        for token in (f"pfo_{'0' * 15}%00_{'a' * 43}", "pfo_%00", "pfo_" + "a" * 60_000):
            assert _ws_code(client, f"/ws/optimize/progress/x?access_token={token}") == 4401
        nul = client.get("/api/portfolios", headers=_bearer(f"pfo_{'0' * 15}\x00_{'a' * 43}"))
        assert nul.status_code == 401
        # The browser's way: the key as a query parameter (headers cannot be set there).
        assert _ws_code(client, f"/ws/optimize/progress/x?access_token={alice}") == 4404


def test_keys_cli_create_list_revoke(store, capsys) -> None:
    assert main(["--database-url", store, "keys", "create", "--name", "carol"]) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert token.startswith("pfo_") and "cannot be shown again" in err
    key_id = token.split("_")[1]
    assert main(["--database-url", store, "keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert key_id in listed and "carol" in listed and token.split("_", 2)[2] not in listed
    assert main(["--database-url", store, "keys", "create", "--name", " "]) == 2
    assert "1..64 characters" in capsys.readouterr().err
