"""The window counters behind the API's throttles, on the local-memory cache (the default) and on Redis (what
several web processes share)."""

import os
import threading

import pytest
from django.core.cache import caches

from moviesite.api import throttling
from moviesite.api.throttling import count_request

from .conftest import assert_error


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request, settings):
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
                "KEY_PREFIX": "test-throttling",
            }
        }
    caches["default"].clear()
    yield request.param
    caches["default"].clear()


def test_concurrent_requests_are_all_counted(any_cache):
    """Eight threads, 50 requests each: 400 counted, none lost to a read-modify-write race."""

    def hammer() -> None:
        for _ in range(50):
            count_request("throttle_test_client", 60)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count_request("throttle_test_client", 60) == 401


def test_the_counter_expires_with_its_window(any_cache):
    assert count_request("throttle_short", 1) == 1
    if any_cache == "redis":
        client = caches["default"]._cache.get_client(None)
        ttl = client.ttl(caches["default"].make_and_validate_key("throttle_short"))
        assert 0 < ttl <= 2


def test_a_client_over_its_rate_waits_for_the_next_window(world, settings, any_cache, monkeypatch):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    now = [600.0 * 1000 + 45]  # 45 s into a window
    monkeypatch.setattr(throttling.AnonThrottle, "timer", lambda self: now[0])
    client = world.client("anonymous")
    assert [client.get("/api/v1/genres/").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/api/v1/genres/")
    assert assert_error(refused, 429)["code"] == "throttled"
    assert int(refused["Retry-After"]) == 15  # the rest of the window
    now[0] += 15
    assert client.get("/api/v1/genres/").status_code == 200
