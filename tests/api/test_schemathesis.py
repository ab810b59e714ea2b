"""schemathesis against a live gunicorn serving the test database with the ml-tiny data: every operation, as an
anonymous client, as a user and as staff, with the schema's stateful links (create a rating, then read, update
and delete it). It fails on any server error, any answer the schema does not describe, or any other failed check.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from catalog.models import Movie, User
from recommender.models import ModelVersion, Recommendation, TrainingRun
from tests.conftest import PROJECT_ROOT, database_url_for_subprocess
from worker.celery import app

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="REDIS_URL is not set to a Redis server"),
]

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
# Checks: positive_data_acceptance expects 2xx for any valid-looking input, but ids are random numbers:
# a movie or version that does not exist is rightly a 404, a second rating of a movie a 409. Every other check
# runs (set in CONFIG below: a --checks option would override the per-operation settings).


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed(tiny_dataset: Path) -> dict[str, str]:
    """ml-tiny imported, a new user (no ratings yet: any movie id the fuzzer finds can be rated) and a staff
    member with tokens, two versions (one active) with the user's list."""
    call_command("import_movielens", str(tiny_dataset), verbosity=0)
    user = User.objects.create_user("fuzz-user", password="fuzz-user-password")
    staff = User.objects.create_user("fuzz-staff", password="fuzz-staff-password", is_staff=True)
    versions = []
    for active in (False, True):
        run = TrainingRun.objects.create(status="succeeded", in_progress=None, stage="done", progress=100.0)
        versions.append(ModelVersion.objects.create(run=run, model_path="-", is_active=active))
    for rank, movie in enumerate(Movie.objects.order_by("pk")[:12], 1):
        Recommendation.objects.create(version=versions[1], user=user, rank=rank, movie=movie, score=1 / rank)
    versions[1].activated_at = timezone.now()
    versions[1].save()
    return {"user": Token.objects.create(user=user).key, "staff": Token.objects.create(user=staff).key}


class LiveServer:
    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for_subprocess(),
            "DEBUG": "false",  # as in production: Django's own error pages would be HTML
            "SECRET_KEY": "schemathesis-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "API_THROTTLE_ANON": "100000/min",
            "API_THROTTLE_USER": "100000/min",
            "API_THROTTLE_TOKEN": "100000/min",
            "HEALTH_PING_TIMEOUT": "0.2",  # no worker: health/ says 503 quickly
        }
        command = [
            sys.executable, "-m", "gunicorn", "moviesite.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", "2", "--timeout", "60", "--access-logfile", "-",
        ]  # fmt: skip
        self.log = log
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/api/v1/genres/", timeout=2)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn not answering after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout=30)


@pytest.fixture
def live_api(tiny_dataset, tmp_path, transactional_db):
    tokens = _seed(tiny_dataset)
    server = LiveServer(tmp_path / "gunicorn.log")
    try:
        server.wait_ready()
        yield server, tokens
    finally:
        server.stop()
        app.control.purge()  # the retrain (and any refresh) the fuzzing queued: no worker will take them


# No worker runs here, so health/ answers its documented 503 (its 200 is tested with a real worker in
# test_health.py): the one operation where a 5xx is the right answer. The seeded versions have no model files;
# the refreshes and the retrain that the fuzzing queues stay in the broker and are purged afterwards.
CONFIG = """
[checks]  # every check is on by default, but this one (see above)
positive_data_acceptance.enabled = false

[[operations]]
include-path = "/api/v1/health/"
checks.not_a_server_error.enabled = false
"""


def _schemathesis(url: str, report: Path, token: str | None) -> tuple[int, str]:
    config = report.parent / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
        "run", f"{url}/api/schema/", "--max-examples", str(MAX_EXAMPLES), "--seed", "20261201",
        "--request-timeout", "20", "--report", "json", "--report-json-path", str(report),
    ]  # fmt: skip
    if token:
        # Revoking the token mid-run would turn the rest of the run anonymous: DELETE auth/token/ is fuzzed in
        # the anonymous run here and tested with a token in test_auth.py.
        command += ["--header", f"Authorization: Token {token}", "--exclude-path", "/api/v1/auth/token/"]
    done = subprocess.run(command, cwd=report.parent, capture_output=True, text=True, timeout=900)  # its files there
    return done.returncode, done.stdout + done.stderr


def test_schemathesis_finds_nothing(live_api, tmp_path):
    server, tokens = live_api
    summary = []
    for identity, token in (("anonymous", None), ("user", tokens["user"]), ("staff", tokens["staff"])):
        report = tmp_path / f"schemathesis-{identity}.json"
        code, output = _schemathesis(server.url, report, token)
        (tmp_path / f"schemathesis-{identity}.txt").write_text(output)
        failures = output[output.find("FAILURES") :] if "FAILURES" in output else output
        assert code == 0, f"schemathesis as {identity} failed:\n{failures[:30000]}"
        cases = json.loads(report.read_text())["test_cases"]
        assert cases["with_failures"] == cases["errored"] == 0 and cases["generated"] > 0, cases
        summary.append(f"{identity}: {cases['generated']} cases generated, {cases['with_failures']} failed")
    answers = re.findall(r'"[A-Z]+ (\S+) HTTP/1\.[01]" (\d{3}) ', server.log.read_text())
    statuses = [status for _, status in answers]
    server_errors = sum(  # the API's answers (the site's own pages are tested elsewhere)
        status >= "500" and path.startswith("/api/") and not path.startswith("/api/v1/health/")
        for path, status in answers
    )
    summary.append(
        f"gunicorn answered {len(statuses)} requests, {server_errors} from /api/ with a 5xx (health/'s 503 aside)"
    )
    print("\nschemathesis: " + "; ".join(summary))
    assert server_errors == 0
