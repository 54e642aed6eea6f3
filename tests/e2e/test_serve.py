"""``pfopt serve`` as a real server process on a free loopback port."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_health_and_an_optimization(tmp_path: Path) -> None:
    port = _free_port()
    url = f"sqlite+aiosqlite:///{tmp_path}/serve.db"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "pfopt"),
            "--database-url",
            url,
            "--migrate",
            "serve",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "server did not come up in 60 s"
            time.sleep(0.2)
        body = {
            "inline": {
                "tickers": ["A", "B"],
                "expected_returns": [0.05, 0.1],
                "covariance": [[0.04, 0.01], [0.01, 0.09]],
            },
            "objective": {"kind": "min_variance"},
        }
        r = httpx.post(f"{base}/api/optimize/portfolio", json=body, timeout=30)
        assert r.status_code == 200, r.text
        assert abs(sum(r.json()["weights"].values()) - 1.0) < 1e-12
        bad = httpx.post(f"{base}/api/optimize/portfolio", json={"inline": {}}, timeout=30)
        assert bad.status_code == 400
        assert bad.headers["content-type"].startswith("application/problem+json")
    finally:
        server.terminate()
        server.wait(timeout=20)
