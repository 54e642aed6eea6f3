"""The load script, small, in CI: mixed traffic with no error and no lost optimization; then the
same with the local PostgreSQL stopped and started again in the middle (pg_ctlcluster): requests
during the outage get 503, the service recovers without a restart, nothing acknowledged is
lost. The full run (32 clients, 60 s) is ``python -m tests.load.load``."""

import os
import shutil
import subprocess

import pytest

from tests.load.load import flood, run
from tests.storage import postgres_url


def _ensure_postgres_up() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
    if subprocess.run([*command, "status"], capture_output=True).returncode != 0:
        subprocess.run([*command, "start"], check=True)


def test_mixed_load_without_errors_or_loss(tmp_path) -> None:
    report = run(postgres_url(), clients=8, duration_s=8, folder=tmp_path)
    assert report["errors"] == []
    assert report["lost"] == []
    assert report["unavailable_503"] == 0
    assert report["acknowledged"] > 10
    assert all(r["count"] > 0 for r in report["routes"].values())


def test_a_postgresql_restart_mid_load_is_survived(tmp_path) -> None:
    url = postgres_url()
    if not (shutil.which("pg_ctlcluster") and os.path.isdir("/etc/postgresql")):
        pytest.fail("the fault test needs the local PostgreSQL cluster tools (pg_ctlcluster)")
    try:
        report = run(url, clients=8, duration_s=16, folder=tmp_path, fault_at_s=4, outage_s=4)
    finally:
        _ensure_postgres_up()
    assert report["errors"] == []
    assert report["lost"] == []
    assert report["unavailable_503"] > 0, "no request met the outage"
    assert report["recovered"], "nothing succeeded after the database came back"


def test_a_flooding_tenant_does_not_crowd_out_a_light_one(tmp_path) -> None:
    """One key floods large solves back to back (both lanes), another sends small ones: the
    flood is held to its share (429 with Retry-After, never a 5xx), the light tenant is never
    refused and is served beside it. Its latency is reported by ``--flood``, not asserted."""
    report = flood(postgres_url(), duration_s=9, folder=tmp_path, flooders=4)
    assert report["errors"] == [], report["errors"][:5]
    assert report["light_beside_flood"]["count"] > 5
    assert report["flood"]["count"] > 0 and report["flood"]["refused"] > 0
