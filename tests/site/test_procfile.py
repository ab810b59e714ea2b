"""`bin/site` starts the Procfile's processes under honcho on PostgreSQL and Redis, and SIGTERM stops them all.

Runs on a throwaway PostgreSQL database of its own (never the pytest-django test database) with the broker on
REDIS_URL; skipped on SQLite. Checks, through the running site: health/ sees the database, the broker and a worker;
each queue has its own worker and a task sent to it runs there; beat runs; static files are served with DEBUG off.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest
from celery import Celery
from django.db import connection

from tests.conftest import PROJECT_ROOT

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="REDIS_URL is not set to a Redis server"),
]
STARTUP_SECONDS = 420  # four Django processes starting (and a migrate) on a busy machine


@pytest.fixture
def site_database(django_db_blocker):
    """A PostgreSQL database created for this test and dropped after it: the URL. A copy of the migrated test
    database where it is free to copy (bin/site's migrate then has nothing to do), else an empty one."""
    if connection.vendor != "postgresql":
        pytest.skip("bin/site runs on PostgreSQL: run with DATABASE_URL=postgres://...")
    import psycopg

    settings = connection.settings_dict
    credentials = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    server = f"{credentials}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    name = f"site_{uuid.uuid4().hex[:12]}"
    with django_db_blocker.unblock():
        connection.close()  # a template must have no other connection
    with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as admin:
        try:
            admin.execute(f'CREATE DATABASE {name} TEMPLATE "{settings["NAME"]}"')
        except psycopg.errors.ObjectInUse:
            admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgres://{server}/{name}"
    finally:
        with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _wait_healthy(base: str, site: subprocess.Popen, log: Path) -> dict:
    deadline, body = time.monotonic() + STARTUP_SECONDS, None
    while time.monotonic() < deadline:
        if site.poll() is not None:
            pytest.fail(f"bin/site exited with {site.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            status, _, raw = _get(f"{base}/api/v1/health/")
            body = json.loads(raw)
            if status == 200:
                return body
        except (OSError, ValueError):
            pass
        time.sleep(1)
    pytest.fail(f"not healthy after {STARTUP_SECONDS} s (last: {body}):\n{log.read_text(errors='replace')[-4000:]}")


def _queues_by_worker(client: Celery) -> dict[str, list[str]]:
    """Worker name -> the queues it consumes, once both workers answer (a busy one may miss an inspect)."""
    deadline, answers = time.monotonic() + 60, {}
    while time.monotonic() < deadline:
        answers.update(client.control.inspect(timeout=3).active_queues() or {})
        names = {name.split("@")[0] for name in answers}
        if {"default", "training"} <= names:
            break
    return {name: sorted(queue["name"] for queue in queues) for name, queues in answers.items()}


def _role(process: psutil.Process) -> str:
    """Which Procfile entry a process belongs to, from its command line."""
    line = " ".join(process.cmdline())
    if "gunicorn" in line:
        return "web"
    if " beat" in line:
        return "beat"
    found = re.search(r"-Q (\w+)", line)
    return found.group(1) if found else "other"


@pytest.mark.timeout(900)
@pytest.mark.django_db(transaction=True)  # sets the test database up: the site's is copied from it
def test_bin_site_runs_the_whole_site_and_sigterm_stops_every_process(site_database, tmp_path):
    port, var = _free_port(), tmp_path / "var"
    env = {name: value for name, value in os.environ.items() if name not in {"DEBUG", "SECRET_KEY", "CACHE_URL"}}
    env.update(
        DATABASE_URL=site_database, REDIS_URL=REDIS_URL, MOVIESITE_VAR_DIR=str(var), PORT=str(port), LOG_LEVEL="INFO"
    )
    log = tmp_path / "site.log"
    site = subprocess.Popen(
        [str(PROJECT_ROOT / "bin" / "site")], cwd=PROJECT_ROOT, env=env, stdout=log.open("wb"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    started: list[psutil.Process] = []
    try:
        base = f"http://127.0.0.1:{port}"
        health = _wait_healthy(base, site, log)
        assert {name: check["ok"] for name, check in health["checks"].items()} == {
            "database": True, "broker": True, "worker": True,
        }  # fmt: skip

        # The process tree: honcho (bin/site replaced itself with it), one child per Procfile entry.
        started = psutil.Process(site.pid).children(recursive=True)
        assert "honcho" in " ".join(psutil.Process(site.pid).cmdline())
        leaders = [p for p in started if p.ppid() in {c.pid for c in psutil.Process(site.pid).children()}]
        assert sorted(_role(p) for p in leaders) == ["beat", "default", "training", "web"]
        by_role = {_role(p): p for p in leaders}
        assert len(by_role["web"].children()) == 2  # WEB_CONCURRENCY's default
        assert len(by_role["default"].children()) == 2  # DEFAULT_CONCURRENCY's default
        assert len(by_role["training"].children()) == 1

        # Each queue has its own worker, and a task sent to a queue runs in that worker's pool.
        client = Celery("site-test", broker=REDIS_URL, backend=REDIS_URL, set_as_current=False)
        queues = _queues_by_worker(client)
        assert {name.split("@")[0]: names for name, names in queues.items()} == {
            "default": ["default"], "training": ["training"],
        }  # fmt: skip
        for queue in ("default", "training"):
            result = client.send_task("worker.tasks.maintenance.ping", args=[queue], queue=queue).get(timeout=60)
            assert result["payload"] == queue
            assert result["pid"] in {child.pid for child in by_role[queue].children()}

        # Beat runs with its schedule file under the var dir.
        assert list(var.glob("celerybeat-schedule*"))

        # DEBUG is off (no Django debug page for a missing URL) and WhiteNoise serves the hashed static files.
        status, headers, page = _get(f"{base}/no-such-page/")
        assert status == 404 and b"DEBUG = True" not in page
        status, _, page = _get(f"{base}/accounts/login/")
        assert status == 200
        stylesheet = re.search(rb'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet, "no hashed stylesheet link on the login page"
        status, headers, _ = _get(base + stylesheet.group(1).decode())
        assert status == 200 and headers["Content-Type"].startswith("text/css")
    finally:
        if site.poll() is None:
            os.kill(site.pid, signal.SIGTERM)
        try:
            site.wait(timeout=60)
        finally:
            _, alive = psutil.wait_procs(started, timeout=15)
            for process in alive:
                process.kill()
    assert not alive, f"left running after SIGTERM: {[p.pid for p in alive]}"
    text = log.read_text(errors="replace")
    for entry in ("web", "default", "training", "beat"):
        assert re.search(rf"{entry}\.1 stopped \(rc=", text), f"{entry} did not stop:\n{text[-3000:]}"
