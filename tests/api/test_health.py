"""GET /api/v1/health/: 200 with a real worker answering over real Redis, 503 without one; nothing secret."""

import os

import pytest

from .conftest import assert_error

REDIS_URL = os.environ.get("REDIS_URL", "")


def _check_no_secrets(response) -> None:
    text = response.content.decode()
    assert "redis://" not in text and "127.0.0.1" not in text and "postgres" not in text.lower()


def test_without_a_worker_it_is_503_and_says_which_check_failed(world):
    response = world.client("anonymous").get("/api/v1/health/")
    error = assert_error(response, 503, "unavailable")
    body = response.json()
    assert body["status"] == "unavailable" and "worker" in error["message"]
    assert body["checks"]["database"]["ok"] is True and body["checks"]["worker"]["ok"] is False
    assert body["active_version"]["id"] == world.version.pk and body["active_version"]["age_seconds"] >= 0
    _check_no_secrets(response)


@pytest.mark.slow
@pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="REDIS_URL is not set to a Redis server")
@pytest.mark.django_db(transaction=True)
def test_with_a_worker_it_is_200(start_worker, client, settings):
    settings.HEALTH_PING_TIMEOUT = 5  # a worker on a busy machine (CI, 2 cores) can take over a second to answer
    start_worker({"REDIS_URL": REDIS_URL}, queues="default")
    response = client.get("/api/v1/health/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and all(check["ok"] for check in body["checks"].values())
    assert body["active_version"] is None  # nothing trained in this database
    _check_no_secrets(response)
